import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OVERFLOW_ID, toContainerId, toHostId } from './idmap.js';

const map = { hostId: 100000, size: 65536 };

test('host ids in the mapping shift back to container ids; the rest show as the overflow id', () => {
  assert.equal(toContainerId(100000, map), 0);
  assert.equal(toContainerId(165535, map), 65535);
  assert.equal(toContainerId(165536, map), OVERFLOW_ID);
  assert.equal(toContainerId(0, map), OVERFLOW_ID);
  assert.equal(toContainerId(99999, map), OVERFLOW_ID);
});

test('container ids shift into the mapping; ids it does not hold are refused, naming the owner', () => {
  assert.equal(toHostId(0, map), 100000);
  assert.equal(toHostId(65535, map), 165535);
  for (const bad of [65536, -1, 1.5, 2 ** 32]) {
    assert.throws(() => toHostId(bad, map), (err: Error & { kind?: string }) => err.kind === 'invalid-argument' && err.message.includes(`owner ${bad} is outside the 65536 ids`));
  }
});
