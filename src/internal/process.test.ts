import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { processAlive } from './process.js';

test('processAlive: this process is, a reaped child is not, and no pid at all is not', () => {
  assert.equal(processAlive(process.pid), true);
  assert.equal(processAlive(1), true); // init exists (EPERM or not)
  const gone = spawnSync('true').pid;
  assert.equal(processAlive(gone ?? 0), false);
  for (const none of [0, -1, Number.NaN, 1.5]) assert.equal(processAlive(none), false);
});
