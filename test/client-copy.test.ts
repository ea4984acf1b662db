// A repository as src/image's source and sink: copyImage from an OCI layout into Distribution
// and back out, byte-identical, with blobs skipped or mounted when the registry has them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { copyImage, isIndexHandle, OciLayout, OciLayoutSink } from '../src/image/index.js';
import { RegistryClient, RegistrySink, remoteImage } from '../src/registry/client/index.js';
import { collect, type Distribution, makeImage, sha256, skopeo, startDistribution, type TestImage, writeOciLayout } from './client-helpers.js';

let tmp: string;
let registry: Distribution;
let client: RegistryClient;
let image: TestImage;

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-client-copy-'));
  await fs.writeFile(path.join(tmp, 'skopeo-registries.conf'), '');
  registry = await startDistribution(path.join(tmp, 'registry'));
  client = new RegistryClient(registry.host);
  image = await makeImage(tmp, [100_000, 3000], 'copy');
  await writeOciLayout(path.join(tmp, 'layout'), image, '1');
});

after(async () => {
  client?.close();
  await registry?.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

test('copyImage pushes an OCI layout into the registry byte-identically; skopeo agrees', async () => {
  const source = await new OciLayout(path.join(tmp, 'layout')).open('1');
  const written: string[] = [];
  const result = await copyImage(source, new RegistrySink(client.repository('copy/a')), { tag: '1', onBlob: (d, o) => written.push(`${o}:${d.digest}`) });
  assert.equal(result.descriptor.digest, image.manifestDigest);
  assert.equal(result.converted, false);
  assert.equal(written.filter((w) => w.startsWith('written:')).length, 3);
  const { stdout } = await skopeo(tmp, ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/copy/a:1`]);
  assert.equal(sha256(stdout), image.manifestDigest);
  // A second push sends no blob again.
  written.length = 0;
  await copyImage(source, new RegistrySink(client.repository('copy/a')), { tag: '2', onBlob: (d, o) => written.push(`${o}:${d.digest}`) });
  assert.ok(written.every((w) => w.startsWith('skipped:')), written.join());
});

test('remoteImage pulls into an OCI layout; layers verify against their diff IDs', async () => {
  const remote = await remoteImage(client.repository('copy/a'), '1');
  assert.ok(!isIndexHandle(remote));
  if (isIndexHandle(remote)) return;
  assert.equal(await remote.digest(), image.manifestDigest);
  assert.equal(await remote.configName(), image.config.digest);
  for (const layer of await remote.layers()) {
    const tar = await collect(await layer.uncompressed());
    assert.equal(sha256(tar), await layer.diffID());
  }
  const out = path.join(tmp, 'pulled');
  await copyImage(remote, new OciLayoutSink(out, { durable: false }), { tag: 'v' });
  for (const b of [image.config, ...image.layers]) {
    assert.ok((await fs.readFile(path.join(out, 'blobs/sha256', b.digest.slice(7)))).equals(b.bytes));
  }
  assert.ok((await fs.readFile(path.join(out, 'blobs/sha256', image.manifestDigest.slice(7)))).equals(image.manifest));
});

test('a sink with mountFrom mounts blobs instead of uploading them', async () => {
  const source = await new OciLayout(path.join(tmp, 'layout')).open('1');
  const sink = new RegistrySink(client.repository('copy/mounted'), { mountFrom: 'copy/a' });
  const blob = image.layers[0];
  let read = false;
  const stream = new Readable({
    read() {
      read = true;
      this.push(blob.bytes);
      this.push(null);
    },
  });
  const desc = await sink.writeBlob({ mediaType: blob.mediaType, digest: blob.digest as never, size: blob.size }, stream);
  assert.equal(desc.digest, blob.digest);
  assert.equal(read, false);
  await copyImage(source, sink, { tag: '1' });
  assert.equal((await client.repository('copy/mounted').getManifest('1')).digest, image.manifestDigest);
});

test('a blob of unknown digest and size streams up with PATCH and gets our digest', async () => {
  const bytes = Buffer.alloc(300_000, 9);
  const sink = new RegistrySink(client.repository('copy/stream'));
  const desc = await sink.writeBlob({ mediaType: 'application/octet-stream' }, Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
  assert.equal(desc.digest, sha256(bytes));
  assert.equal(desc.size, bytes.length);
  assert.ok((await collect(await client.repository('copy/stream').getBlob(desc))).equals(bytes));
});
