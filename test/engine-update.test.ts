// End to end through the berth CLI with real runc and conmon: `update` of a running, paused,
// created and exited container (its cgroup seen from inside, inspect), the restart policy of a
// running one, and the refusals that leave everything as it was.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { berth, cleanupFixture, type EngineFixture, makeEngineFixture, ok } from './engine-fixture.js';

let fx: EngineFixture;
before(async () => {
  fx = await makeEngineFixture();
});
after(async () => {
  await cleanupFixture(fx);
});

async function waitFor(fn: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const M = 1024 * 1024;
// The container's own cgroup: v1 files on a v1 or hybrid host, else v2's (memory+swap as memory.max + memory.swap.max).
const LIMITS = [
  'echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)',
  'echo memsw=$(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo $(( $(cat /sys/fs/cgroup/memory.max) + $(cat /sys/fs/cgroup/memory.swap.max) )))',
  'echo quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max)',
  'echo pids=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)',
].join('; ');

function fields(out: string): Record<string, string> {
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

const HOST = '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}';

test('a running container: the new limits in its cgroup and in inspect; refusals change nothing; paused too', async () => {
  await ok(fx, ['run', '-d', '--name', 'up', '--memory', '64m', fx.image, 'sleep', '1000']);
  assert.equal(fields(await ok(fx, ['exec', 'up', 'sh', '-c', LIMITS])).mem, String(64 * M));
  assert.equal(await ok(fx, ['update', '--memory', '128m', '--memory-swap', '256m', '--cpus', '0.5', '--pids-limit', '50', 'up']), 'up');
  const want = { mem: String(128 * M), memsw: String(256 * M), quota: '50000', pids: '50' };
  assert.deepEqual(fields(await ok(fx, ['exec', 'up', 'sh', '-c', LIMITS])), want);
  assert.equal(await ok(fx, ['inspect', '-f', HOST, 'up']), `${128 * M} ${256 * M} 500000000 50`);

  // Refused before anything changes: docker's minimum, docker's memory+swap rule, --cpus with --cpu-quota.
  const tiny = await berth(fx, ['update', '--memory', '1k', 'up']);
  assert.equal(tiny.code, 1);
  assert.match(tiny.stderr, /^Error: cannot update container up: invalid --memory: minimum allowed memory limit is 6MB\n$/);
  const above = await berth(fx, ['update', '--memory', '512m', 'up']);
  assert.equal(above.code, 1);
  assert.match(above.stderr, /^Error: Cannot update container [0-9a-f]{64}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time\n$/);
  assert.equal((await berth(fx, ['update', '--cpus', '1', '--cpu-quota', '20000', 'up'])).code, 1);
  // What runc's update cannot set is refused while the container runs.
  assert.match((await berth(fx, ['update', '--memory-swappiness', '10', 'up'])).stderr, /cannot change while it runs/);
  // The runtime's own refusal (a limit below what tmpfs pages hold, nothing to reclaim): its
  // message, nothing recorded. cgroup v1 refuses such a limit (EBUSY); v2 would OOM-kill instead.
  if (existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) {
    await ok(fx, ['exec', 'up', 'dd', 'if=/dev/zero', 'of=/dev/shm/fill', 'bs=1M', 'count=24']);
    const busy = await berth(fx, ['update', '--memory', '8m', '--memory-swap', '8m', 'up']);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /^Error: cannot update container up: runc: /);
    assert.deepEqual(fields(await ok(fx, ['exec', 'up', 'sh', '-c', LIMITS])), want);
    assert.equal(await ok(fx, ['inspect', '-f', HOST, 'up']), `${128 * M} ${256 * M} 500000000 50`);
  }

  // --cpu-quota while --cpus is recorded: dockerd's conflict, nothing changes. Zeros change
  // nothing either (docker's update), -1 takes a pids limit away; --cpus anew. Paused, it stays paused.
  const quota = await berth(fx, ['update', '--cpu-quota', '20000', 'up']);
  const upId = await ok(fx, ['inspect', '-f', '{{.Id}}', 'up']);
  assert.deepEqual([quota.code, quota.stderr], [1, `Error: Cannot update container ${upId}: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set\n`]);
  await ok(fx, ['pause', 'up']);
  await ok(fx, ['update', '--cpus', '0.2', '--pids-limit', '-1', '--memory', '0', '--cpu-shares', '0', 'up']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuQuota}} {{.HostConfig.Memory}}', 'up']), `paused 200000000 0 ${128 * M}`);
  await ok(fx, ['unpause', 'up']);
  const now = fields(await ok(fx, ['exec', 'up', 'sh', '-c', LIMITS]));
  assert.equal(now.quota, '20000');
  assert.equal(now.mem, String(128 * M));
  assert.equal(now.pids, 'max');
});

