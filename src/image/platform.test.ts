import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestOf } from '../digest/digest.js';
import type { BerthError } from '../internal/errors.js';
import { OCI_MANIFEST } from './mediatype.js';
import { compatiblePlatforms, formatPlatform, hostPlatform, normalizePlatform, parsePlatform, platformSatisfies, selectManifest } from './platform.js';
import type { Descriptor, Platform } from './types.js';

const HOST: Platform = { os: 'linux', architecture: 'amd64' };

const PARSE: [string, string][] = [
  ['linux/amd64', 'linux/amd64'],
  ['linux/x86_64', 'linux/amd64'],
  ['linux/x86-64/v1', 'linux/amd64'],
  ['linux/amd64/v3', 'linux/amd64/v3'],
  ['linux/arm64/v8', 'linux/arm64'],
  ['linux/aarch64', 'linux/arm64'],
  ['linux/arm64/8', 'linux/arm64'],
  ['linux/arm64/v9', 'linux/arm64/v9'],
  ['linux/armhf', 'linux/arm/v7'],
  ['linux/armel', 'linux/arm/v6'],
  ['linux/arm', 'linux/arm/v7'],
  ['linux/arm/6', 'linux/arm/v6'],
  ['linux/i386', 'linux/386'],
  ['linux/ppc64el', 'linux/ppc64le'],
  ['Linux/AMD64', 'linux/amd64'],
  ['macos/arm64', 'darwin/arm64'],
  ['windows/amd64', 'windows/amd64'],
  ['linux', 'linux/amd64'],
  ['arm64', 'linux/arm64'],
  ['s390x', 'linux/s390x'],
  ['x86_64', 'linux/amd64'],
  // An os/arch pair is taken as written (containerd's rule); one word must be a known OS or CPU.
  ['linux/bogus', 'linux/bogus'],
];

for (const [spec, want] of PARSE) {
  test(`parsePlatform("${spec}") is ${want}`, () => {
    assert.equal(formatPlatform(parsePlatform(spec, HOST)), want);
  });
}

for (const bad of ['', '/', 'linux/', 'linux/amd64/v8/x', 'linux/amd 64', '../etc', 'bogus']) {
  test(`parsePlatform refuses "${bad}"`, () => {
    assert.throws(() => parsePlatform(bad, HOST), (e: BerthError) => e.kind === 'invalid-argument');
  });
}

test('hostPlatform names this machine in OCI words', () => {
  const h = hostPlatform();
  assert.equal(h.os, 'linux');
  assert.ok(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64'].includes(h.architecture), h.architecture);
  assert.deepEqual(normalizePlatform(h), h);
});

test('compatiblePlatforms follows docker order for arm, arm64 and amd64', () => {
  const f = (s: string, strict = false) => compatiblePlatforms(parsePlatform(s, HOST), { strict }).map(formatPlatform);
  assert.deepEqual(f('linux/arm/v7'), ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
  assert.deepEqual(f('linux/arm/v5'), ['linux/arm/v5']);
  assert.deepEqual(f('linux/arm64'), ['linux/arm64', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
  assert.deepEqual(f('linux/amd64/v3'), ['linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386']);
  assert.deepEqual(f('linux/arm/v7', true), ['linux/arm/v7']);
});

const entry = (platform: Platform | undefined, n: number): Descriptor => ({
  mediaType: OCI_MANIFEST,
  digest: digestOf(String(n)),
  size: n,
  ...(platform ? { platform } : {}),
});
const INDEX = [
  entry({ os: 'linux', architecture: 'amd64' }, 1),
  entry({ os: 'linux', architecture: 'arm', variant: 'v6' }, 2),
  entry({ os: 'linux', architecture: 'arm', variant: 'v5' }, 3),
  entry({ os: 'linux', architecture: 'arm64', variant: 'v8' }, 4),
  entry({ os: 'unknown', architecture: 'unknown' }, 5),
  entry(undefined, 6),
  entry({ os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' }, 7),
];

test('selectManifest picks the exact platform, arm64 and arm64/v8 being the same', () => {
  assert.equal(selectManifest(INDEX, parsePlatform('linux/amd64', HOST)).size, 1);
  assert.equal(selectManifest(INDEX, parsePlatform('linux/arm64/v8', HOST)).size, 4);
  assert.equal(selectManifest(INDEX, parsePlatform('linux/aarch64', HOST)).size, 4);
  assert.equal(selectManifest({ schemaVersion: 2, manifests: INDEX }, { os: 'windows', architecture: 'amd64' }).size, 7);
});

test('selectManifest: arm/v7 accepts a v6 image before a v5 image, unless strict', () => {
  assert.equal(selectManifest(INDEX, parsePlatform('linux/arm/v7', HOST)).size, 2);
  assert.equal(selectManifest(INDEX.filter((d) => d.size !== 2), parsePlatform('linux/arm/v7', HOST)).size, 3);
  assert.throws(() => selectManifest(INDEX, parsePlatform('linux/arm/v7', HOST), { strict: true }), (e: BerthError) => e.kind === 'not-found');
  assert.ok(platformSatisfies({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'armhf' }));
  assert.ok(!platformSatisfies({ os: 'linux', architecture: 'arm', variant: 'v7' }, { os: 'linux', architecture: 'armel' }));
});

test('selectManifest fails with not-found listing the platforms offered', () => {
  assert.throws(
    () => selectManifest(INDEX, parsePlatform('linux/s390x', HOST)),
    (e: BerthError) => {
      assert.equal(e.kind, 'not-found');
      assert.equal(e.message, 'no image for platform linux/s390x: the index offers linux/amd64, linux/arm/v6, linux/arm/v5, linux/arm64, windows/amd64');
      return true;
    },
  );
  assert.throws(() => selectManifest([], HOST), /offers no platforms/);
});
