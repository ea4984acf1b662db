import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type Digest, digestOf } from '../digest/digest.js';
import type { BerthError } from '../internal/errors.js';
import { writeImage } from './assemble.js';
import { readAllLimited } from './blob.js';
import { copyImage } from './copy.js';
import { type Image, type Index, isIndexHandle } from './handles.js';
import { MemoryImageStore } from './memory.js';
import { DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, OCI_INDEX, OCI_LAYER_TAR, OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from './mediatype.js';
import type { Descriptor } from './types.js';
import { parseManifest } from './validate.js';

const L1 = Buffer.from('first layer bytes '.repeat(100));
const L2 = Buffer.from('second layer '.repeat(50));
const CREATED = '2024-01-01T00:00:00Z';

async function sample(options: { format?: 'oci' | 'docker'; compression?: 'gzip' | 'none'; tag?: string; arch?: string } = {}) {
  const store = new MemoryImageStore('src');
  const written = await writeImage(store, [{ tar: () => Readable.from([L1]) }, { tar: () => Readable.from([L2]) }], {
    tag: options.tag ?? 'latest',
    format: options.format,
    compression: options.compression,
    created: CREATED,
    config: { architecture: options.arch ?? 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] } },
  });
  return { store, written };
}

const asImage = (h: Image | Index): Image => {
  assert.ok(!isIndexHandle(h));
  return h;
};
const bytesOf = async (s: Promise<Readable>) => readAllLimited(await s, 1 << 30, 'test');

test('writeImage then the handles: manifest, config, layers with diff IDs, verified bodies', async () => {
  const { store, written } = await sample();
  const img = asImage(await store.open('latest'));
  assert.equal(await img.mediaType(), OCI_MANIFEST);
  assert.equal(await img.digest(), written.descriptor.digest);
  assert.equal(await img.digest(), digestOf(await img.rawManifest()));
  const config = await img.config();
  assert.deepEqual(config.rootfs.diff_ids, [digestOf(L1), digestOf(L2)]);
  assert.equal(config.created, CREATED);
  assert.equal(config.history?.length, 2);
  assert.equal(await img.configName(), written.config.digest);
  const layers = await img.layers();
  assert.equal(layers.length, 2);
  assert.equal(await layers[0].mediaType(), OCI_LAYER_TAR_GZIP);
  assert.equal(await layers[0].diffID(), digestOf(L1));
  const gz = await bytesOf(layers[1].compressed());
  assert.equal(digestOf(gz), await layers[1].digest());
  assert.deepEqual(gunzipSync(gz), L2);
  assert.deepEqual(await bytesOf(layers[1].uncompressed()), L2);
  assert.equal(await (await img.layerByDiffID(digestOf(L2))).digest(), await layers[1].digest());
  await assert.rejects(img.layerByDigest(digestOf('nope')), (e: BerthError) => e.kind === 'not-found');
});

test('copyImage keeps manifests byte-identical when the sink takes them as they are', async () => {
  const { store, written } = await sample();
  const sink = new MemoryImageStore('dst');
  const events: string[] = [];
  const r = await copyImage(await store.open('latest'), sink, { tag: 'v1', onBlob: (_d, o) => events.push(o) });
  assert.equal(r.converted, false);
  assert.equal(r.descriptor.digest, written.descriptor.digest);
  assert.deepEqual(events, ['written', 'written', 'written']);
  assert.deepEqual([...sink.blobs.keys()].sort(), [...store.blobs.keys()].sort());
  // A second copy finds every blob already there.
  events.length = 0;
  await copyImage(await store.open('latest'), sink, { tag: 'v2', onBlob: (_d, o) => events.push(o) });
  assert.deepEqual(events, ['skipped', 'skipped', 'skipped']);
});

test('copyImage decompresses layers for a sink that wants them plain; config and diff IDs stay', async () => {
  const { store, written } = await sample();
  const sink = new MemoryImageStore('dst');
  const r = await copyImage(await store.open('latest'), sink, { tag: 'plain', layerCompression: 'none' });
  assert.equal(r.converted, true);
  const img = asImage(await sink.open('plain'));
  const m = await img.manifest();
  assert.deepEqual(
    m.layers.map((l) => [l.mediaType, l.digest, l.size]),
    [
      [OCI_LAYER_TAR, digestOf(L1), L1.length],
      [OCI_LAYER_TAR, digestOf(L2), L2.length],
    ],
  );
  assert.equal(m.config.digest, written.config.digest);
  assert.deepEqual(await bytesOf((await img.layers())[0].uncompressed()), L1);
});