test("the block I/O weight and real-time scheduling: applied where the host has them, docker's warning where it has not", async () => {
  await ok(fx, ['run', '-d', '--name', 'rt', fx.image, 'sleep', '1000']);
  try {
    const weight = await berth(fx, ['update', '--blkio-weight', '300', 'rt']);
    assert.equal(weight.code, 0, weight.stderr);
    if (!existsSync('/sys/fs/cgroup/blkio/blkio.weight') && !existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight')) {
      // docker's update prints the warning as it is (its create prefixes "WARNING: ").
      assert.equal(weight.stderr, 'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.\n');
      assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.BlkioWeight}}', 'rt']), '0');
    }
    const bad = await berth(fx, ['update', '--cpu-rt-period', '1000', '--cpu-rt-runtime', '5000', 'rt']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /cpu real-time runtime cannot be higher than cpu real-time period/);
    if (!existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us')) return;
    const period = () => ok(fx, ['exec', 'rt', 'cat', '/sys/fs/cgroup/cpu/cpu.rt_period_us']);
    await ok(fx, ['update', '--cpu-rt-period', '50000', 'rt']);
    assert.equal(await period(), '50000');
    assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.CpuRealtimePeriod}}', 'rt']), '50000');
    // 0 is no change, as docker's update has it.
    await ok(fx, ['update', '--cpu-rt-period', '0', 'rt']);
    assert.equal(await period(), '50000');
    assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.CpuRealtimePeriod}}', 'rt']), '50000');
  } finally {
    await berth(fx, ['rm', '-f', 'rt']);
  }
});

test('a created, then exited container: the record changes and the next start has the limits', async () => {
  await ok(fx, ['create', '--name', 'later', '--pids-limit', '20', fx.image, 'sh', '-c', LIMITS]);
  assert.equal(await ok(fx, ['update', '--pids-limit', '42', '--memory', '96m', 'later']), 'later');
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}', 'later']), `created ${96 * M} 42`);
  let out = fields(await ok(fx, ['start', '-a', 'later']));
  assert.equal(out.pids, '42');
  assert.equal(out.mem, String(96 * M));
  await ok(fx, ['update', '--pids-limit', '43', 'later']);
  out = fields(await ok(fx, ['start', '-a', 'later']));
  assert.equal(out.pids, '43');
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.HostConfig.PidsLimit}}', 'later']), 'exited 43');
});

