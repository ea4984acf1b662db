import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CREATE_FLAGS, containerSpecFrom } from './container-create.js';
import { parseFlags } from './flags.js';

const spec = (argv: string[]) => {
  const flags = parseFlags({ usage: 'berth run', summary: '', flags: CREATE_FLAGS, stopAtFirstPositional: true }, [...argv, 'img']);
  return containerSpecFrom(flags, 'img', []);
};

test('--health-* flags become the spec\'s healthcheck; none given, none recorded', () => {
  assert.equal(spec([]).healthcheck, undefined);
  assert.deepEqual(spec(['--health-cmd', 'test -e /ok', '--health-interval=200ms', '--health-retries', '2', '--health-start-period', '1m']).healthcheck, {
    Test: ['CMD-SHELL', 'test -e /ok'],
    Interval: 200e6,
    Timeout: 0,
    StartPeriod: 60e9,
    Retries: 2,
  });
  assert.deepEqual(spec(['--no-healthcheck']).healthcheck, { Test: ['NONE'] });
  assert.throws(() => spec(['--no-healthcheck', '--health-cmd', 'x']), /--no-healthcheck conflicts with --health-\* options/);
  assert.throws(() => spec(['--health-interval', '10']), /invalid argument "10" for "--health-interval" flag/);
  assert.throws(() => spec(['--health-retries', 'x']), /invalid argument "x" for "--health-retries" flag: strconv.ParseInt: parsing "x": invalid syntax/);
  assert.throws(() => spec(['--health-retries', '-1']), /--health-retries cannot be negative/);
});
