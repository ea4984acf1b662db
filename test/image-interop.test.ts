// Interoperability of berth's image formats with the real peers: skopeo, umoci and podman
// read what berth writes (OCI layout, docker-archive, oci-archive), and berth reads theirs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { TarWriter, type TarHeader, tarHeader } from '../src/archive/index.js';
import { type Digest, digestOf } from '../src/digest/digest.js';
import {
  copyImage,
  DockerArchive,
  DockerArchiveSink,
  type Image,
  OciArchive,
  OciArchiveSink,
  OciLayout,
  OciLayoutSink,
  readAllLimited,
  writeImage,
} from '../src/image/index.js';

const run = promisify(execFile);
let root: string;
let layout: string;
let dockerArchive: string;
let ociArchive: string;
let diffIDs: Digest[];
let configDigest: Digest;
let manifestDigest: Digest;

async function tarOf(entries: [Partial<TarHeader> & Pick<TarHeader, 'name' | 'type'>, string?][]): Promise<Buffer> {
  const w = new TarWriter();
  const out = readAllLimited(w, 1 << 26, 'layer');
  for (const [h, body] of entries) {
    const b = body === undefined ? undefined : Buffer.from(body);
    await w.add(tarHeader({ ...h, ...(b ? { size: b.length } : {}) }), b);
  }
  await w.finish();
  return out;
}

const BIG = 'x'.repeat(200_000);

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-image-interop-'));
  const l1 = await tarOf([
    [{ name: 'bin/', type: 'directory', mode: 0o755 }],
    [{ name: 'bin/tool', type: 'file', mode: 0o755 }, '#!/bin/sh\necho tool\n'],
    [{ name: 'bin/link', type: 'symlink', linkname: 'tool', mode: 0o777 }],
    [{ name: 'etc/', type: 'directory', mode: 0o755 }],
    [{ name: 'etc/hello', type: 'file', mode: 0o644 }, 'hello\n'],
    [{ name: 'home/', type: 'directory', mode: 0o755 }],
    [{ name: 'home/user/', type: 'directory', mode: 0o700, uid: 1000, gid: 1000 }],
    [{ name: 'home/user/note', type: 'file', mode: 0o640, uid: 1000, gid: 1000 }, 'note\n'],
    [{ name: 'data/', type: 'directory', mode: 0o755 }],
    [{ name: 'data/big', type: 'file', mode: 0o644 }, BIG],
  ]);
  const l2 = await tarOf([
    [{ name: 'etc/', type: 'directory', mode: 0o755 }],
    [{ name: 'etc/hello', type: 'file', mode: 0o600 }, 'bye\n'],
    [{ name: 'data/', type: 'directory', mode: 0o755 }],
    [{ name: 'data/.wh.big', type: 'file', mode: 0o644 }, ''],
  ]);
  layout = path.join(root, 'layout');
  const w = await writeImage(new OciLayoutSink(layout, { durable: false }), [{ tar: () => Readable.from([l1]) }, { tar: () => Readable.from([l2]) }], {
    tag: 'v1',
    created: '2024-05-01T10:00:00Z',
    config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/tool'], Env: ['PATH=/bin'] } },
  });
  diffIDs = w.diffIDs;
  configDigest = w.config.digest;
  manifestDigest = w.descriptor.digest;
  dockerArchive = path.join(root, 'berth-docker.tar');
  const da = new DockerArchiveSink(dockerArchive, { durable: false });
  await copyImage(await new OciLayout(layout).image('v1'), da, { tag: 'localhost/berth/interop:v1' });
  await da.commit();
  ociArchive = path.join(root, 'berth-oci.tar');
  const oa = new OciArchiveSink(ociArchive, { durable: false });
  await copyImage(await new OciLayout(layout).image('v1'), oa, { tag: 'v1' });
  await oa.commit();
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function layerDigests(img: Image): Promise<{ diffIDs: Digest[]; uncompressed: Digest[] }> {
  const out = { diffIDs: [] as Digest[], uncompressed: [] as Digest[] };
  for (const l of await img.layers()) {
    out.diffIDs.push(await l.diffID());
    out.uncompressed.push(digestOf(await readAllLimited(await l.uncompressed(), 1 << 26, 'layer')));
  }
  return out;
}

