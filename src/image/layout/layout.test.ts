import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { digestOf } from '../../digest/digest.js';
import type { BerthError } from '../../internal/errors.js';
import { writeImage } from '../assemble.js';
import { readAllLimited } from '../blob.js';
import { copyImage } from '../copy.js';
import { isIndexHandle } from '../handles.js';
import { MemoryImageStore } from '../memory.js';
import { OCI_INDEX, OCI_LAYER_TAR_GZIP, OCI_MANIFEST } from '../mediatype.js';
import { OciLayout } from './layout.js';
import { blobPath, checkRefName } from './paths.js';
import { OciLayoutSink } from './sink.js';

const tmpRoots: string[] = [];
after(async () => {
  for (const d of tmpRoots) await fs.rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-layout-'));
  tmpRoots.push(d);
  return d;
}

const CREATED = '2024-01-01T00:00:00Z';
async function put(sink: OciLayoutSink, tag: string | undefined, content: string) {
  return writeImage(sink, [{ tar: () => Readable.from([Buffer.from(content)]) }], {
    tag,
    created: CREATED,
    config: { architecture: 'amd64', os: 'linux' },
  });
}

/** Every file under dir, relative, sorted. */
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

test('OciLayoutSink writes a layout the reader opens by ref name', async () => {
  const dir = path.join(await tmp(), 'layout');
  const sink = new OciLayoutSink(dir, { durable: false });
  const w = await put(sink, 'v1', 'hello layer');
  assert.deepEqual(JSON.parse(await fs.readFile(path.join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8'));
  assert.equal(index.schemaVersion, 2);
  assert.equal(index.manifests.length, 1);
  assert.equal(index.manifests[0].digest, w.descriptor.digest);
  assert.equal(index.manifests[0].mediaType, OCI_MANIFEST);
  assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'v1');
  assert.deepEqual(index.manifests[0].platform, { architecture: 'amd64', os: 'linux' });
  assert.deepEqual(
    await files(dir),
    ['index.json', 'oci-layout', ...[w.descriptor.digest, w.config.digest, w.layers[0].digest].map((d) => `blobs/sha256/${d.slice(7)}`).sort()].sort(),
  );
  const img = await new OciLayout(dir).image('v1');
  assert.equal(await img.digest(), w.descriptor.digest);
  assert.equal((await img.config()).rootfs.diff_ids[0], digestOf('hello layer'));
  const layer = (await img.layers())[0];
  assert.equal(await layer.mediaType(), OCI_LAYER_TAR_GZIP);
  assert.equal((await readAllLimited(await layer.uncompressed(), 1e6, 't')).toString(), 'hello layer');
});

test('appending to a layout keeps other names and moves a name that is written again', async () => {
  const dir = await tmp();
  const sink = new OciLayoutSink(dir, { durable: false });
  const a = await put(sink, 'a', 'one');
  await put(sink, 'b', 'two');
  const a2 = await put(new OciLayoutSink(dir, { durable: false }), 'a', 'three');
  const index = await new OciLayout(dir).indexManifest();
  assert.deepEqual(
    index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']),
    ['b', 'a'],
  );
  assert.equal(index.manifests[1].digest, a2.descriptor.digest);
  assert.notEqual(a.descriptor.digest, a2.descriptor.digest);
  // An untagged root is listed once, however often it is written.
  await put(sink, undefined, 'four');
  await put(sink, undefined, 'four');
  assert.equal((await new OciLayout(dir).indexManifest()).manifests.length, 3);
});

test('reading selects by digest, by the only entry, and refuses to guess among several', async () => {
  const dir = await tmp();
  const sink = new OciLayoutSink(dir, { durable: false });
  const one = await put(sink, 'one', 'x');
  const layout = new OciLayout(dir);
  assert.equal(await (await layout.image()).digest(), one.descriptor.digest);
  await put(sink, 'two', 'y');
  await assert.rejects(layout.image(), (e: BerthError) => e.kind === 'invalid-argument' && /one, two/.test(e.message));
  assert.equal(await (await layout.image(one.descriptor.digest)).digest(), one.descriptor.digest);
  assert.equal(await (await layout.image(`@${one.descriptor.digest}`)).digest(), one.descriptor.digest);
  await assert.rejects(layout.image('three'), (e: BerthError) => e.kind === 'not-found' && /holds one, two/.test(e.message));
});

test('a name inside a nested index is found, and an index resolves to the host platform', async () => {
  const store = new MemoryImageStore();
  const img = await writeImage(store, [{ tar: () => Readable.from([Buffer.from('z')]) }], { created: CREATED, config: { architecture: 'amd64', os: 'linux' } });
  const inner = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ ...img.descriptor, platform: { architecture: 'amd64', os: 'linux' }, annotations: { 'org.opencontainers.image.ref.name': 'deep' } }],
    }),
  );
  await store.writeManifest(inner, OCI_INDEX, 'inner');
  const dir = await tmp();
  await copyImage(await store.open('inner'), new OciLayoutSink(dir, { durable: false }), { tag: 'outer' });
  const layout = new OciLayout(dir);
  const outer = await layout.open('outer');
  assert.ok(isIndexHandle(outer));
  assert.equal(await (await layout.open('deep')).digest(), img.descriptor.digest);
  assert.equal(await (await layout.image('outer', { platform: { os: 'linux', architecture: 'amd64' } })).digest(), img.descriptor.digest);
  await assert.rejects(layout.image('outer', { platform: { os: 'linux', architecture: 'riscv64' } }), (e: BerthError) => e.kind === 'not-found');
});

