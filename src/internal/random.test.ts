import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes, randomHex } from './random.js';

test('randomHex gives 2n hex digits, different each time', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const h = randomHex(6);
    assert.match(h, /^[0-9a-f]{12}$/);
    seen.add(h);
  }
  assert.equal(seen.size, 200);
  assert.equal(randomHex(32).length, 64);
});

test('randomBytes fills the whole buffer, large ones too', () => {
  const b = randomBytes(1 << 16);
  assert.equal(b.length, 1 << 16);
  // 64 KiB of zero bytes from a working generator would be a miracle.
  assert.ok(b.some((x) => x !== 0));
  assert.equal(randomBytes(0).length, 0);
});
