import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import { isFullImageId, validateRepositoryName, validateTag } from './grammar.js';
import { fullString, nameOnly, parseReference, preferDigest, referenceName, withDefaultTag, withDigest, withTag } from './reference.js';

const F64 = 'f'.repeat(64);
const F128 = 'f'.repeat(128);

// Vectors from distribution's reference_test.go (TestReferenceParse): input, then the
// expected domain, name (domain + path), tag and digest; or the error the input must raise.
const VALID: Array<[string, { domain?: string; name: string; tag?: string; digest?: string }]> = [
  ['test_com', { name: 'test_com' }],
  ['test.com:tag', { name: 'test.com', tag: 'tag' }],
  ['test.com:5000', { name: 'test.com', tag: '5000' }],
  ['test.com/repo:tag', { domain: 'test.com', name: 'test.com/repo', tag: 'tag' }],
  ['test:5000/repo', { domain: 'test:5000', name: 'test:5000/repo' }],
  ['test:5000/repo:tag', { domain: 'test:5000', name: 'test:5000/repo', tag: 'tag' }],
  [`test:5000/repo@sha256:${F64}`, { domain: 'test:5000', name: 'test:5000/repo', digest: `sha256:${F64}` }],
  [`test:5000/repo:tag@sha256:${F64}`, { domain: 'test:5000', name: 'test:5000/repo', tag: 'tag', digest: `sha256:${F64}` }],
  ['lowercase:Uppercase', { name: 'lowercase', tag: 'Uppercase' }],
  [`${'a/'.repeat(127)}a:tag-puts-this-over-max`, { domain: 'a', name: `${'a/'.repeat(127)}a`, tag: 'tag-puts-this-over-max' }],
  ['sub-dom1.foo.com/bar/baz/quux', { domain: 'sub-dom1.foo.com', name: 'sub-dom1.foo.com/bar/baz/quux' }],
  ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', { domain: 'sub-dom1.foo.com', name: 'sub-dom1.foo.com/bar/baz/quux', tag: 'some-long-tag' }],
  ['b.gcr.io/test.example.com/my-app:test.example.com', { domain: 'b.gcr.io', name: 'b.gcr.io/test.example.com/my-app', tag: 'test.example.com' }],
  ['xn--n3h.com/myimage:xn--n3h.com', { domain: 'xn--n3h.com', name: 'xn--n3h.com/myimage', tag: 'xn--n3h.com' }],
  [`xn--7o8h.com/myimage:xn--7o8h.com@sha512:${F128}`, { domain: 'xn--7o8h.com', name: 'xn--7o8h.com/myimage', tag: 'xn--7o8h.com', digest: `sha512:${F128}` }],
  ['foo_bar.com:8080', { name: 'foo_bar.com', tag: '8080' }],
  ['foo/foo_bar.com:8080', { domain: 'foo', name: 'foo/foo_bar.com', tag: '8080' }],
  ['192.168.1.1', { name: '192.168.1.1' }],
  ['192.168.1.1:tag', { name: '192.168.1.1', tag: 'tag' }],
  ['192.168.1.1:5000', { name: '192.168.1.1', tag: '5000' }],
  ['192.168.1.1/repo', { domain: '192.168.1.1', name: '192.168.1.1/repo' }],
  ['192.168.1.1:5000/repo', { domain: '192.168.1.1:5000', name: '192.168.1.1:5000/repo' }],
  ['192.168.1.1:5000/repo:5050', { domain: '192.168.1.1:5000', name: '192.168.1.1:5000/repo', tag: '5050' }],
  ['[2001:db8::1]/repo', { domain: '[2001:db8::1]', name: '[2001:db8::1]/repo' }],
  ['[2001:db8:1:2:3:4:5:6]/repo:tag', { domain: '[2001:db8:1:2:3:4:5:6]', name: '[2001:db8:1:2:3:4:5:6]/repo', tag: 'tag' }],
  ['[2001:db8::1]:5000/repo', { domain: '[2001:db8::1]:5000', name: '[2001:db8::1]:5000/repo' }],
  ['[2001:db8::1]:5000/repo:tag', { domain: '[2001:db8::1]:5000', name: '[2001:db8::1]:5000/repo', tag: 'tag' }],
  [`[2001:db8::1]:5000/repo@sha256:${F64}`, { domain: '[2001:db8::1]:5000', name: '[2001:db8::1]:5000/repo', digest: `sha256:${F64}` }],
  [`[2001:db8::1]:5000/repo:tag@sha256:${F64}`, { domain: '[2001:db8::1]:5000', name: '[2001:db8::1]:5000/repo', tag: 'tag', digest: `sha256:${F64}` }],
  ['[2001:db8::]:5000/repo', { domain: '[2001:db8::]:5000', name: '[2001:db8::]:5000/repo' }],
  ['[::1]:5000/repo', { domain: '[::1]:5000', name: '[::1]:5000/repo' }],
  // From TestDomainAndPath.
  ['test.com/foo', { domain: 'test.com', name: 'test.com/foo' }],
  ['test_com/foo', { name: 'test_com/foo' }],
  ['test-com:8080/foo', { domain: 'test-com:8080', name: 'test-com:8080/foo' }],
  ['xn--n3h.com:18080/foo', { domain: 'xn--n3h.com:18080', name: 'xn--n3h.com:18080/foo' }],
  ['localhost/foo', { domain: 'localhost', name: 'localhost/foo' }],
  ['Uppercase/lowercase:tag', { domain: 'Uppercase', name: 'Uppercase/lowercase', tag: 'tag' }],
];

