import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { readTar } from '../../archive/index.js';
import { digestOf } from '../../digest/digest.js';
import type { BerthError } from '../../internal/errors.js';
import { writeImage } from '../assemble.js';
import { readAllLimited } from '../blob.js';
import { copyImage } from '../copy.js';
import { OciArchive, OciArchiveSink } from './archive.js';
import { OciLayout } from './layout.js';
import { OciLayoutSink } from './sink.js';

const roots: string[] = [];
after(async () => {
  for (const d of roots) await fs.rm(d, { recursive: true, force: true });
});

test('oci-archive: write, list members, read back, copy out to a layout', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-ociarchive-'));
  roots.push(dir);
  const file = path.join(dir, 'img.tar');
  const sink = new OciArchiveSink(file, { durable: false });
  const w = await writeImage(sink, [{ tar: () => Readable.from([Buffer.from('layer one')]) }], {
    tag: 'v1',
    created: '2024-01-01T00:00:00Z',
    config: { architecture: 'amd64', os: 'linux' },
  });
  await sink.commit();
  assert.deepEqual(await fs.readdir(dir), ['img.tar']);
  const names: string[] = [];
  for await (const e of readTar((await fs.open(file)).createReadStream())) names.push(e.header.name);
  assert.deepEqual(names.slice(0, 2), ['blobs/', 'blobs/sha256/']);
  assert.deepEqual(names.slice(-2), ['index.json', 'oci-layout']);
  assert.equal(names.length, 7);

  const archive = new OciArchive(file);
  const img = await archive.image('v1');
  assert.equal(await img.digest(), w.descriptor.digest);
  assert.equal((await readAllLimited(await (await img.layers())[0].uncompressed(), 1e6, 't')).toString(), 'layer one');
  assert.equal((await img.config()).rootfs.diff_ids[0], digestOf('layer one'));

  const out = path.join(dir, 'layout');
  const r = await copyImage(img, new OciLayoutSink(out, { durable: false }), { tag: 'copied' });
  assert.equal(r.descriptor.digest, w.descriptor.digest);
  assert.equal(await (await new OciLayout(out).image('copied')).digest(), w.descriptor.digest);
  await assert.rejects(archive.image('nope'), (e: BerthError) => e.kind === 'not-found');
});

test('oci-archive: abort leaves nothing, a tar without index.json is refused', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-ociarchive-'));
  roots.push(dir);
  const file = path.join(dir, 'img.tar');
  const sink = new OciArchiveSink(file, { durable: false });
  await writeImage(sink, [{ tar: () => Readable.from([Buffer.from('x')]) }], { tag: 'v1', config: { architecture: 'amd64', os: 'linux' } });
  await sink.abort();
  assert.deepEqual(await fs.readdir(dir), []);
  await fs.writeFile(file, Buffer.alloc(1024));
  await assert.rejects(new OciArchive(file).image(), (e: BerthError) => e.kind === 'not-found' && /oci-layout/.test(e.message));
});
