import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, test } from 'node:test';
import { readTar, TarWriter, tarHeader } from '../../archive/index.js';
import { digestOf } from '../../digest/digest.js';
import type { BerthError } from '../../internal/errors.js';
import { writeImage } from '../assemble.js';
import { readAllLimited } from '../blob.js';
import { copyImage } from '../copy.js';
import { OciLayout } from '../layout/layout.js';
import { OciLayoutSink } from '../layout/sink.js';
import { MemoryImageStore } from '../memory.js';
import { DOCKER_LAYER_TAR, DOCKER_MANIFEST, OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from '../mediatype.js';
import { TarFile } from '../tarfile.js';
import { DockerArchive } from './reader.js';
import { DockerArchiveSink } from './sink.js';

const roots: string[] = [];
after(async () => {
  for (const d of roots) await fs.rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-darchive-'));
  roots.push(d);
  return d;
}

/** A real one-file layer tar. */
async function layerTar(name: string, content: string): Promise<Buffer> {
  const w = new TarWriter();
  const done = readAllLimited(w, 1 << 20, 'tar');
  await w.add(tarHeader({ name, type: 'file', size: Buffer.byteLength(content), mode: 0o644 }), Buffer.from(content));
  await w.finish();
  return done;
}

async function sourceStore() {
  const store = new MemoryImageStore();
  const a1 = await layerTar('etc/hello', 'hello\n');
  const a2 = await layerTar('etc/world', 'world\n');
  const a = await writeImage(store, [{ tar: () => Readable.from([a1]) }, { tar: () => Readable.from([a2]) }], {
    tag: 'a',
    created: '2024-01-01T00:00:00Z',
    config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] } },
  });
  const b = await writeImage(store, [{ tar: () => Readable.from([a1]) }], { tag: 'b', created: '2024-01-01T00:00:00Z', config: { architecture: 'amd64', os: 'linux' } });
  return { store, a, b, a1, a2 };
}

async function members(file: string): Promise<Map<string, { type: string; linkname: string }>> {
  const out = new Map<string, { type: string; linkname: string }>();
  for await (const e of readTar((await fs.open(file)).createReadStream())) out.set(e.header.name, { type: e.header.type, linkname: e.header.linkname });
  return out;
}

test('DockerArchiveSink writes what docker save writes, and DockerArchive reads it back', async () => {
  const { store, a, b, a1, a2 } = await sourceStore();
  const file = path.join(await tmp(), 'out.tar');
  const sink = new DockerArchiveSink(file, { durable: false });
  await copyImage(await store.open('a'), sink, { tag: 'example.com/app:1' });
  await copyImage(await store.open('b'), sink, { tag: 'busybox' });
  await sink.commit();

  const names = await members(file);
  const hex = (d: string) => d.slice(7);
  for (const n of ['manifest.json', 'repositories', `${hex(a.config.digest)}.json`, `${hex(b.config.digest)}.json`, `${hex(digestOf(a1))}.tar`, `${hex(digestOf(a2))}.tar`]) {
    assert.ok(names.has(n), n);
  }
  const legacy = [...names.entries()].filter(([n]) => n.endsWith('/layer.tar'));
  assert.equal(legacy.length, 3); // a: two chain layers; b: its own top layer (other config)
  for (const [, m] of legacy) {
    assert.equal(m.type, 'symlink');
    assert.match(m.linkname, /^\.\.\/[a-f0-9]{64}\.tar$/);
  }
  assert.ok([...names.keys()].some((n) => /^[a-f0-9]{64}\/VERSION$/.test(n)));

  const archive = new DockerArchive(file);
  const images = await archive.images();
  assert.deepEqual(
    images.map((i) => [i.repoTags, i.id]),
    [
      [['example.com/app:1'], a.config.digest],
      [['busybox:latest'], b.config.digest],
    ],
  );
  const img = await archive.image('docker.io/library/busybox:latest');
  assert.equal(await img.configName(), b.config.digest);
  const app = await archive.image('example.com/app:1');
  const m = await app.manifest();
  assert.equal(m.mediaType, DOCKER_MANIFEST);
  assert.deepEqual(
    m.layers.map((l) => [l.mediaType, l.digest, l.size]),
    [
      [DOCKER_LAYER_TAR, digestOf(a1), a1.length],
      [DOCKER_LAYER_TAR, digestOf(a2), a2.length],
    ],
  );
  assert.deepEqual(await readAllLimited(await (await app.layers())[1].uncompressed(), 1 << 20, 't'), a2);
  assert.equal(await (await archive.image('@1')).configName(), b.config.digest);
  assert.equal(await (await archive.image(a.config.digest)).configName(), a.config.digest);
  await assert.rejects(archive.image(), (e: BerthError) => e.kind === 'invalid-argument' && /example\.com\/app:1, busybox:latest/.test(e.message));
  await assert.rejects(archive.image('nginx'), (e: BerthError) => e.kind === 'not-found');

  const repos = JSON.parse((await readAllLimited(await new TarFile(file, 'test').open('repositories'), 1e6, 'r')).toString());
  assert.deepEqual(Object.keys(repos).sort(), ['busybox', 'example.com/app']);
  assert.match(repos.busybox.latest, /^[a-f0-9]{64}$/);
});