test('hostile: a blob whose bytes do not match its digest fails as corrupt and is not copied', async () => {
  const dir = await tmp();
  const w = await put(new OciLayoutSink(dir, { durable: false }), 'v1', 'good bytes');
  const file = blobPath(dir, w.layers[0].digest);
  const bytes = await fs.readFile(file);
  bytes[bytes.length - 3] ^= 0x55;
  await fs.writeFile(file, bytes);
  const img = await new OciLayout(dir).image('v1');
  await assert.rejects(readAllLimited(await (await img.layers())[0].compressed(), 1e6, 't'), (e: BerthError) => e.kind === 'corrupt');
  const dst = await tmp();
  await assert.rejects(copyImage(img, new OciLayoutSink(dst, { durable: false }), { tag: 'v1' }), (e: BerthError) => e.kind === 'corrupt');
  // Only the config made it; no layer, no temp file, no manifest, no index entry.
  assert.deepEqual(await files(dst), ['index.json', 'oci-layout', `blobs/sha256/${w.config.digest.slice(7)}`].sort());
  assert.equal((await new OciLayout(dst).indexManifest()).manifests.length, 0);
});

test('hostile: a corrupt config or manifest blob is refused when read', async () => {
  const dir = await tmp();
  const w = await put(new OciLayoutSink(dir, { durable: false }), 'v1', 'c');
  await fs.writeFile(blobPath(dir, w.config.digest), '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const img = await new OciLayout(dir).image('v1');
  await assert.rejects(img.config(), (e: BerthError) => e.kind === 'corrupt');
  await fs.writeFile(blobPath(dir, w.descriptor.digest), '{}');
  await assert.rejects(new OciLayout(dir).image('v1'), (e: BerthError) => e.kind === 'corrupt');
});

test('hostile: index.json missing, malformed, or not an index', async () => {
  const dir = await tmp();
  await put(new OciLayoutSink(dir, { durable: false }), 'v1', 'c');
  const layout = new OciLayout(dir);
  const index = path.join(dir, 'index.json');
  await fs.writeFile(index, '{"schemaVersion": 2, "manifests": [');
  await assert.rejects(layout.image('v1'), (e: BerthError) => e.kind === 'invalid-argument' && /index\.json.*malformed JSON/.test(e.message));
  await fs.writeFile(index, JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, size: 'x', digest: digestOf('') }] }));
  await assert.rejects(layout.image('v1'), (e: BerthError) => e.kind === 'invalid-argument' && /manifests\[0\]\.size/.test(e.message));
  await fs.writeFile(index, JSON.stringify({ schemaVersion: 2, layers: [], config: {} }));
  await assert.rejects(layout.image('v1'), (e: BerthError) => e.kind === 'invalid-argument');
  await fs.rm(index);
  await assert.rejects(layout.image('v1'), (e: BerthError) => e.kind === 'not-found' && /index\.json/.test(e.message));
});

test('hostile: oci-layout missing or of another version', async () => {
  const dir = await tmp();
  await put(new OciLayoutSink(dir, { durable: false }), 'v1', 'c');
  await fs.writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
  await assert.rejects(new OciLayout(dir).image('v1'), (e: BerthError) => e.kind === 'unsupported' && /2\.0\.0/.test(e.message));
  await assert.rejects(put(new OciLayoutSink(dir, { durable: false }), 'v2', 'd'), (e: BerthError) => e.kind === 'unsupported');
  await fs.rm(path.join(dir, 'oci-layout'));
  await assert.rejects(new OciLayout(dir).image('v1'), (e: BerthError) => e.kind === 'not-found' && /oci-layout/.test(e.message));
  await assert.rejects(new OciLayout(path.join(dir, 'nope')).image(), (e: BerthError) => e.kind === 'not-found');
});

