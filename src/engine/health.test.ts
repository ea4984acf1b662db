import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusText } from './container.js';
import {
  applyResult,
  checkHealthConfig,
  clipOutput,
  type HealthResult,
  type HealthState,
  healthConfigFromFlags,
  healthProbe,
  healthTimerArgs,
  isHealthTimer,
  mergeHealthConfig,
  parseGoDuration,
  startingHealth,
  timeoutResult,
} from './health.js';

test("Go durations as docker's flags take them", () => {
  assert.equal(parseGoDuration('1m30s', 'f'), 90e9);
  assert.equal(parseGoDuration('500ms', 'f'), 500e6);
  assert.equal(parseGoDuration('1.5s', 'f'), 1.5e9);
  assert.equal(parseGoDuration('2h', 'f'), 7200e9);
  assert.equal(parseGoDuration('10us', 'f'), 10e3);
  assert.equal(parseGoDuration('0', 'f'), 0);
  assert.equal(parseGoDuration('-1s', 'f'), -1e9);
  for (const bad of ['', '5', '1x', 's', '1s ', '1m30']) assert.throws(() => parseGoDuration(bad, '--health-interval'), /invalid argument ".*" for "--health-interval" flag/, bad);
});

test('--health-* flags: CMD-SHELL, zeros for what was not given, docker validations', () => {
  assert.equal(healthConfigFromFlags({}), undefined);
  assert.deepEqual(healthConfigFromFlags({ cmd: 'curl -f localhost', interval: '1m30s', retries: 2 }), {
    Test: ['CMD-SHELL', 'curl -f localhost'],
    Interval: 90e9,
    Timeout: 0,
    StartPeriod: 0,
    Retries: 2,
  });
  // Only a duration: the image's test stays (an empty Test).
  assert.deepEqual(healthConfigFromFlags({ timeout: '5s' }), { Interval: 0, Timeout: 5e9, StartPeriod: 0, Retries: 0 });
  assert.deepEqual(healthConfigFromFlags({ none: true }), { Test: ['NONE'] });
  assert.throws(() => healthConfigFromFlags({ none: true, cmd: 'true' }), /--no-healthcheck conflicts with --health-\* options/);
  assert.throws(() => healthConfigFromFlags({ none: true, retries: 1 }), /--no-healthcheck conflicts/);
  assert.throws(() => healthConfigFromFlags({ interval: '-1s' }), /--health-interval cannot be negative/);
  assert.throws(() => healthConfigFromFlags({ retries: -1 }), /--health-retries cannot be negative/);
  assert.throws(() => healthConfigFromFlags({ timeout: '500us' }), /Timeout in Healthcheck cannot be less than 1ms/);
  assert.throws(() => healthConfigFromFlags({ startPeriod: '10ns' }), /StartPeriod in Healthcheck cannot be less than 1ms/);
  assert.doesNotThrow(() => healthConfigFromFlags({ interval: '1ms' }));
  assert.deepEqual(healthConfigFromFlags({ startInterval: '250ms' }), { Interval: 0, Timeout: 0, StartPeriod: 0, StartInterval: 250e6, Retries: 0 });
  assert.throws(() => healthConfigFromFlags({ startInterval: '1us' }), /StartInterval in Healthcheck cannot be less than 1ms/);
  assert.throws(() => healthConfigFromFlags({ none: true, startInterval: '1s' }), /--no-healthcheck conflicts/);
  assert.throws(() => checkHealthConfig({ Retries: -2 }), /Retries in Healthcheck cannot be negative/);
});

test("the container's config over the image's, field by field", () => {
  const image = { Test: ['CMD', 'check'], Interval: 10e9, Timeout: 2e9, StartPeriod: 5e9, Retries: 5 };
  assert.deepEqual(mergeHealthConfig(image, undefined), image);
  assert.equal(mergeHealthConfig(undefined, undefined), undefined);
  assert.deepEqual(mergeHealthConfig(image, { Interval: 1e9, Timeout: 0, StartPeriod: 0, Retries: 0 }), { ...image, Interval: 1e9 });
  assert.deepEqual(mergeHealthConfig(image, { Test: ['CMD-SHELL', 'x'], Interval: 0, Timeout: 0, StartPeriod: 0, Retries: 1 }), { ...image, Test: ['CMD-SHELL', 'x'], Retries: 1 });
  assert.deepEqual(mergeHealthConfig(image, { Test: ['NONE'] }), { Test: ['NONE'] });
  assert.deepEqual(mergeHealthConfig({ ...image, StartInterval: 1e9 }, { Interval: 0 }), { ...image, StartInterval: 1e9 });
  assert.deepEqual(mergeHealthConfig({ ...image, StartInterval: 1e9 }, { StartInterval: 2e9 }), { ...image, StartInterval: 2e9 });
  assert.deepEqual(mergeHealthConfig(undefined, { Test: ['CMD-SHELL', 'x'], Interval: 0 }), { Test: ['CMD-SHELL', 'x'], Interval: 0 });
});