test('docker-archive to OCI layout compresses the plain layers, like skopeo', async () => {
  const { store, a2 } = await sourceStore();
  const file = path.join(await tmp(), 'a.tar');
  const sink = new DockerArchiveSink(file, { durable: false });
  await copyImage(await store.open('a'), sink, { tag: 'app:1' });
  await sink.commit();
  const dir = path.join(await tmp(), 'layout');
  await copyImage(await new DockerArchive(file).image(), new OciLayoutSink(dir, { durable: false }), { tag: 'app' });
  const img = await new OciLayout(dir).image('app');
  const m = await img.manifest();
  assert.equal(m.mediaType, OCI_MANIFEST);
  assert.deepEqual(
    m.layers.map((l) => l.mediaType),
    [OCI_LAYER_TAR_GZIP, OCI_LAYER_TAR_GZIP],
  );
  assert.deepEqual(await readAllLimited(await (await img.layers())[1].uncompressed(), 1 << 20, 't'), a2);
});

/** Writes a tar of the given members. */
async function craft(file: string, entries: [string, string | Buffer][]): Promise<void> {
  const w = new TarWriter();
  const done = pipeline(w, createWriteStream(file));
  for (const [name, body] of entries) {
    const b = Buffer.from(body);
    await w.add(tarHeader({ name, type: 'file', size: b.length }), b);
  }
  await w.finish();
  await done;
}

async function craftedImage(layer: Buffer, diffID = digestOf(layer)) {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffID] } });
  return { config, configName: `${digestOf(config).slice(7)}.json` };
}

test('hostile docker-archive: no manifest.json', async () => {
  const file = path.join(await tmp(), 'x.tar');
  await craft(file, [['repositories', '{}']]);
  await assert.rejects(new DockerArchive(file).image(), (e: BerthError) => e.kind === 'not-found' && /manifest\.json/.test(e.message));
});

test('hostile docker-archive: malformed manifest.json', async () => {
  const file = path.join(await tmp(), 'x.tar');
  await craft(file, [['manifest.json', '[{"Config": 1}]']]);
  await assert.rejects(new DockerArchive(file).image(), (e: BerthError) => e.kind === 'invalid-argument' && /\[0\]\.Config/.test(e.message));
});

test('hostile docker-archive: a layer path climbing out of the archive', async () => {
  const file = path.join(await tmp(), 'x.tar');
  const layer = await layerTar('a', 'a');
  const { config, configName } = await craftedImage(layer);
  await craft(file, [
    [configName, config],
    ['manifest.json', JSON.stringify([{ Config: configName, RepoTags: ['x:1'], Layers: ['../../etc/passwd'] }])],
  ]);
  await assert.rejects(new DockerArchive(file).image(), (e: BerthError) => e.kind === 'invalid-argument' && /Layers\[0\]/.test(e.message));
});