test('hostile: crafted digests cannot make a path outside blobs/', async () => {
  const root = await tmp();
  const dir = path.join(root, 'layout');
  await put(new OciLayoutSink(dir, { durable: false }), 'v1', 'c');
  await fs.writeFile(path.join(root, 'secret'), 'do not read');
  for (const bad of ['sha256:../../../secret', 'sha256/../../secret:abc', '../sha256:abc', `sha256:${'a'.repeat(62)}/.`, 'sha256:']) {
    assert.throws(() => blobPath(dir, bad), (e: BerthError) => e.kind === 'invalid-argument' || e.kind === 'unsupported', bad);
    await fs.writeFile(
      path.join(dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, size: 11, digest: bad, annotations: { 'org.opencontainers.image.ref.name': 'evil' } }] }),
    );
    await assert.rejects(new OciLayout(dir).image('evil'), (e: BerthError) => e.kind === 'invalid-argument' || e.kind === 'unsupported', bad);
  }
  // A digest of an unregistered algorithm is refused too, before any path is made.
  assert.throws(() => blobPath(dir, `md5:${'a'.repeat(32)}`), (e: BerthError) => e.kind === 'unsupported');
});

test('hostile: a bad ref name is refused before anything is written', async () => {
  const dir = path.join(await tmp(), 'fresh');
  for (const bad of ['', '../x', 'a b', 'v1/', '/v1', 'a//b', '-x', 'a\nb']) {
    assert.throws(() => checkRefName(bad), (e: BerthError) => e.kind === 'invalid-argument', JSON.stringify(bad));
  }
  for (const good of ['latest', 'v1.0', 'docker.io/library/busybox:1.36', 'a--b', 'x@y+z']) checkRefName(good);
  await assert.rejects(new OciLayoutSink(dir, { durable: false }).writeManifest(Buffer.from('{}'), OCI_MANIFEST, '../x'), (e: BerthError) => e.kind === 'invalid-argument');
  await assert.rejects(fs.stat(dir), { code: 'ENOENT' });
});

test('hostile: a blob that does not match the digest it is written under leaves nothing behind', async () => {
  const dir = await tmp();
  const sink = new OciLayoutSink(dir, { durable: false });
  await assert.rejects(
    sink.writeBlob({ mediaType: 'application/octet-stream', digest: digestOf('expected'), size: 8 }, Readable.from([Buffer.from('imposter')])),
    (e: BerthError) => e.kind === 'corrupt',
  );
  await assert.rejects(
    sink.writeBlob({ mediaType: 'application/octet-stream', digest: digestOf('expected'), size: 8 }, Readable.from([Buffer.from('expected!')])),
    (e: BerthError) => e.kind === 'corrupt',
  );
  assert.deepEqual(await files(dir), ['index.json', 'oci-layout']);
  const ok = await sink.writeBlob({ mediaType: 'application/octet-stream' }, Readable.from([Buffer.from('expected')]));
  assert.equal(ok.digest, digestOf('expected'));
  assert.ok(await sink.hasBlob(ok));
});

test('durable writes (fsync) produce the same layout', async () => {
  const dir = await tmp();
  const w = await put(new OciLayoutSink(dir), 'v1', 'durable');
  assert.equal(await (await new OciLayout(dir).image('v1')).digest(), w.descriptor.digest);
});

test('gc removes what no ref reaches any more and keeps what one does', async () => {
  const dir = await tmp();
  const sink = new OciLayoutSink(dir, { durable: false });
  const old = await put(sink, 'a', 'old content');
  const kept = await put(sink, 'b', 'kept content');
  const now = await put(sink, 'a', 'new content');
  const { removed, bytes } = await sink.gc();
  // Configs hold the diff IDs, so the old image's config goes too.
  assert.deepEqual(removed.sort(), [old.descriptor.digest, old.config.digest, old.layers[0].digest].sort());
  assert.ok(bytes > 0);
  for (const w of [kept, now]) {
    for (const d of [w.descriptor.digest, w.config.digest, w.layers[0].digest]) await fs.stat(blobPath(dir, d));
  }
  assert.equal(await (await new OciLayout(dir).image('a')).digest(), now.descriptor.digest);
  assert.deepEqual((await sink.gc()).removed, []);
});

test('separate sinks writing one layout at once lose no tag (index.json edits are locked)', async () => {
  const dir = await tmp();
  await new OciLayoutSink(dir, { durable: false }).init();
  const writes = Array.from({ length: 12 }, (_, i) => put(new OciLayoutSink(dir, { durable: false }), `t${i}`, `content ${i}`));
  await Promise.all(writes);
  const names = (await new OciLayout(dir).indexManifest()).manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']);
  assert.deepEqual(names.sort(), Array.from({ length: 12 }, (_, i) => `t${i}`).sort());
});
