// End to end through the berth CLI with real overlay, runc and conmon: docker's health checks,
// run by berth-health-timer each interval (`healthcheck run`), shown by ps, inspect and events,
// and the timer ending with its container whichever way it goes.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { berth, cleanupFixture, type EngineFixture, makeEngineFixture, makeImage, ok } from './engine-fixture.js';

let fx: EngineFixture;
before(async () => {
  fx = await makeEngineFixture();
});
after(async () => {
  await cleanupFixture(fx);
});

async function waitFor(fn: () => Promise<boolean>, what: string, ms = 8_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The pids of health timers whose command line names the container. */
function timersOf(id: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv[0].endsWith('berth-health-timer') && argv.includes(id)) out.push(Number(p));
    } catch {}
  }
  return out;
}

async function health(name: string): Promise<{ Status: string; FailingStreak: number; Log: { ExitCode: number; Output: string }[] } | null> {
  return JSON.parse(await ok(fx, ['inspect', '-f', '{{json .State.Health}}', name]));
}

test('starting -> unhealthy -> healthy, driven by the timer; ps, filters, inspect and events', async () => {
  const id = await ok(fx, ['run', '-d', '--name', 'hc', '--health-cmd', 'test -e /tmp/ok', '--health-interval', '200ms', '--health-retries', '2', fx.image, 'sleep', '60']);
  assert.equal(timersOf(id).length, 1, 'one timer for it');
  assert.match(await ok(fx, ['ps', '--filter', 'name=hc', '--format', '{{.Status}}']), /\(health: starting\)$/);
  assert.equal(await ok(fx, ['ps', '-q', '--filter', 'health=starting']), id.slice(0, 12));
  const cfg = JSON.parse(await ok(fx, ['inspect', '-f', '{{json .Config.Healthcheck}}', 'hc']));
  assert.deepEqual(cfg, { Test: ['CMD-SHELL', 'test -e /tmp/ok'], Interval: 200e6, Timeout: 0, StartPeriod: 0, Retries: 2 });
  await waitFor(async () => (await health('hc'))?.Status === 'unhealthy', 'unhealthy');
  const h = await health('hc');
  assert.ok(h && h.FailingStreak >= 2 && h.Log.every((l) => l.ExitCode === 1), JSON.stringify(h));
  assert.match(await ok(fx, ['ps', '--filter', 'name=hc', '--format', '{{.Status}}']), /^Up .* \(unhealthy\)$/);
  assert.equal(await ok(fx, ['ps', '-q', '--filter', 'health=unhealthy']), id.slice(0, 12));
  assert.equal(await ok(fx, ['ps', '-q', '--filter', 'health=healthy']), '');
  await ok(fx, ['exec', 'hc', 'touch', '/tmp/ok']);
  await waitFor(async () => (await health('hc'))?.Status === 'healthy', 'healthy');
  assert.equal((await health('hc'))?.FailingStreak, 0);
  assert.match(await ok(fx, ['ps', '--filter', 'name=hc', '--format', '{{.Status}}']), /^Up .* \(healthy\)$/);
  const events = await ok(fx, ['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=hc', '--format', '{{.Action}}']);
  const actions = events.split('\n').filter((a) => a.startsWith('health_status'));
  assert.deepEqual(actions, ['health_status: unhealthy', 'health_status: healthy']);
  // healthcheck run by hand: healthy, exit 0; then unhealthy, exit 1.
  const r = await berth(fx, ['healthcheck', 'run', 'hc']);
  assert.deepEqual([r.code, r.stdout], [0, 'healthy\n']);
  await ok(fx, ['exec', 'hc', 'rm', '/tmp/ok']);
  const u = await berth(fx, ['healthcheck', 'run', 'hc']);
  assert.deepEqual([u.code, u.stdout], [1, 'unhealthy\n']);
  await ok(fx, ['rm', '-f', 'hc']);
  assert.deepEqual(timersOf(id), [], 'no timer after rm -f');
});

