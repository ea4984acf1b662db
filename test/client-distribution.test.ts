// The registry client against a real Distribution 2.8 (docker-registry) on 127.0.0.1, with
// skopeo as the other peer: what one pushes the other pulls, byte for byte.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { ClientPool, catalog, pullManifestFromCandidates, RegistryClient } from '../src/registry/client/index.js';
import { registriesConfigFromText, resolvePullCandidates } from '../src/reference/index.js';
import { collect, type Distribution, isKind, makeImage, sha256, skopeo, startDistribution, type TestImage, writeOciLayout } from './client-helpers.js';

let tmp: string;
let registry: Distribution;
let client: RegistryClient;
let image: TestImage;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-client-dist-'));
  await fs.writeFile(path.join(tmp, 'skopeo-registries.conf'), '');
  registry = await startDistribution(path.join(tmp, 'registry'));
  client = new RegistryClient(registry.host);
  image = await makeImage(tmp, [300_000, 1000], 'a');
  await writeOciLayout(path.join(tmp, 'layout-a'), image, '1');
  await skopeo(tmp, ['copy', '--dest-tls-verify=false', `oci:${path.join(tmp, 'layout-a')}:1`, `docker://${registry.host}/skopeo/a:1`]);
});

after(async () => {
  client?.close();
  await registry?.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

test('ping picks plain HTTP for a loopback registry and sees no auth', async () => {
  assert.deepEqual(await client.ping(), { base: `http://${registry.host}`, scheme: 'none' });
  assert.equal(client.insecure, true);
});

test('pulls what skopeo pushed: manifest by tag and by digest, blobs byte-identical', async () => {
  const repo = client.repository('skopeo/a');
  const byTag = await repo.getManifest('1');
  assert.equal(byTag.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  const doc = JSON.parse(byTag.bytes.toString());
  assert.equal(doc.layers.length, 2);
  const byDigest = await repo.getManifest(byTag.digest);
  assert.deepEqual(byDigest.bytes, byTag.bytes);
  assert.equal(byDigest.digest, sha256(byTag.bytes));
  const head = await repo.headManifest('1');
  assert.equal(head?.digest, byTag.digest);
  // skopeo may recompress nothing here: the layers are the ones we wrote.
  for (const [i, l] of doc.layers.entries()) {
    assert.equal(l.digest, image.layers[i].digest);
    const bytes = await collect(await repo.getBlob(l));
    assert.ok(bytes.equals(image.layers[i].bytes));
  }
  const cfg = await collect(await repo.getBlob(doc.config));
  assert.ok(cfg.equals(image.config.bytes));
  assert.equal(await repo.blobExists(image.config.digest), true);
  assert.equal(await repo.blobExists(sha256('nope')), false);
});

test('downloadBlob writes the file only after verification', async () => {
  const repo = client.repository('skopeo/a');
  const file = path.join(tmp, 'layer0');
  await repo.downloadBlob(image.layers[0], file);
  assert.ok((await fs.readFile(file)).equals(image.layers[0].bytes));
  const wrong = path.join(tmp, 'wrong');
  await assert.rejects(repo.downloadBlob({ digest: sha256('absent'), size: 6 }, wrong), isKind('not-found', /blob unknown/));
  await assert.rejects(repo.downloadBlob({ ...image.layers[0], size: image.layers[0].size - 1 }, wrong), isKind('corrupt'));
  assert.deepEqual((await fs.readdir(tmp)).filter((n) => n.includes('wrong')), []);
});

test('pushes an image with the client that skopeo then pulls identically', async () => {
  const img = await makeImage(tmp, [200_000, 5], 'b');
  const repo = client.repository('berth/b');
  for (const b of [...img.layers, img.config]) {
    const r = await repo.pushBlob(b, () => Readable.from([b.bytes]));
    assert.equal(r.outcome, 'uploaded');
  }
  // Again: nothing is sent twice.
  assert.equal((await repo.pushBlob(img.config, () => Readable.from([img.config.bytes]))).outcome, 'exists');
  const digest = await repo.putManifest(img.manifest, 'application/vnd.oci.image.manifest.v1+json', 'v1');
  assert.equal(digest, img.manifestDigest);
  const out = path.join(tmp, 'skopeo-out-b');
  await skopeo(tmp, ['copy', '--src-tls-verify=false', `docker://${registry.host}/berth/b:v1`, `oci:${out}:v1`]);
  const index = JSON.parse(await fs.readFile(path.join(out, 'index.json'), 'utf8'));
  assert.equal(index.manifests[0].digest, img.manifestDigest);
  for (const b of [...img.layers, img.config]) {
    assert.ok((await fs.readFile(path.join(out, 'blobs/sha256', b.digest.slice(7)))).equals(b.bytes));
  }
});

test('mounts a blob from another repository instead of uploading it', async () => {
  const repo = client.repository('berth/mounted');
  const l = image.layers[0];
  let opened = 0;
  const r = await repo.pushBlob(l, () => {
    opened++;
    return Readable.from([l.bytes]);
  }, { mountFrom: 'skopeo/a' });
  assert.equal(r.outcome, 'mounted');
  assert.equal(opened, 0);
  assert.equal(await repo.blobExists(l.digest), true);
});

test('a wrong local blob fails as corrupt and the registry keeps nothing', async () => {
  const repo = client.repository('berth/corrupt');
  const bytes = Buffer.from('the real content');
  const desc = { digest: sha256(bytes), size: bytes.length };
  await assert.rejects(repo.pushBlob(desc, () => Readable.from([Buffer.from('other content!!!')])), isKind('corrupt'));
  assert.equal(await repo.blobExists(desc.digest), false);
});

test('lists tags and the catalog page by page', async () => {
  const repo = client.repository('berth/b');
  for (const t of ['v2', 'v3', 'a0']) await repo.putManifest((await repo.getManifest('v1')).bytes, 'application/vnd.oci.image.manifest.v1+json', t);
  // Distribution 2.8 pages tags in storage order, not sorted: compare as sets.
  assert.deepEqual((await repo.listTags({ pageSize: 1 })).sort(), ['a0', 'v1', 'v2', 'v3']);
  assert.equal((await repo.listTags({ pageSize: 1, limit: 2 })).length, 2);
  assert.deepEqual(await catalog(client, { pageSize: 1 }), ['berth/b', 'berth/mounted', 'skopeo/a']);
  assert.deepEqual(await catalog(client, { pageSize: 1, last: 'berth/mounted' }), ['skopeo/a']);
});

test('referrers fall back to the tag schema on a registry without the API', async () => {
  const repo = client.repository('skopeo/a');
  assert.deepEqual(await repo.referrers(image.manifestDigest), []);
});

test('deletes a manifest by digest', async () => {
  const repo = client.repository('berth/b');
  const m = await repo.getManifest('v3');
  await repo.deleteManifest(m.digest);
  await assert.rejects(repo.getManifest(m.digest), isKind('not-found', /^cannot pull 127\.0\.0\.1:\d+\/berth\/b@sha256:[0-9a-f]+: manifest unknown/));
});

test('errors name the image and the registry code', async () => {
  await assert.rejects(client.repository('skopeo/a').getManifest('nope'), isKind('not-found', /^cannot pull 127\.0\.0\.1:\d+\/skopeo\/a:nope: manifest unknown/));
  await assert.rejects(client.repository('none/such').listTags(), isKind('not-found', /cannot list tags of .*none\/such: name unknown/));
  await assert.rejects(client.repository('skopeo/a').getManifest('bad tag'), isKind('invalid-argument'));
  assert.throws(() => client.repository('Upper/case'), isKind('invalid-argument', /must be lowercase/));
});

test('pullManifestFromCandidates tries a mirror first, falls through, and reports every attempt when all fail', async () => {
  const config = registriesConfigFromText(`
[[registry]]
prefix = "example.com/ns"
location = "${registry.host}/skopeo"
[[registry.mirror]]
location = "127.0.0.1:1/dead"
`);
  const pool = new ClientPool();
  try {
    const got = await pullManifestFromCandidates(resolvePullCandidates('example.com/ns/a:1', config), pool);
    assert.equal(got.endpoint.mirror, false);
    assert.equal(got.repository.name, 'skopeo/a');
    assert.equal(got.manifest.digest, image.manifestDigest);
    const layer = JSON.parse(got.manifest.bytes.toString()).layers[1];
    assert.ok((await collect(await got.repository.getBlob(layer))).equals(image.layers[1].bytes));
    await assert.rejects(
      pullManifestFromCandidates(resolvePullCandidates('example.com/ns/a:gone', config), pool),
      isKind('not-found', /^cannot pull example\.com\/ns\/a:gone: tried 2 locations: 127\.0\.0\.1:1\/dead\/a:gone \(mirror\): .*ECONNREFUSED.*; 127\.0\.0\.1:\d+\/skopeo\/a:gone: manifest unknown/),
    );
  } finally {
    pool.close();
  }
});