for (const [input, want] of VALID) {
  test(`parseReference accepts ${input.slice(0, 80)}`, () => {
    const ref = parseReference(input);
    assert.equal(ref.registry, want.domain ?? '');
    assert.equal(referenceName(ref), want.name);
    assert.equal(ref.tag, want.tag);
    assert.equal(ref.digest, want.digest);
    assert.equal(fullString(ref), input, 'round trip');
  });
}

// Each invalid input, with the kind and a piece of the message that names the problem.
const INVALID: Array<[string, RegExp, string?]> = [
  ['', /repository name must have at least one component/],
  [':justtag', /repository name must have at least one component/],
  [`@sha256:${F64}`, /repository name must have at least one component/],
  ['repo@sha256:ffffffffffffffffffffffffffffffffff', /sha256 needs 64 lower-case hex/],
  [`validname@invaliddigest:${F64}`, /unsupported digest algorithm "invaliddigest"/, 'unsupported'],
  ['Uppercase:tag', /repository name "Uppercase" must be lowercase/],
  ['test:5000/Uppercase/lowercase:tag', /repository name "test:5000\/Uppercase\/lowercase" must be lowercase/],
  [`${'a/'.repeat(128)}a:tag`, /must not be more than 255 characters \(got 257\)/],
  ['aa/asdf$$^/aa', /invalid path component "asdf\$\$\^"/],
  ['[2001:db8::1]', /looks like a registry host, but a repository must follow it/],
  ['[2001:db8::1]:5000', /looks like a registry host/],
  ['[2001:db8::1]:tag', /looks like a registry host/],
  ['[fe80::1%eth0]:5000/repo', /invalid registry host "\[fe80::1%eth0\]:5000"/],
  ['[fe80::1%@invalidzone]:5000/repo', /invalid (registry host|digest)/],
  ['repo:-tag', /invalid tag "-tag"/],
  [`repo:${'t'.repeat(129)}`, /invalid tag/],
  ['repo@sha256:xyz', /invalid digest "sha256:xyz"/],
  [`repo@sha256:${'F'.repeat(64)}`, /lower-case hex/],
  ['docker///docker', /a path component is empty/],
  ['docker/', /a path component is empty/],
  ['-docker', /invalid path component "-docker"/],
  ['dock..er/docker', /invalid path component "dock..er"/],
  ['_docker/_docker', /invalid path component "_docker"/],
  ['foo/Bar', /repository name "foo\/Bar" must be lowercase/],
  ['https://github.com/docker/docker', /invalid registry host "https:"/],
  ['x'.repeat(2000), /longer than 1024 characters/],
];

for (const [input, message, kind = 'invalid-argument'] of INVALID) {
  test(`parseReference refuses ${JSON.stringify(input.slice(0, 60))}`, () => {
    assert.throws(
      () => parseReference(input),
      (e: unknown) => isBerthError(e, kind as 'invalid-argument') && message.test((e as Error).message) && (e as Error).message.startsWith('invalid reference "'),
    );
  });
}