test('--health-start-interval: in the start period the checks come that often until one succeeds, then every interval', async () => {
  const id = await ok(fx, ['run', '-d', '--name', 'hcs', '--health-cmd', 'test -e /tmp/ok', '--health-interval', '1h', '--health-start-period', '60s', '--health-start-interval', '150ms', fx.image, 'sleep', '60']);
  const cfg = JSON.parse(await ok(fx, ['inspect', '-f', '{{json .Config.Healthcheck}}', 'hcs']));
  assert.equal(cfg.StartInterval, 150e6);
  // With an interval of an hour, only the start interval can run these checks.
  await waitFor(async () => ((await health('hcs'))?.Log.length ?? 0) >= 2, 'two checks in the start period');
  const starting = await health('hcs');
  assert.equal(starting?.Status, 'starting', 'failures in the start period do not count');
  await ok(fx, ['exec', 'hcs', 'touch', '/tmp/ok']);
  await waitFor(async () => (await health('hcs'))?.Status === 'healthy', 'healthy');
  // A success ends the start interval: the next check is an hour away.
  const after = (await health('hcs'))?.Log.length;
  await new Promise((r) => setTimeout(r, 800));
  assert.equal((await health('hcs'))?.Log.length, after);
  await ok(fx, ['rm', '-f', 'hcs']);
  assert.deepEqual(timersOf(id), []);
  const bad = await berth(fx, ['run', '-d', '--health-cmd', 'true', '--health-start-interval', '10us', fx.image, 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /StartInterval in Healthcheck cannot be less than 1ms/);
});

test('healthcheck run: no check is 125, a stopped container an error; --no-healthcheck over the image', async () => {
  await makeImage(fx, 'test/hc:1', { Cmd: ['sleep', '60'], Healthcheck: { Test: ['CMD-SHELL', 'exit 0'], Interval: 100e6, Retries: 1 } });
  const id = await ok(fx, ['run', '-d', '--name', 'img-hc', 'test/hc:1']);
  assert.deepEqual(JSON.parse(await ok(fx, ['inspect', '-f', '{{json .Config.Healthcheck}}', 'img-hc'])), { Test: ['CMD-SHELL', 'exit 0'], Interval: 100e6, Retries: 1 });
  await waitFor(async () => (await health('img-hc'))?.Status === 'healthy', "the image's check");
  await ok(fx, ['stop', '-t', '0', 'img-hc']);
  assert.deepEqual(timersOf(id), [], 'no timer after stop');
  const stopped = await berth(fx, ['healthcheck', 'run', 'img-hc']);
  assert.equal(stopped.code, 125);
  assert.match(stopped.stderr, /not running/);
  await ok(fx, ['run', '-d', '--name', 'no-hc', '--no-healthcheck', 'test/hc:1']);
  assert.deepEqual(JSON.parse(await ok(fx, ['inspect', '-f', '{{json .Config.Healthcheck}}', 'no-hc'])), { Test: ['NONE'] });
  assert.equal(await health('no-hc'), null);
  const none = await berth(fx, ['healthcheck', 'run', 'no-hc']);
  assert.equal(none.code, 125);
  assert.match(none.stderr, /container no-hc has no defined healthcheck/);
  assert.doesNotMatch(await ok(fx, ['ps', '--filter', 'name=no-hc', '--format', '{{.Status}}']), /\(/);
  assert.match(await ok(fx, ['ps', '--filter', 'health=none', '--format', '{{.Names}}']), /^no-hc$/m);
  const bad = await berth(fx, ['run', '-d', '--no-healthcheck', '--health-retries', '1', 'test/hc:1']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /--no-healthcheck conflicts with --health-\* options/);
  await ok(fx, ['rm', '-f', 'img-hc', 'no-hc']);
});

test('a check past --health-timeout is recorded as a timeout; the timer ends when the container exits by itself', async () => {
  const id = await ok(fx, ['run', '-d', '--name', 'slow', '--health-cmd', 'sleep 5', '--health-timeout', '300ms', '--health-interval', '100ms', '--health-retries', '1', fx.image, 'sleep', '60']);
  await waitFor(async () => (await health('slow'))?.Status === 'unhealthy', 'a timed out check');
  const h = await health('slow');
  assert.equal(h?.Log[0].ExitCode, -1);
  assert.equal(h?.Log[0].Output, 'Health check exceeded timeout (300ms)');
  await ok(fx, ['rm', '-f', 'slow']);
  assert.deepEqual(timersOf(id), []);
  // A check ended mid-way (the timer's SIGTERM) takes its runtime files with it.
  await waitFor(async () => {
    const left = ['runc', 'crun'].flatMap((rt) => {
      try {
        return readdirSync(path.join(fx.runroot, rt)).filter((f) => /^\.(exec|pid)-/.test(f));
      } catch {
        return [];
      }
    });
    return left.length === 0;
  }, 'no exec files left', 3_000);
  const short = await ok(fx, ['run', '-d', '--name', 'short', '--health-cmd', 'true', '--health-interval', '100ms', fx.image, 'sleep', '1']);
  assert.equal(timersOf(short).length, 1);
  await waitFor(async () => (await ok(fx, ['inspect', '-f', '{{.State.Status}}', 'short'])) === 'exited', 'its exit');
  await waitFor(async () => timersOf(short).length === 0, 'the timer to end with the container', 3_000);
  await ok(fx, ['rm', 'short']);
});
