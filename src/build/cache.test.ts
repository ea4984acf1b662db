import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LayerRecord } from '../store/index.js';
import { buildCacheUsage, type CacheEntry } from './cache.js';

const entry = (chain: string): CacheEntry => ({ layer: { chainID: chain }, createdAt: '' }) as unknown as CacheEntry;
const layer = (chain: string, size: number) => ({ chainID: chain, size }) as unknown as LayerRecord;

test('buildCacheUsage counts each layer only the cache names, once', () => {
  const layers = [layer('sha256:img', 100), layer('sha256:mid', 20), layer('sha256:other', 7)];
  // img is an image's (counted there); gone was collected already; mid is named twice.
  const entries = [entry('sha256:img'), entry('sha256:mid'), entry('sha256:mid'), entry('sha256:gone')];
  assert.deepEqual(buildCacheUsage(entries, layers, new Set(['sha256:img'])), { total: 4, size: 20 });
  assert.deepEqual(buildCacheUsage([], layers, new Set()), { total: 0, size: 0 });
});