/** Same layers as berth wrote; the same config too unless the peer rewrote it (skopeo does when it converts to OCI). */
async function expectSameImage(img: Image, sameConfig = true): Promise<void> {
  if (sameConfig) assert.equal(await img.configName(), configDigest);
  assert.deepEqual((await img.config()).rootfs.diff_ids, diffIDs);
  const got = await layerDigests(img);
  assert.deepEqual(got.diffIDs, diffIDs);
  assert.deepEqual(got.uncompressed, diffIDs);
}

test('skopeo inspects the OCI layout berth wrote', async () => {
  const { stdout } = await run('skopeo', ['inspect', `oci:${layout}:v1`]);
  const info = JSON.parse(stdout);
  assert.equal(info.Digest, manifestDigest);
  assert.equal(info.Architecture, 'amd64');
  const m = await (await new OciLayout(layout).image('v1')).manifest();
  assert.deepEqual(
    info.Layers,
    m.layers.map((l) => l.digest),
  );
  const { stdout: cfg } = await run('skopeo', ['inspect', '--config', `oci:${layout}:v1`]);
  assert.deepEqual(JSON.parse(cfg).rootfs.diff_ids, diffIDs);
});

test('umoci unpacks the OCI layout berth wrote into the expected tree', async () => {
  const bundle = path.join(root, 'bundle');
  await run('umoci', ['unpack', '--image', `${layout}:v1`, bundle]);
  const rootfs = path.join(bundle, 'rootfs');
  const seen: string[] = [];
  for (const e of await fs.readdir(rootfs, { recursive: true })) seen.push(e);
  assert.deepEqual(seen.sort(), ['bin', 'bin/link', 'bin/tool', 'data', 'etc', 'etc/hello', 'home', 'home/user', 'home/user/note'].sort());
  const st = async (p: string) => fs.lstat(path.join(rootfs, p));
  assert.equal((await st('bin/tool')).mode & 0o7777, 0o755);
  assert.equal(await fs.readFile(path.join(rootfs, 'bin/tool'), 'utf8'), '#!/bin/sh\necho tool\n');
  assert.equal(await fs.readlink(path.join(rootfs, 'bin/link')), 'tool');
  assert.equal((await st('etc/hello')).mode & 0o7777, 0o600);
  assert.equal(await fs.readFile(path.join(rootfs, 'etc/hello'), 'utf8'), 'bye\n');
  const note = await st('home/user/note');
  assert.deepEqual([note.uid, note.gid, note.mode & 0o7777], [1000, 1000, 0o640]);
  const home = await st('home/user');
  assert.deepEqual([home.uid, home.gid, home.mode & 0o7777], [1000, 1000, 0o700]);
  const runtime = JSON.parse(await fs.readFile(path.join(bundle, 'config.json'), 'utf8'));
  assert.deepEqual(runtime.process.args, ['/bin/tool']);
});

test('skopeo copies berth OCI layout to docker-archive, and berth reads that archive', async () => {
  const file = path.join(root, 'skopeo-docker.tar');
  await run('skopeo', ['copy', '--quiet', `oci:${layout}:v1`, `docker-archive:${file}:example.com/skopeo/out:1`]);
  const archive = new DockerArchive(file);
  assert.deepEqual(
    (await archive.images()).map((i) => i.repoTags),
    [['example.com/skopeo/out:1']],
  );
  await expectSameImage(await archive.image('example.com/skopeo/out:1'));
});