test('the probe: CMD, CMD-SHELL through /bin/sh -c, NONE is none; defaults filled in', () => {
  assert.deepEqual(healthProbe({ Test: ['CMD', 'a', 'b'] }), { cmd: ['a', 'b'], intervalMs: 30000, timeoutMs: 30000, startPeriodMs: 0, startIntervalMs: 5000, retries: 3, timeoutNs: 30e9 });
  assert.equal(healthProbe({ Test: ['CMD', 'a'], StartInterval: 300e6 })?.startIntervalMs, 300);
  assert.deepEqual(healthProbe({ Test: ['CMD-SHELL', 'a && b'], Interval: 200e6, Timeout: 1e9, StartPeriod: 2e9, Retries: 2 })?.cmd, ['/bin/sh', '-c', 'a && b']);
  assert.equal(healthProbe({ Test: ['NONE'] }), undefined);
  assert.equal(healthProbe({ Test: [] }), undefined);
  assert.equal(healthProbe({ Test: ['CMD'] }), undefined);
  assert.equal(healthProbe(undefined), undefined);
});

test("the timer's schedule: every interval; with a start period, every start interval first", () => {
  assert.deepEqual(healthTimerArgs(42, { intervalMs: 1000, startPeriodMs: 0, startIntervalMs: 5000 }), ['42', '1000', '1000']);
  // docker 25: in the start period, until a check succeeds, the start interval (5 s unless given).
  assert.deepEqual(healthTimerArgs(42, { intervalMs: 1000, startPeriodMs: 30000, startIntervalMs: 200 }), ['42', '1000', '200', '-s', '200', '30000']);
});

const STARTED = '2024-01-01T00:00:00.000Z';
const at = (ms: number, code: number): HealthResult => ({ Start: new Date(Date.parse(STARTED) + ms).toISOString(), End: new Date(Date.parse(STARTED) + ms + 5).toISOString(), ExitCode: code, Output: '' });

function run(results: HealthResult[], probe: { retries: number; startPeriodMs: number }): HealthState[] {
  const out: HealthState[] = [];
  let h = startingHealth(undefined);
  for (const r of results) {
    h = applyResult(h, r, probe, STARTED);
    out.push(h);
  }
  return out;
}

test('state machine: retries failures in a row make it unhealthy, a success healthy with streak 0', () => {
  const s = run([at(100, 1), at(200, 1), at(300, 0), at(400, 2), at(500, 1)], { retries: 2, startPeriodMs: 0 });
  assert.deepEqual(
    s.map((h) => [h.Status, h.FailingStreak]),
    [
      ['starting', 1],
      ['unhealthy', 2],
      ['healthy', 0],
      ['healthy', 1],
      ['unhealthy', 2],
    ],
  );
});

test('state machine: failures in the start period do not count; a success ends it', () => {
  const s = run([at(100, 1), at(200, 1), at(300, 1), at(1500, 1), at(1600, 1)], { retries: 2, startPeriodMs: 1000 });
  assert.deepEqual(
    s.map((h) => [h.Status, h.FailingStreak]),
    [
      ['starting', 0],
      ['starting', 0],
      ['starting', 0],
      ['starting', 1],
      ['unhealthy', 2],
    ],
  );
  // A success within the start period: no longer starting, so later failures count at once.
  const t = run([at(100, 0), at(200, 1), at(300, 1)], { retries: 2, startPeriodMs: 1000 });
  assert.deepEqual(
    t.map((h) => [h.Status, h.FailingStreak]),
    [
      ['healthy', 0],
      ['healthy', 1],
      ['unhealthy', 2],
    ],
  );
});

test('the log keeps the last five; a timeout is exit -1 with docker words; output clipped at 4 KiB', () => {
  const s = run([0, 1, 2, 3, 4, 5, 6].map((i) => at(i * 100, i === 6 ? 0 : 1)), { retries: 3, startPeriodMs: 0 });
  const last = s.at(-1) as HealthState;
  assert.equal(last.Log.length, 5);
  assert.equal(last.Log[0].Start, at(200, 1).Start);
  const t = timeoutResult(new Date(STARTED), new Date(STARTED), 300e6);
  assert.deepEqual([t.ExitCode, t.Output], [-1, 'Health check exceeded timeout (300ms)']);
  const h = applyResult(startingHealth(undefined), t, { retries: 1, startPeriodMs: 0 }, STARTED);
  assert.deepEqual([h.Status, h.FailingStreak], ['unhealthy', 1]);
  assert.equal(clipOutput(Buffer.alloc(5000, 'a')).length, 4096);
  assert.equal(clipOutput('ok\n'), 'ok\n');
  // A new run starts over but keeps the log, as docker's does.
  assert.deepEqual(startingHealth(h), { Status: 'starting', FailingStreak: 0, Log: h.Log });
});

test("ps's status words with a health status", () => {
  const now = Date.parse('2024-01-01T00:00:05Z');
  const base = { status: 'running' as const, pid: 1, monitorPid: 1, restartCount: 0, startedAt: STARTED };
  assert.equal(statusText({ ...base, health: { Status: 'starting', FailingStreak: 0, Log: [] } }, now), 'Up 5 seconds (health: starting)');
  assert.equal(statusText({ ...base, health: { Status: 'healthy', FailingStreak: 0, Log: [] } }, now), 'Up 5 seconds (healthy)');
  assert.equal(statusText({ ...base, health: { Status: 'unhealthy', FailingStreak: 3, Log: [] } }, now), 'Up 5 seconds (unhealthy)');
  assert.equal(statusText({ ...base, status: 'exited', exitCode: 0, finishedAt: STARTED, health: { Status: 'healthy', FailingStreak: 0, Log: [] } }, now), 'Exited (0) 5 seconds ago');
});

test('a pid is taken for a timer only when /proc names the timer and the container', () => {
  assert.equal(isHealthTimer(process.pid, 'abc'), false);
  assert.equal(isHealthTimer(999_999_999, 'abc'), false);
});