test('a hostile long input is refused quickly', () => {
  const started = process.hrtime.bigint();
  for (const s of [`${'a-'.repeat(500)}!`, `${'a.'.repeat(400)}a:${'9'.repeat(100)}/x!`, `${'[::'.repeat(300)}`, `${'a_'.repeat(120)}@`]) {
    assert.throws(() => parseReference(s));
  }
  assert.ok(process.hrtime.bigint() - started < 200_000_000n, 'under 200 ms');
});

test('withTag, withDigest, nameOnly, withDefaultTag and preferDigest (TestWithTag, TestWithDigest)', () => {
  const base = parseReference('test.com:8000/foo');
  assert.equal(fullString(withTag(base, 'TAG5')), 'test.com:8000/foo:TAG5');
  const d = `sha256:${'1'.repeat(64)}`;
  assert.equal(fullString(withTag(withDigest(base, d), 'TAG5')), `test.com:8000/foo:TAG5@${d}`);
  assert.equal(fullString(withDigest(withTag(base, 'latest'), d)), `test.com:8000/foo:latest@${d}`);
  assert.equal(fullString(nameOnly(withTag(base, 'x'))), 'test.com:8000/foo');
  assert.equal(fullString(withDefaultTag(base)), 'test.com:8000/foo:latest');
  assert.equal(fullString(withDefaultTag(withDigest(base, d))), `test.com:8000/foo@${d}`);
  assert.equal(fullString(preferDigest(withTag(withDigest(base, d), 'x'))), `test.com:8000/foo@${d}`);
  assert.deepEqual(JSON.parse(JSON.stringify(withTag(base, 'a'))), { registry: 'test.com:8000', repository: 'foo', tag: 'a' });
  assert.throws(() => withTag(base, '-foo'), (e: unknown) => isBerthError(e, 'invalid-argument') && /invalid tag "-foo"/.test((e as Error).message));
  assert.throws(() => withDigest(base, 'foo'), (e: unknown) => isBerthError(e, 'invalid-argument'));
});

test('validateRepositoryName follows the distribution-spec path grammar', () => {
  for (const ok of ['docker/docker', 'library/debian', 'a', 'docker-rules/docker', 'docker---rules/docker', 'dock__er/docker', 'd/docker', 'jess/t', 'a.b_c__d-e/f', 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev']) {
    assert.equal(validateRepositoryName(ok), ok);
  }
  const cases: Array<[string, RegExp]> = [
    ['', /at least one component/],
    ['Docker/docker', /must be lowercase/],
    ['docker///docker', /empty/],
    ['-docker/docker', /"-docker"/],
    ['docker-/docker', /"docker-"/],
    ['____/____', /"____"/],
    ['dock_.er/docker', /"dock_.er"/],
    ['dock-.er/docker', /"dock-.er"/],
    ['docker/', /empty/],
    ['localhost:5000/foo', /"localhost:5000"/],
    [`${'a/'.repeat(128)}a`, /not be more than 255 characters/],
  ];
  for (const [name, message] of cases) {
    assert.throws(
      () => validateRepositoryName(name),
      (e: unknown) => isBerthError(e, 'invalid-argument') && message.test((e as Error).message) && (e as Error).message.startsWith('invalid repository name'),
      name,
    );
  }
});

test('validateTag', () => {
  for (const ok of ['latest', 'v1.0', '_x', 'A-b.c_d', 'a'.repeat(128)]) assert.equal(validateTag(ok), ok);
  for (const bad of ['', '-x', '.x', 'a'.repeat(129), 'a/b', 'a:b', 'a@b', 'é']) {
    assert.throws(() => validateTag(bad), (e: unknown) => isBerthError(e, 'invalid-argument') && /^invalid tag/.test((e as Error).message), bad);
  }
});

test('isFullImageId', () => {
  assert.equal(isFullImageId('1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a'), true);
  assert.equal(isFullImageId('1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3'), false);
  assert.equal(isFullImageId('1A3F5E7D9C1B3A5F7E9D1C3B5A7F9E1D3C5B7A9F1E3D5D7C9B1A3F5E7D9C1B3A'), false);
});