test('hostile docker-archive: a layer that does not match its diff ID fails as corrupt', async () => {
  const dir = await tmp();
  const file = path.join(dir, 'x.tar');
  const layer = await layerTar('a', 'a');
  const { config, configName } = await craftedImage(layer, digestOf('something else'));
  await craft(file, [
    ['abc/layer.tar', layer],
    [configName, config],
    ['manifest.json', JSON.stringify([{ Config: configName, RepoTags: ['x:1'], Layers: ['abc/layer.tar'] }])],
  ]);
  const img = await new DockerArchive(file).image('x:1');
  await assert.rejects(readAllLimited(await (await img.layers())[0].compressed(), 1 << 20, 't'), (e: BerthError) => e.kind === 'corrupt');
  const out = path.join(dir, 'layout');
  await assert.rejects(copyImage(img, new OciLayoutSink(out, { durable: false })), (e: BerthError) => e.kind === 'corrupt');
  assert.equal((await new OciLayout(out).indexManifest()).manifests.length, 0);
});

test('hostile docker-archive: diff_ids and Layers disagree in number', async () => {
  const file = path.join(await tmp(), 'x.tar');
  const layer = await layerTar('a', 'a');
  const { config, configName } = await craftedImage(layer);
  await craft(file, [
    ['l.tar', layer],
    [configName, config],
    ['manifest.json', JSON.stringify([{ Config: configName, RepoTags: null, Layers: ['l.tar', 'l.tar'] }])],
  ]);
  await assert.rejects(new DockerArchive(file).image(), (e: BerthError) => e.kind === 'invalid-argument' && /2 layers but 1 diff_ids/.test(e.message));
});

test('DockerArchiveSink: abort and a failed copy leave no file behind', async () => {
  const { store, a } = await sourceStore();
  const dir = await tmp();
  const file = path.join(dir, 'out.tar');
  const sink = new DockerArchiveSink(file, { durable: false });
  await copyImage(await store.open('a'), sink, { tag: 'a:1' });
  await sink.abort();
  assert.deepEqual(await fs.readdir(dir), []);
  await assert.rejects(new DockerArchiveSink(file).commit(), (e: BerthError) => e.kind === 'failed-precondition');
  // A corrupt source blob: the copy fails, abort cleans up, the target never appears.
  const bad = store.blobs.get(a.layers[0].digest)!;
  store.blobs.set(a.layers[0].digest, Buffer.concat([bad, Buffer.from('x')]));
  const sink2 = new DockerArchiveSink(file, { durable: false });
  await assert.rejects(copyImage(await store.open('a'), sink2, { tag: 'a:1' }), (e: BerthError) => e.kind === 'corrupt');
  await sink2.abort();
  assert.deepEqual(await fs.readdir(dir), []);
});