test('skopeo reads berth docker-archive and oci-archive; berth reads skopeo oci: output byte for byte', async () => {
  const { stdout } = await run('skopeo', ['inspect', '--config', `docker-archive:${dockerArchive}`]);
  assert.deepEqual(JSON.parse(stdout).rootfs.diff_ids, diffIDs);
  const { stdout: o } = await run('skopeo', ['inspect', `oci-archive:${ociArchive}:v1`]);
  assert.equal(JSON.parse(o).Digest, manifestDigest);
  const out = path.join(root, 'skopeo-oci');
  await run('skopeo', ['copy', '--quiet', `docker-archive:${dockerArchive}`, `oci:${out}:fromdocker`]);
  // skopeo re-serialises the config when it converts Docker schema 2 to OCI.
  await expectSameImage(await new OciLayout(out).image('fromdocker'), false);
  // An OCI -> OCI copy changes nothing: same manifest digest as berth wrote.
  await run('skopeo', ['copy', '--quiet', `oci:${layout}:v1`, `oci:${out}:same`]);
  const same = await new OciLayout(out).image('same');
  assert.equal(await same.digest(), manifestDigest);
  await expectSameImage(same);
});

async function podman(store: string, args: string[]): Promise<string> {
  const { stdout } = await run('podman', [
    '--root',
    path.join(store, 'root'),
    '--runroot',
    path.join(store, 'run'),
    '--storage-driver',
    'vfs',
    '--events-backend',
    'none',
    '--cgroup-manager',
    'cgroupfs',
    ...args,
  ]);
  return stdout;
}

test('podman loads berth archives and saves archives berth reads with identical layers', async () => {
  const store = path.join(root, 'podman');
  const loaded = await podman(store, ['load', '-i', dockerArchive]);
  assert.match(loaded, /localhost\/berth\/interop:v1/);
  const [inspect] = JSON.parse(await podman(store, ['image', 'inspect', 'localhost/berth/interop:v1']));
  assert.equal(`sha256:${inspect.Id}`, configDigest);
  assert.deepEqual(inspect.RootFS.Layers, diffIDs);
  const fromOci = await podman(store, ['load', '-i', ociArchive]);
  assert.match(fromOci, /Loaded image/);

  const savedDocker = path.join(root, 'podman-docker.tar');
  await podman(store, ['save', '--format', 'docker-archive', '-o', savedDocker, 'localhost/berth/interop:v1']);
  await expectSameImage(await new DockerArchive(savedDocker).image('localhost/berth/interop:v1'));
  const savedOci = path.join(root, 'podman-oci.tar');
  await podman(store, ['save', '--format', 'oci-archive', '-o', savedOci, 'localhost/berth/interop:v1']);
  await expectSameImage(await new OciArchive(savedOci).image());
});

test('berth reads layouts umoci made with init, new, insert, config and repack', async () => {
  const dir = path.join(root, 'umoci');
  await run('umoci', ['init', '--layout', dir]);
  await run('umoci', ['new', '--image', `${dir}:base`]);
  const src = path.join(root, 'umoci-src');
  await fs.mkdir(src);
  await fs.writeFile(path.join(src, 'file'), 'inserted by umoci\n');
  await run('umoci', ['insert', '--image', `${dir}:base`, path.join(src, 'file'), '/opt/file']);
  await run('umoci', ['config', '--image', `${dir}:base`, '--config.cmd', '/bin/sh']);
  const bundle = path.join(root, 'umoci-bundle');
  await run('umoci', ['unpack', '--image', `${dir}:base`, bundle]);
  await fs.writeFile(path.join(bundle, 'rootfs', 'added'), 'added in repack\n');
  await run('umoci', ['repack', '--image', `${dir}:next`, bundle]);

  const reader = new OciLayout(dir);
  const base = await reader.image('base');
  assert.deepEqual((await base.config()).config?.Cmd, ['/bin/sh']);
  const next = await reader.image('next');
  const layers = await next.layers();
  assert.equal(layers.length, 2);
  const got = await layerDigests(next);
  assert.deepEqual(got.uncompressed, got.diffIDs);
  assert.deepEqual((await next.config()).rootfs.diff_ids, got.diffIDs);
  // umoci's own layer bytes pass through a berth copy unchanged.
  const out = path.join(root, 'umoci-copy');
  const r = await copyImage(next, new OciLayoutSink(out, { durable: false }), { tag: 'next' });
  assert.equal(r.descriptor.digest, await next.digest());
  const { stdout } = await run('umoci', ['ls', '--layout', out]);
  assert.equal(stdout.trim(), 'next');
});

