import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcLimits, parseUlimit, RLIM_INFINITY, resolveRlimits } from './rlimits.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max processes             96365                96365                processes
Max open files            20000                20000                files
Max core file size        0                    unlimited            bytes
`;

test('/proc/self/limits is parsed, unlimited = RLIM_INFINITY', () => {
  const l = parseProcLimits(LIMITS);
  assert.deepEqual(l.RLIMIT_NOFILE, { soft: 20000, hard: 20000 });
  assert.deepEqual(l.RLIMIT_CPU, { soft: RLIM_INFINITY, hard: RLIM_INFINITY });
  assert.deepEqual(l.RLIMIT_CORE, { soft: 0, hard: RLIM_INFINITY });
});

test('the nofile default 1048576 is clamped to the host hard limit; explicit ones above it are refused', () => {
  const host = parseProcLimits(LIMITS);
  assert.deepEqual(resolveRlimits([], host), [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]);
  assert.deepEqual(resolveRlimits([], {}), [{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }]);
  assert.deepEqual(resolveRlimits([{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }], host), [
    { type: 'RLIMIT_NOFILE', soft: 10, hard: 20 },
  ]);
  assert.throws(() => resolveRlimits([{ type: 'RLIMIT_NPROC', soft: 1, hard: 10 ** 6 }], host), /host's hard limit is 96365/);
});

test('--ulimit syntax', () => {
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 });
  assert.deepEqual(parseUlimit('core=-1'), { type: 'RLIMIT_CORE', soft: RLIM_INFINITY, hard: RLIM_INFINITY });
  assert.throws(() => parseUlimit('bogus=1'), /unknown limit/);
  assert.throws(() => parseUlimit('nofile=10:5'), /above hard/);
  assert.throws(() => parseUlimit('nofile'), /NAME=SOFT/);
});
