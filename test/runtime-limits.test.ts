// End to end under real runc: cgroup limits from docker's flags reach the kernel (memory with
// the OOM killer, pids, cpu quota), and the runtime's verbs (exec, pause, update, stats) work.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { isBerthError } from '../src/internal/errors.js';
import {
  detectCgroups,
  findRuntime,
  monitorRunning,
  parseBytes,
  removeContainer,
  resourcesFrom,
  stopContainer,
  waitForExit,
} from '../src/runtime/index.js';
import { type Fixture, field, makeFixture, runToExit, startIn } from './runtime-fixture.js';

let fx: Fixture;
before(async () => {
  fx = await makeFixture();
});
after(async () => {
  await fs.rm(fx.dir, { recursive: true, force: true });
});

const sh = (script: string) => ['/bin/sh', '-c', script];
const layout = detectCgroups();

test('a memory limit is set in the cgroup and an allocation beyond it is OOM-killed (137)', async () => {
  const resources = resourcesFrom({ memory: parseBytes('32m'), memorySwap: parseBytes('32m') }, layout);
  const limitFile =
    layout.mode === 'v2' ? '/sys/fs/cgroup/memory.max' : '/sys/fs/cgroup/memory/memory.limit_in_bytes';
  const r = await runToExit(fx, {
    resources,
    process: { args: sh(`echo limit=$(cat ${limitFile}); true`) },
  });
  assert.equal(field(r.stdout, 'limit'), String(32 * 1024 * 1024));
  const r2 = await runToExit(fx, { resources, process: { args: sh('head -c 200m /dev/zero | tail') } });
  assert.equal(r2.exit.exitCode, 137);
  assert.equal(r2.exit.oomKilled, true);
});

test('a pids limit stops a fork bomb', async () => {
  const r = await runToExit(fx, {
    resources: resourcesFrom({ pidsLimit: 8 }),
    process: {
      args: sh(
        'echo max=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max); sh -c "for i in \\$(seq 20); do sleep 5 & echo started=\\$i; done"; echo after=$?',
      ),
    },
  });
  assert.equal(field(r.stdout, 'max'), '8');
  const started = [...r.stdout.matchAll(/^started=(\d+)$/gm)].map((m) => Number(m[1]));
  assert.ok(started.length >= 1 && started.length <= 7, `forks that succeeded: ${started.length}`);
  assert.notEqual(field(r.stdout, 'after'), '0');
  assert.match(r.stderr, /can't fork/);
});

test('--cpus 1.5 becomes quota 150000 over period 100000 in the cgroup', async () => {
  const resources = resourcesFrom({ cpus: 1.5, cpuShares: 512 });
  assert.deepEqual(resources.cpu, { quota: 150000, period: 100000, shares: 512 });
  const r = await runToExit(fx, {
    resources,
    process: {
      args: sh('echo quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) period=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us) shares=$(cat /sys/fs/cgroup/cpu/cpu.shares)'),
    },
  });
  if (layout.mode !== 'v2') assert.match(r.stdout, /quota=150000 period=100000 shares=512/);
});

test('explicit rlimits apply; one above the host hard limit is refused before the runtime runs', async () => {
  const r = await runToExit(fx, {
    process: { args: sh('echo nofile=$(ulimit -n)'), rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }] },
  });
  assert.equal(field(r.stdout, 'nofile'), '1024');
  const hard = Number(/^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1]);
  await assert.rejects(
    startIn(fx, { process: { args: ['true'], rlimits: [{ type: 'RLIMIT_NOFILE', soft: hard + 1, hard: hard + 1 }] } }),
    (e: unknown) => isBerthError(e, 'invalid-argument') && /hard limit/.test((e as Error).message),
  );
});

