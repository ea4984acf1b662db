// Interop: images pushed by skopeo and podman are pulled by berth and unpack to exactly the
// tree umoci unpacks (files, modes, owners, contents, whiteouts applied); images pushed by
// berth are pulled and run by podman. Every peer has its own root and config in temp.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { chainIDs } from '../src/store/index.js';
import type { Digest } from '../src/digest/digest.js';
import { type Distribution, run, sha256, skopeo, startDistribution, writeOciLayout } from './client-helpers.js';
import { type Sandbox, sandbox, treeListing } from './images-helpers.js';
import { type RawEntry, rawTar } from './layer-fixtures.js';

let box: Sandbox;
let reg: Distribution;
let host: string;
let podman: (...args: string[]) => Promise<string>;

const BUSYBOX = await fs.readFile('/bin/busybox');

/** Three layers exercising modes, owners, links, a whiteout and an opaque directory. */
function richLayers(): RawEntry[][] {
  return [
    [
      { name: 'bin/', type: 'directory' },
      { name: 'bin/busybox', body: BUSYBOX, mode: 0o755 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', body: 'root:x:0:0:root:/root:/bin/sh\n' },
      { name: 'etc/secret', body: 'hidden', mode: 0o600 },
      { name: 'etc/old', body: 'to be removed' },
      { name: 'var/', type: 'directory' },
      { name: 'var/cache/', type: 'directory', mode: 0o700 },
      { name: 'var/cache/a', body: 'a' },
      { name: 'var/cache/b', body: 'b' },
    ],
    [
      { name: 'home/', type: 'directory' },
      { name: 'home/user/', type: 'directory', uid: 1000, gid: 1000, mode: 0o750 },
      { name: 'home/user/notes', body: 'owned by user', uid: 1000, gid: 1000 },
      { name: 'usr/', type: 'directory' },
      { name: 'usr/bin/', type: 'directory' },
      { name: 'usr/bin/suid', body: '#!/bin/sh\n', mode: 0o4755 },
      { name: 'usr/bin/link', type: 'hardlink', linkname: 'usr/bin/suid' },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.old', body: '' },
    ],
    [
      { name: 'var/', type: 'directory' },
      { name: 'var/cache/', type: 'directory', mode: 0o700 },
      { name: 'var/cache/.wh..wh..opq', body: '' },
      { name: 'var/cache/c', body: 'fresh' },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', body: 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n' },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
    ],
  ];
}

function ociImage(layers: RawEntry[][]) {
  const tars = layers.map((l) => rawTar(l));
  const gz = tars.map((t) => gzipSync(t));
  const blob = (b: Buffer, mediaType: string) => ({ digest: sha256(b), size: b.length, mediaType, bytes: b });
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: tars.map((t) => sha256(t)) } }),
  );
  const layerBlobs = gz.map((b) => blob(b, 'application/vnd.oci.image.layer.v1.tar+gzip'));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layerBlobs.map(({ bytes: _b, ...d }) => d),
    }),
  );
  return { manifest, manifestDigest: sha256(manifest), config: blob(config, 'application/vnd.oci.image.config.v1+json'), layers: layerBlobs };
}

/** The merged view of a berth image: its layer dirs mounted as a read-only overlay. */
async function withMergedImage<T>(name: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const r = await box.berth(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', name]);
  assert.equal(r.code, 0, r.stderr);
  const chains = chainIDs(JSON.parse(r.stdout) as Digest[]);
  const lowers = chains.map((c) => path.join(box.root, 'layers', c.slice(7), 'diff')).reverse();
  const target = await fs.mkdtemp(path.join(box.dir, 'merged-'));
  if (lowers.length === 1) lowers.push(await fs.mkdtemp(path.join(box.dir, 'empty-')));
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lowers.join(':')}`, target]);
  try {
    return await fn(target);
  } finally {
    await run('umount', [target]);
  }
}

before(async () => {
  box = await sandbox('berth-images-interop-');
  reg = await startDistribution(path.join(box.dir, 'registry'));
  host = `127.0.0.1:${reg.port}`;
  const penv = { ...process.env, CONTAINERS_REGISTRIES_CONF: path.join(box.dir, 'registries.conf'), TMPDIR: box.dir, HOME: path.join(box.dir, 'home') };
  const base = ['--root', path.join(box.dir, 'podman-root'), '--runroot', path.join(box.dir, 'podman-run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--runtime', 'runc'];
  podman = async (...args: string[]) => (await run('podman', [...base, ...args], { env: penv, maxBuffer: 1 << 26 })).stdout;
});

after(async () => {
  await podman?.('rm', '-a', '-f').catch(() => {});
  await podman?.('rmi', '-a', '-f').catch(() => {});
  await reg?.stop();
  await box?.done();
});

test('an image pushed by skopeo unpacks in berth exactly as umoci unpacks it', async () => {
  const image = ociImage(richLayers());
  const layout = path.join(box.dir, 'rich-layout');
  await writeOciLayout(layout, image, 'rich');
  await skopeo(box.dir, ['copy', '--dest-tls-verify=false', `oci:${layout}:rich`, `docker://${host}/interop/rich:1`]);
  const r = await box.berth(['pull', '-q', `${host}/interop/rich:1`]);
  assert.equal(r.code, 0, r.stderr);
  const bundle = path.join(box.dir, 'umoci-bundle');
  await run('umoci', ['unpack', '--image', `${layout}:rich`, bundle]);
  const expected = await treeListing(path.join(bundle, 'rootfs'));
  assert.ok(expected.some((l) => l.startsWith('home/user/notes f 644 1000:1000')), 'the fixture has owners');
  assert.ok(!expected.some((l) => l.startsWith('etc/old') || l.startsWith('var/cache/a')), 'umoci applied the whiteouts');
  const got = await withMergedImage(`${host}/interop/rich:1`, (dir) => treeListing(dir));
  assert.deepEqual(got, expected);
});

test('an image pushed by podman is pulled by berth with the same files', async () => {
  const src = path.join(box.dir, 'pm-rootfs');
  await fs.mkdir(path.join(src, 'bin'), { recursive: true });
  await fs.writeFile(path.join(src, 'bin', 'busybox'), BUSYBOX, { mode: 0o755 });
  await fs.writeFile(path.join(src, 'hello.txt'), 'from podman\n');
  await run('tar', ['-C', src, '-cf', path.join(box.dir, 'pm.tar'), '.']);
  await podman('import', path.join(box.dir, 'pm.tar'), 'localhost/pm:1');
  await podman('push', '--tls-verify=false', 'localhost/pm:1', `${host}/interop/pm:1`);
  const r = await box.berth(['pull', '-q', `${host}/interop/pm:1`]);
  assert.equal(r.code, 0, r.stderr);
  const got = await withMergedImage(`${host}/interop/pm:1`, (dir) => treeListing(dir));
  assert.deepEqual(got, await treeListing(src));
});

test('an image pushed by berth is pulled and run by podman', async () => {
  let r = await box.berth(['tag', `${host}/interop/rich:1`, `${host}/interop/from-berth:1`]);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['push', `${host}/interop/from-berth:1`]);
  assert.equal(r.code, 0, r.stderr);
  await podman('pull', '--tls-verify=false', `${host}/interop/from-berth:1`);
  const out = await podman('run', '--rm', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', `${host}/interop/from-berth:1`, '/bin/sh', '-c', 'cat /var/cache/c; ls /var/cache; ls /etc/old /var/cache/a 2>&1 | wc -l; stat -c "%u %a" /home/user/notes');
  assert.equal(out, 'freshc\n2\n1000 644\n');
});