test('copyImage compresses plain layers for a sink that wants gzip, like skopeo to oci:', async () => {
  const { store } = await sample({ compression: 'none', format: 'docker' });
  const sink = new MemoryImageStore('dst');
  await copyImage(await store.open('latest'), sink, { tag: 'gz', layerCompression: 'gzip' });
  const img = asImage(await sink.open('gz'));
  const m = await img.manifest();
  assert.deepEqual(
    m.layers.map((l) => l.mediaType),
    [DOCKER_LAYER_GZIP, DOCKER_LAYER_GZIP],
  );
  assert.deepEqual(await bytesOf((await img.layers())[1].uncompressed()), L2);
  assert.equal(await (await img.layers())[1].diffID(), digestOf(L2));
});

test('copyImage recompresses layers to zstd (podman --compression-format zstd); diff IDs stay', async () => {
  const { store } = await sample();
  const sink = new MemoryImageStore('dst');
  await copyImage(await store.open('latest'), sink, { tag: 'zst', layerCompression: 'zstd' });
  const img = asImage(await sink.open('zst'));
  const m = await img.manifest();
  assert.deepEqual(
    m.layers.map((l) => l.mediaType),
    ['application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.oci.image.layer.v1.tar+zstd'],
  );
  const layer = (await img.layers())[0];
  const raw = await bytesOf(layer.compressed());
  assert.deepEqual([...raw.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  assert.deepEqual(await bytesOf(layer.uncompressed()), L1);
  assert.equal(await layer.mediaType(), 'application/vnd.oci.image.layer.v1.tar+zstd');
  assert.equal(await layer.diffID(), digestOf(L1));
});

test('copyImage converts Docker schema 2 to OCI for a sink that stores OCI only', async () => {
  const { store } = await sample({ format: 'docker' });
  const sink = Object.assign(new MemoryImageStore('oci-only'), { manifestMediaTypes: [OCI_MANIFEST, OCI_INDEX] });
  const r = await copyImage(await store.open('latest'), sink, { tag: 'oci' });
  assert.equal(r.descriptor.mediaType, OCI_MANIFEST);
  const m = parseManifest(sink.manifests.get(r.descriptor.digest)!.bytes);
  assert.equal(m.mediaType, OCI_MANIFEST);
  assert.equal(m.config?.mediaType, 'application/vnd.oci.image.config.v1+json');
  assert.deepEqual(
    m.manifest?.layers.map((l) => l.mediaType),
    [OCI_LAYER_TAR_GZIP, OCI_LAYER_TAR_GZIP],
  );
  // Back to Docker on request.
  const back = new MemoryImageStore('docker');
  const r2 = await copyImage(await sink.open('oci'), back, { manifestFormat: 'docker' });
  const m2 = parseManifest(back.manifests.get(r2.descriptor.digest)!.bytes);
  assert.equal(m2.mediaType, DOCKER_MANIFEST);
  assert.equal(m2.config?.mediaType, DOCKER_CONFIG);
});

test('copyImage refuses a source blob that does not match its digest, and writes no manifest', async () => {
  const { store, written } = await sample();
  const victim = written.layers[1].digest;
  const orig = store.blobs.get(victim)!;
  const bad = Buffer.from(orig);
  bad[bad.length - 5] ^= 0xff;
  store.blobs.set(victim, bad);
  const sink = new MemoryImageStore('dst');
  await assert.rejects(copyImage(await store.open('latest'), sink, { tag: 'x' }), (e: BerthError) => {
    assert.equal(e.kind, 'corrupt');
    assert.match(e.message, /does not match its digest/);
    return true;
  });
  assert.equal(sink.manifests.size, 0);
  assert.equal(sink.blobs.has(victim), false);
});

test('a truncated source blob fails with corrupt while reading', async () => {
  const { store, written } = await sample();
  const victim = written.layers[0].digest;
  store.blobs.set(victim, store.blobs.get(victim)!.subarray(0, 10));
  const img = asImage(await store.open('latest'));
  await assert.rejects(bytesOf((await img.layers())[0].compressed()), (e: BerthError) => e.kind === 'corrupt' && /truncated/.test(e.message));
});

async function sampleIndex() {
  const store = new MemoryImageStore('src');
  const entries: Descriptor[] = [];
  for (const [arch, variant] of [
    ['amd64', undefined],
    ['arm64', 'v8'],
  ] as const) {
    const w = await writeImage(store, [{ tar: () => Readable.from([Buffer.from(`layer for ${arch}`)]) }], {
      created: CREATED,
      config: { architecture: arch, os: 'linux', ...(variant ? { variant } : {}) },
    });
    entries.push({ ...w.descriptor, platform: { architecture: arch, os: 'linux', ...(variant ? { variant } : {}) } });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }));
  await store.writeManifest(index, OCI_INDEX, 'multi');
  return { store, entries, indexDigest: digestOf(index) };
}

