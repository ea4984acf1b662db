import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageRecord, LayerRecord } from '../store/index.js';
import { containerUsage, imageUsage, percentOf, sharedSizes, volumeUsage } from './disk-usage.js';

const layer = (chain: string, size: number): LayerRecord => ({ chainID: chain, diffID: chain, size, compressed: [], createdAt: '' }) as unknown as LayerRecord;
const image = (id: string, chains: string[]): ImageRecord =>
  ({ id, names: [], digests: [], layers: chains.map((c) => ({ chainID: c })), size: 0, addedAt: '' }) as unknown as ImageRecord;

test('imageUsage counts shared layers once and reclaims only what no used image references', () => {
  const layers = [layer('sha256:base', 1000), layer('sha256:a', 300), layer('sha256:b', 200), layer('sha256:orphan', 5000)];
  const images = [image('sha256:A', ['sha256:base', 'sha256:a']), image('sha256:B', ['sha256:base', 'sha256:b'])];
  const row = imageUsage(images, layers, [{ images: ['sha256:A' as never] }]);
  // base once, a, b; a layer no image names (the build cache's) is not the images' size.
  assert.deepEqual(row, { type: 'Images', total: 2, active: 1, size: 1500, reclaimable: 200 });
  const none = imageUsage(images, layers, []);
  assert.equal(none.active, 0);
  assert.equal(none.reclaimable, 1500);
});

test('sharedSizes: the bytes of an image\'s layers another image has too, a layer named twice counted once', () => {
  const layers = [layer('sha256:base', 1000), layer('sha256:a', 300), layer('sha256:b', 200)];
  const images = [image('sha256:A', ['sha256:base', 'sha256:a']), image('sha256:B', ['sha256:base', 'sha256:b', 'sha256:b']), image('sha256:C', ['sha256:a'])];
  assert.deepEqual(Object.fromEntries(sharedSizes(images, layers)), { 'sha256:A': 1300, 'sha256:B': 1000, 'sha256:C': 300 });
  assert.deepEqual(Object.fromEntries(sharedSizes([image('sha256:A', ['sha256:base'])], layers)), { 'sha256:A': 0 });
});

test('containerUsage: active are the running ones, reclaimable the rest', () => {
  assert.deepEqual(
    containerUsage([
      { running: true, size: 8000 },
      { running: false, size: 4000 },
      { running: false, size: 0 },
    ]),
    { type: 'Containers', total: 3, active: 1, size: 12000, reclaimable: 4000 },
  );
  assert.deepEqual(volumeUsage(), { type: 'Local Volumes', total: 0, active: 0, size: 0, reclaimable: 0 });
  assert.deepEqual(
    volumeUsage([
      { inUse: true, size: 100 },
      { inUse: false, size: 30 },
      { inUse: false, size: 0 },
    ]),
    { type: 'Local Volumes', total: 3, active: 1, size: 130, reclaimable: 30 },
  );
});

test('percentOf is docker integer share, none for an empty size', () => {
  assert.equal(percentOf(800, 1200), ' (66%)');
  assert.equal(percentOf(4000, 12000), ' (33%)');
  assert.equal(percentOf(0, 5), ' (0%)');
  assert.equal(percentOf(5, 5), ' (100%)');
  assert.equal(percentOf(0, 0), '');
});
