import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dockerTime } from './logs.js';

test("log timestamps as docker's: UTC, nine fractional digits, Z", () => {
  // conmon's k8s-file times carry the local offset; dockerd 20.10 prints the same line's time so.
  assert.equal(dockerTime('2026-12-04T22:00:38.346047817+00:00'), '2026-12-04T22:00:38.346047817Z');
  assert.equal(dockerTime('2026-12-04T23:00:38.5+01:00'), '2026-12-04T22:00:38.500000000Z');
  assert.equal(dockerTime('2026-12-04T22:00:38Z'), '2026-12-04T22:00:38.000000000Z');
  assert.equal(dockerTime('2026-12-05T00:30:00.1234567891-03:00'), '2026-12-05T03:30:00.123456789Z');
  assert.equal(dockerTime('not a time'), 'not a time');
});