test('copyImage copies a whole index by default, byte-identical', async () => {
  const { store, indexDigest, entries } = await sampleIndex();
  const sink = new MemoryImageStore('dst');
  const r = await copyImage(await store.open('multi'), sink, { tag: 'multi' });
  assert.equal(r.descriptor.digest, indexDigest);
  for (const e of entries) assert.ok(sink.manifests.has(e.digest));
  const idx = await sink.open('multi');
  assert.ok(isIndexHandle(idx));
  const arm = await idx.image(entries[1].digest);
  assert.equal((await arm.config()).architecture, 'arm64');
});

test('copyImage picks one platform out of an index when asked', async () => {
  const { store, entries } = await sampleIndex();
  const sink = new MemoryImageStore('dst');
  const r = await copyImage(await store.open('multi'), sink, { tag: 'arm', platform: { os: 'linux', architecture: 'aarch64' } });
  assert.equal(r.descriptor.digest, entries[1].digest);
  assert.equal(sink.manifests.size, 1);
  await assert.rejects(copyImage(await store.open('multi'), sink, { platform: { os: 'linux', architecture: 's390x' } }), (e: BerthError) => {
    assert.equal(e.kind, 'not-found');
    assert.match(e.message, /linux\/amd64, linux\/arm64/);
    return true;
  });
});

test('copyImage rewrites the index when its children change', async () => {
  const { store, indexDigest } = await sampleIndex();
  const sink = new MemoryImageStore('dst');
  const r = await copyImage(await store.open('multi'), sink, { tag: 'plain', layerCompression: 'none' });
  assert.equal(r.converted, true);
  assert.notEqual(r.descriptor.digest, indexDigest);
  const idx = await sink.open('plain');
  assert.ok(isIndexHandle(idx));
  const doc = await idx.indexManifest();
  assert.deepEqual(
    doc.manifests.map((m) => m.platform?.architecture),
    ['amd64', 'arm64'],
  );
  const img = await idx.image(doc.manifests[0].digest as Digest);
  assert.equal((await img.manifest()).layers[0].mediaType, OCI_LAYER_TAR);
});

test('an aborted copy stops with aborted', async () => {
  const { store } = await sample();
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(copyImage(await store.open('latest'), new MemoryImageStore(), { signal: ac.signal }), (e: BerthError) => e.kind === 'aborted');
});

test('writeImage takes ready-made blobs with their diff IDs (the layer area hands these out)', async () => {
  const { gzipSync } = await import('node:zlib');
  const plain = Buffer.from('a ready tar');
  const store = new MemoryImageStore();
  const w = await writeImage(store, [{ blob: () => Readable.from([gzipSync(plain)]), compression: 'gzip', diffID: async () => digestOf(plain) }], {
    tag: 'ready',
    config: { architecture: 'amd64', os: 'linux' },
  });
  const img = asImage(await store.open('ready'));
  assert.deepEqual(w.diffIDs, [digestOf(plain)]);
  assert.equal((await img.manifest()).layers[0].mediaType, OCI_LAYER_TAR_GZIP);
  assert.deepEqual(await bytesOf((await img.layers())[0].uncompressed()), plain);
});