test('--restart always on a running container: its killed process is restarted; --restart no ends that', async () => {
  await ok(fx, ['run', '-d', '--name', 'rs', fx.image, 'sleep', '1000']);
  await ok(fx, ['update', '--restart', 'always', 'rs']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', 'rs']), 'always');
  const pid = Number(await ok(fx, ['inspect', '-f', '{{.State.Pid}}', 'rs']));
  process.kill(pid, 'SIGKILL');
  await waitFor(async () => {
    const [count, status, now] = (await ok(fx, ['inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.Pid}}', 'rs'])).split(' ');
    return count === '1' && status === 'running' && Number(now) !== pid;
  }, 'the restart');
  await ok(fx, ['update', '--restart', 'no', 'rs']);
  process.kill(Number(await ok(fx, ['inspect', '-f', '{{.State.Pid}}', 'rs'])), 'SIGKILL');
  await waitFor(async () => (await ok(fx, ['inspect', '-f', '{{.State.Status}}', 'rs'])) === 'exited', 'the exit');
  assert.equal(await ok(fx, ['inspect', '-f', '{{.RestartCount}} {{.HostConfig.RestartPolicy.Name}}', 'rs']), '1 no');
});

test('errors: no flags (1, as docker\'s update), --restart refused with --rm, an unknown container (1) among good ones', async () => {
  const none = await berth(fx, ['update', 'later']);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, 'Error: you must provide one or more flags when using this command\n');
  // A bad size is the flag's error (125), as docker's CLI parses memory sizes: no negative one
  // (only --memory-swap takes -1, unlimited), docker's words for the rest. Nothing changes.
  await ok(fx, ['update', '--memory', '64m', 'later']);
  for (const [flag, value, why] of [
    ['--memory', '-1', "invalid argument \"-1\" for \"-m, --memory\" flag: invalid size: '-1'"],
    ['--memory-swap', '-2', "invalid argument \"-2\" for \"--memory-swap\" flag: invalid size: '-2'"],
    ['--memory-reservation', '1x', "invalid argument \"1x\" for \"--memory-reservation\" flag: invalid suffix: 'x'"],
    // Numbers, as Go's strconv and big.Rat refuse them.
    ['--cpus', 'abc', 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number'],
    ['--cpu-shares', 'abc', 'invalid argument "abc" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "abc": invalid syntax'],
    ['--pids-limit', '1.5', 'invalid argument "1.5" for "--pids-limit" flag: strconv.ParseInt: parsing "1.5": invalid syntax'],
    ['--blkio-weight', '-5', 'invalid argument "-5" for "--blkio-weight" flag: strconv.ParseUint: parsing "-5": invalid syntax'],
    ['--blkio-weight', '70000', 'invalid argument "70000" for "--blkio-weight" flag: strconv.ParseUint: parsing "70000": value out of range'],
  ]) {
    const bad = await berth(fx, ['update', flag, value, 'later']);
    assert.equal(bad.code, 125, `${flag} ${value}`);
    // Printed as docker's CLI prints a flag's error: its words, then the usage block.
    assert.equal(bad.stderr, `${why}\n\nUsage:  berth update [OPTIONS] CONTAINER [CONTAINER...]\n\nRun 'berth update --help' for more information\n`);
  }
  assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.Memory}}', 'later']), String(64 * M));
  // --restart: docker's CLI's words for the form, its daemon's (20.10) for the rest; 1.
  for (const [policy, why] of [
    ['on-failure:x', 'invalid restart policy format: maximum retry count must be an integer'],
    [':3', 'invalid restart policy format: no policy provided before colon'],
    ['always:3', "maximum retry count cannot be used with restart policy 'always'"],
    ['on-failure:-1', 'maximum retry count cannot be negative'],
    ['bogus', "invalid restart policy 'bogus'"],
  ]) {
    const bad = await berth(fx, ['update', '--restart', policy, 'later']);
    assert.deepEqual([bad.code, bad.stderr], [1, `Error: ${why}\n`], policy);
  }
  await ok(fx, ['update', '--restart', 'on-failure:3', 'later']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'later']), 'on-failure:3');
  await ok(fx, ['update', '--restart', 'no', 'later']);
  await ok(fx, ['update', '--memory-swap', '-1', 'later']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', 'later']), `${64 * M} -1`);
  await ok(fx, ['create', '--rm', '--name', 'once', fx.image, 'true']);
  const rm = await berth(fx, ['update', '--restart', 'always', 'once']);
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /Restart policy cannot be updated because AutoRemove is enabled for the container/);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', 'once']), 'no');
  const some = await berth(fx, ['update', '--pids-limit', '44', 'nosuch', 'later']);
  assert.equal(some.code, 1);
  assert.equal(some.stdout, 'later\n');
  assert.equal(some.stderr, 'Error: No such container: nosuch\n');
  assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.PidsLimit}}', 'later']), '44');
});