test('exec, pause/resume, update and stats on a running container', async () => {
  const { id, stateDir } = await startIn(fx, {
    resources: resourcesFrom({ memory: parseBytes('64m') }, layout),
    process: { args: sh('trap "exit 143" TERM; sleep 60 & wait') },
  });
  try {
    const ex = await fx.runtime.exec(id, {
      args: ['/bin/sh', '-c', 'echo in-$(hostname); exit 5'],
      env: ['PATH=/bin'],
      cwd: '/',
      user: { uid: 0, gid: 0 },
    });
    assert.equal(ex.exitCode, 5);
    assert.match(ex.stdout, /^in-/);
    const child = await fx.runtime.spawnExec(id, { args: ['/bin/sh', '-c', 'tr a-z A-Z; exit 9'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } });
    let streamed = '';
    child.stdout?.on('data', (d: Buffer) => {
      streamed += d.toString();
    });
    child.stdin?.end('shout\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 9);
    assert.equal(streamed, 'SHOUT\n');
    await fx.runtime.pause(id);
    assert.equal((await fx.runtime.state(id)).status, 'paused');
    await fx.runtime.resume(id);
    assert.equal((await fx.runtime.state(id)).status, 'running');
    await fx.runtime.update(id, { memory: { limit: 128 * 1024 * 1024, swap: 256 * 1024 * 1024 } });
    const stats = (await fx.runtime.stats(id)) as { memory?: { usage?: { limit?: number } }; pids?: { current?: number } };
    assert.equal(stats.memory?.usage?.limit, 128 * 1024 * 1024);
    assert.equal(stats.pids?.current, 2); // sh and its sleep
    await assert.rejects(fx.runtime.start(id), (e: unknown) => isBerthError(e) && /cannot start container/.test((e as Error).message));
    await fx.runtime.kill(id, 'TERM');
    assert.equal((await waitForExit(stateDir, id, { timeoutMs: 10000 })).exitCode, 143);
  } finally {
    await fx.runtime.delete(id, { force: true });
  }
});

test('runtime selection skips one that cannot run here and says why', async () => {
  const choice = await findRuntime({ runRoot: fx.runRoot, candidates: ['no-such-runtime', 'crun', 'runc'] });
  assert.equal(choice.runtime.name, 'runc');
  assert.match(choice.version, /^\d+\.\d+/);
  assert.equal(choice.skipped[0].reason, 'not installed (not in PATH)');
  const crun = choice.skipped.find((s) => s.name === 'crun');
  if (layout.mode === 'hybrid') assert.match(crun?.reason ?? '', /hybrid/);
  await assert.rejects(findRuntime({ runRoot: fx.runRoot, runtime: 'no-such-runtime' }), (e: unknown) =>
    isBerthError(e, 'not-found'),
  );
  if (layout.mode === 'hybrid') {
    await assert.rejects(findRuntime({ runRoot: fx.runRoot, runtime: 'crun' }), (e: unknown) =>
      isBerthError(e, 'failed-precondition') && /crun: cgroups in hybrid mode/.test((e as Error).message),
    );
  }
});

test('stop: SIGTERM ignored by PID 1 with no handler, so SIGKILL after the grace period (137)', async () => {
  const { id, stateDir } = await startIn(fx, { process: { args: ['sleep', '60'] } });
  try {
    const t0 = Date.now();
    const exit = await stopContainer(fx.runtime, id, stateDir, { timeoutSeconds: 1 });
    assert.equal(exit.exitCode, 137);
    assert.ok(Date.now() - t0 >= 900);
    assert.deepEqual(await stopContainer(fx.runtime, id, stateDir), exit);
  } finally {
    await fx.runtime.delete(id, { force: true });
  }
});

test('a monitor killed without an exit file ends the wait with a clear error; remove cleans up', async () => {
  const { id, stateDir, started } = await startIn(fx, { process: { args: ['sleep', '60'] } });
  try {
    assert.equal(await monitorRunning(stateDir, id), true);
    process.kill(started.monitorPid, 'SIGKILL');
    await assert.rejects(waitForExit(stateDir, id, { timeoutMs: 10000 }), /monitor \(conmon\) is gone/);
  } finally {
    await removeContainer(fx.runtime, id, stateDir);
  }
  await assert.rejects(fx.runtime.state(id), (e: unknown) => isBerthError(e, 'not-found'));
  await assert.rejects(fs.access(stateDir));
});

test('a second container with a taken id is refused as already-exists and the first keeps running', async () => {
  const { id, bundle, stateDir } = await startIn(fx, { process: { args: ['sleep', '30'] } });
  try {
    await assert.rejects(fx.runtime.create(id, bundle), (e: unknown) => isBerthError(e, 'already-exists'));
    assert.equal((await fx.runtime.state(id)).status, 'running');
  } finally {
    await removeContainer(fx.runtime, id, stateDir);
  }
});