test('docker 25+ archives (OCI blobs plus manifest.json) keep the original manifest and its digest', async () => {
  const dir = await tmp();
  const layoutDir = path.join(dir, 'layout');
  const layer = await layerTar('etc/os-release', 'ID=test\n');
  const w = await writeImage(new OciLayoutSink(layoutDir, { durable: false }), [{ tar: () => Readable.from([layer]) }], {
    tag: 'latest',
    compression: 'none',
    created: '2024-01-01T00:00:00Z',
    config: { architecture: 'amd64', os: 'linux' },
  });
  const blob = (d: string) => `blobs/sha256/${d.slice(7)}`;
  const file = path.join(dir, 'docker25.tar');
  const read = (d: string) => fs.readFile(path.join(layoutDir, blob(d)));
  await craft(file, [
    ['oci-layout', await fs.readFile(path.join(layoutDir, 'oci-layout'))],
    [blob(w.layers[0].digest), await read(w.layers[0].digest)],
    [blob(w.config.digest), await read(w.config.digest)],
    [blob(w.descriptor.digest), await read(w.descriptor.digest)],
    [
      'index.json',
      JSON.stringify({ schemaVersion: 2, manifests: [{ ...w.descriptor, annotations: { 'io.containerd.image.name': 'docker.io/library/test:1', 'org.opencontainers.image.ref.name': '1' } }] }),
    ],
    ['manifest.json', JSON.stringify([{ Config: blob(w.config.digest), RepoTags: ['test:1'], Layers: [blob(w.layers[0].digest)] }])],
  ]);
  const img = await new DockerArchive(file).image('test:1');
  assert.equal(await img.digest(), w.descriptor.digest);
  assert.equal(await img.mediaType(), OCI_MANIFEST);
  assert.deepEqual(await readAllLimited(await (await img.layers())[0].uncompressed(), 1 << 20, 't'), layer);
});

/** Like craft, but with symlinks: [name, target] pairs after the files. */
async function craftWithLinks(file: string, files: [string, string | Buffer][], links: [string, string][]): Promise<void> {
  const w = new TarWriter();
  const done = pipeline(w, createWriteStream(file));
  for (const [name, body] of files) {
    const b = Buffer.from(body);
    await w.add(tarHeader({ name, type: 'file', size: b.length }), b);
  }
  for (const [name, target] of links) await w.add(tarHeader({ name, type: 'symlink', linkname: target }));
  await w.finish();
  await done;
}

test('hostile docker-archive: a layer symlink loop is refused', async () => {
  const file = path.join(await tmp(), 'x.tar');
  const layer = await layerTar('a', 'a');
  const { config, configName } = await craftedImage(layer);
  await craftWithLinks(
    file,
    [
      [configName, config],
      ['manifest.json', JSON.stringify([{ Config: configName, RepoTags: ['x:1'], Layers: ['a/layer.tar'] }])],
    ],
    [
      ['a/layer.tar', '../b/layer.tar'],
      ['b/layer.tar', '../a/layer.tar'],
    ],
  );
  await assert.rejects(new DockerArchive(file).image(), (e: BerthError) => e.kind === 'invalid-argument' && /too many links/.test(e.message));
});

test('hostile docker-archive: a layer symlink pointing out of the archive names nothing', async () => {
  const dir = await tmp();
  const file = path.join(dir, 'x.tar');
  const layer = await layerTar('a', 'a');
  await fs.writeFile(path.join(dir, 'outside.tar'), layer);
  const { config, configName } = await craftedImage(layer);
  await craftWithLinks(
    file,
    [
      [configName, config],
      ['manifest.json', JSON.stringify([{ Config: configName, RepoTags: ['x:1'], Layers: ['l/layer.tar'] }])],
    ],
    [['l/layer.tar', '../../outside.tar']],
  );
  await assert.rejects(new DockerArchive(file).image(), (e: BerthError) => e.kind === 'not-found' && /l\/layer\.tar/.test(e.message));
});

test('a layer behind a symlink (as skopeo and podman write them) is read through it', async () => {
  const file = path.join(await tmp(), 'x.tar');
  const layer = await layerTar('a', 'through a link');
  const { config, configName } = await craftedImage(layer);
  const hex = digestOf(layer).slice(7);
  await craftWithLinks(
    file,
    [
      [`${hex}.tar`, layer],
      [configName, config],
      ['manifest.json', JSON.stringify([{ Config: configName, RepoTags: ['x:1'], Layers: ['abc/layer.tar'] }])],
    ],
    [['abc/layer.tar', `../${hex}.tar`]],
  );
  const img = await new DockerArchive(file).image('x:1');
  assert.deepEqual(await readAllLimited(await (await img.layers())[0].uncompressed(), 1 << 20, 't'), layer);
});
