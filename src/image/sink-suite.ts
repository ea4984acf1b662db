// The one conformance suite every ImageSink passes (memory, OCI layout, oci-archive,
// docker-archive here; the local store and registry push elsewhere): call it with a factory.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { digestOf } from '../digest/digest.js';
import { isBerthError } from '../internal/errors.js';
import { writeImage } from './assemble.js';
import { readAllLimited } from './blob.js';
import { copyImage } from './copy.js';
import { type Image, type Index, isIndexHandle } from './handles.js';
import { MemoryImageStore } from './memory.js';
import type { ImageSink } from './sink.js';

export interface SinkUnderTest {
  sink: ImageSink;
  /** Makes written images readable (commit an archive); called once, after the writes. */
  finish?(): Promise<void>;
  /** Opens what the sink stored under `tag`, through the matching reader. */
  open(tag: string): Promise<Image | Index>;
  cleanup(): Promise<void>;
}

const LAYERS = [Buffer.from('the first layer '.repeat(300)), Buffer.from('second')];

async function sourceImage(compression: 'gzip' | 'none' = 'gzip'): Promise<{ store: MemoryImageStore; image: Image }> {
  const store = new MemoryImageStore('suite-source');
  await writeImage(
    store,
    LAYERS.map((l) => ({ tar: () => Readable.from([l]) })),
    { tag: 'src', compression, created: '2024-01-01T00:00:00Z', config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['/x'] } } },
  );
  const image = await store.open('src');
  assert.ok(!isIndexHandle(image));
  return { store, image };
}

export function imageSinkSuite(name: string, make: () => Promise<SinkUnderTest>): void {
  const withSink = (title: string, body: (s: SinkUnderTest) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const s = await make();
      try {
        await body(s);
      } finally {
        await s.cleanup();
      }
    });

  withSink('a copied image reads back with the same config, diff IDs and layer contents', async (s) => {
    const { image } = await sourceImage();
    await copyImage(image, s.sink, { tag: 'copied' });
    await s.finish?.();
    const back = await s.open('copied');
    assert.ok(!isIndexHandle(back));
    assert.equal(await back.configName(), await image.configName());
    assert.deepEqual(
      (await back.config()).rootfs.diff_ids,
      LAYERS.map((l) => digestOf(l)),
    );
    const layers = await back.layers();
    for (const [i, l] of layers.entries()) {
      assert.deepEqual(await readAllLimited(await l.uncompressed(), 1 << 20, 'layer'), LAYERS[i]);
      assert.equal(await l.diffID(), digestOf(LAYERS[i]));
    }
  });

  withSink('writeBlob computes digest and size when not given, and hasBlob then says yes', async (s) => {
    const bytes = Buffer.from('a blob of unknown digest');
    const desc = await s.sink.writeBlob({ mediaType: 'application/vnd.oci.image.layer.v1.tar' }, Readable.from([bytes]));
    assert.equal(desc.digest, digestOf(bytes));
    assert.equal(desc.size, bytes.length);
    assert.equal(await s.sink.hasBlob(desc), true);
  });

  withSink('writeBlob refuses bytes that do not match the given digest, and keeps nothing', async (s) => {
    const claimed = digestOf('what was promised');
    await assert.rejects(
      s.sink.writeBlob({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: claimed, size: 17 }, Readable.from([Buffer.from('something else!!!')])),
      (e: unknown) => isBerthError(e, 'corrupt'),
    );
    assert.equal(await s.sink.hasBlob({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: claimed, size: 17 }), false);
  });

  withSink('a second copy of the same image skips every blob', async (s) => {
    // Layers already in the form the sink keeps: a recompressed layer's digest is unknown until written.
    const { image } = await sourceImage(s.sink.layerCompression === 'none' ? 'none' : 'gzip');
    await copyImage(image, s.sink, { tag: 'one' });
    const outcomes: string[] = [];
    await copyImage(image, s.sink, { tag: 'two', onBlob: (_d, o) => outcomes.push(o) });
    assert.ok(outcomes.length >= 3);
    assert.ok(
      outcomes.every((o) => o === 'skipped'),
      outcomes.join(','),
    );
    await s.finish?.();
    assert.equal(await (await s.open('two')).digest(), await (await s.open('one')).digest());
  });
}