/** Starts a dockerd of our own (vfs, no networking) in `dir`; returns its socket and a stop function. */
async function startDockerd(dir: string): Promise<{ host: string; stop: () => Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const sock = path.join(dir, 'docker.sock');
  const log = await fs.open(path.join(dir, 'dockerd.log'), 'w');
  // Its own daemon.json, so nothing in /etc/docker changes how this daemon behaves.
  await fs.writeFile(path.join(dir, 'daemon.json'), '{}');
  const child = spawn(
    '/usr/sbin/dockerd',
    [
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--config-file',
      path.join(dir, 'daemon.json'),
      '--storage-driver',
      'vfs',
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      path.join(dir, 'exec'),
      '--pidfile',
      path.join(dir, 'docker.pid'),
      '-H',
      `unix://${sock}`,
    ],
    { stdio: ['ignore', log.fd, log.fd] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await log.close();
  };
  const host = `unix://${sock}`;
  for (let i = 0; i < 100; i++) {
    try {
      await run('/usr/bin/docker', ['--config', path.join(dir, 'client'), '-H', host, 'version']);
      return { host, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stop();
  throw new Error(`dockerd did not start: ${await fs.readFile(path.join(dir, 'dockerd.log'), 'utf8')}`);
}

test('docker 20.10 loads the berth docker-archive, and berth reads what docker save writes', async () => {
  const dir = await fs.mkdtemp(path.join('/tmp', 'berth-dockerd-'));
  const docker = await startDockerd(dir);
  try {
    const { stdout } = await run('/usr/bin/docker', ['--config', path.join(dir, 'client'), '-H', docker.host, 'load', '-i', dockerArchive]);
    assert.match(stdout, /Loaded image: localhost\/berth\/interop:v1/);
    const [inspect] = JSON.parse((await run('/usr/bin/docker', ['--config', path.join(dir, 'client'), '-H', docker.host, 'image', 'inspect', 'localhost/berth/interop:v1'])).stdout);
    assert.equal(inspect.Id, configDigest);
    assert.deepEqual(inspect.RootFS.Layers, diffIDs);
    const saved = path.join(root, 'docker-saved.tar');
    await run('/usr/bin/docker', ['--config', path.join(dir, 'client'), '-H', docker.host, 'save', '-o', saved, 'localhost/berth/interop:v1']);
    const archive = new DockerArchive(saved);
    assert.deepEqual(
      (await archive.images()).map((i) => i.repoTags),
      [['localhost/berth/interop:v1']],
    );
    await expectSameImage(await archive.image('localhost/berth/interop:v1'));
  } finally {
    await docker.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a rootfs directory becomes an OCI layout umoci unpacks (src/layer makes the layer, src/image the image)', async () => {
  const { createLayerFromDirectory } = await import('../src/layer/index.js');
  const rootfs = path.join(root, 'glue-rootfs');
  await fs.mkdir(path.join(rootfs, 'usr/bin'), { recursive: true });
  await fs.writeFile(path.join(rootfs, 'usr/bin/app'), '#!/bin/sh\necho app\n', { mode: 0o755 });
  await fs.symlink('app', path.join(rootfs, 'usr/bin/app2'));
  const blob = createLayerFromDirectory(rootfs);
  const dir = path.join(root, 'glue-layout');
  const w = await writeImage(new OciLayoutSink(dir, { durable: false }), [{ blob: () => blob.stream, compression: 'gzip', diffID: async () => (await blob.done).diffID }], {
    tag: 'glue',
    config: { architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/usr/bin/app'] } },
  });
  assert.equal(w.layers[0].digest, (await blob.done).digest);
  const bundle = path.join(root, 'glue-bundle');
  await run('umoci', ['unpack', '--image', `${dir}:glue`, bundle]);
  assert.equal(await fs.readFile(path.join(bundle, 'rootfs/usr/bin/app'), 'utf8'), '#!/bin/sh\necho app\n');
  assert.equal(await fs.readlink(path.join(bundle, 'rootfs/usr/bin/app2')), 'app');
  assert.equal((await fs.stat(path.join(bundle, 'rootfs/usr/bin/app'))).mode & 0o777, 0o755);
});
