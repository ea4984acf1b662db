// Faults: kill -9 of the berth CLI during `run -d` and during a foreground run, of the
// monitor, of the container; a stale mount. The next command reports the truth in `ps`,
// and after rm nothing is left: no mounts, no cgroups, no runtime state, no monitor.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { BERTH, berth, cleanupFixture, type EngineFixture, makeEngineFixture, mountsUnder, ok, runtimeProcesses } from './engine-fixture.js';

let fx: EngineFixture;
before(async () => {
  fx = await makeEngineFixture();
});
after(async () => {
  await cleanupFixture(fx);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}


/** Nothing of the container is left on the host. */
async function assertGone(ids: string[]): Promise<void> {
  assert.deepEqual(await mountsUnder(fx), [], 'no mounts');
  const runtimeState = await fs.readdir(path.join(fx.runroot, 'runc')).catch(() => [] as string[]);
  for (const id of ids) {
    assert.ok(!runtimeState.includes(id), `runtime state of ${id} is gone`);
    for (const ctl of ['memory', 'pids', 'cpu', 'freezer']) assert.equal(existsSync(`/sys/fs/cgroup/${ctl}/berth/${id}`), false, `${ctl} cgroup of ${id}`);
  }
  // No runtime or monitor of this fixture is left running (a start killed before its runtime
  // read the spec left one waiting on the FIFO until the next command released it).
  let left: string[] = [];
  for (let i = 0; i < 30; i++) {
    left = runtimeProcesses(fx);
    if (left.length === 0) break;
    await sleep(100);
  }
  assert.deepEqual(left, [], 'no runc or conmon of this fixture left');
  // Both holds files: the graph root's, and the run root's (a --rm container's hold).
  for (const dir of [fx.root, fx.runroot]) {
    const holds = JSON.parse(await fs.readFile(path.join(dir, 'holds.json'), 'utf8').catch(() => '{"holds":[]}')) as { holds: { holder: string }[] };
    assert.deepEqual(holds.holds.filter((h) => ids.some((id) => h.holder.includes(id))), [], `no holds in ${dir}`);
  }
  assert.equal(await ok(fx, ['ps', '-aq']), '');
}

async function allIds(): Promise<string[]> {
  return (await fs.readdir(path.join(fx.root, 'containers')).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}$/.test(n));
}

test('kill -9 of the CLI at points during run -d: ps tells the truth, rm -f leaves nothing', async () => {
  // A run -d takes ~200 ms on a quiet machine: these points fall before, in and after its work.
  for (const delay of [100, 130, 160, 190, 230, 400]) {
    const child = spawn(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, 'run', '-d', fx.image, 'sleep', '1000'], { stdio: 'ignore' });
    const closed = new Promise((r) => child.on('close', r));
    await sleep(delay);
    child.kill('SIGKILL');
    await closed;
  }
  // A killed CLI's monitor may still be having the runtime create the container (it outlives
  // the CLI, as a start docker's daemon was asked for goes on after its client is gone): the
  // checks below need a settled state, two reconciling ps the same 300 ms apart.
  const list = async () => (await ok(fx, ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.State}}'])).split('\n').filter(Boolean);
  let rows = await list();
  for (let i = 0; i < 30; i++) {
    await sleep(300);
    const again = await list();
    if (again.join() === rows.join()) break;
    rows = again;
  }
  for (const row of rows) {
    const [id, state] = row.split(' ');
    assert.ok(['created', 'running'].includes(state), row);
    if (state === 'running') {
      // A container that ps calls running does run: exec reaches it.
      assert.equal(await ok(fx, ['exec', id, 'echo', 'yes']), 'yes');
    } else {
      assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Pid}}', id]), '0');
    }
  }
  assert.deepEqual(
    (await mountsUnder(fx)).length,
    rows.filter((r) => r.endsWith(' running')).length,
    'only running containers keep their rootfs mounted after ps reconciled',
  );
  const ids = await allIds();
  if (ids.length) await ok(fx, ['rm', '-f', ...ids]);
  await assertGone(ids);
});

test('kill -9 of the monitor: the container runs on, stop and rm still work; its exit is recorded as unknown', async () => {
  const id = await ok(fx, ['run', '-d', fx.image, 'sleep', '1000']);
  const monitor = Number(await ok(fx, ['inspect', '-f', '{{.State.MonitorPid}}', id]));
  const pid = Number(await ok(fx, ['inspect', '-f', '{{.State.Pid}}', id]));
  assert.ok(monitor > 0 && alive(monitor));
  process.kill(monitor, 'SIGKILL');
  await sleep(200);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', id]), 'running');
  assert.ok(alive(pid));
  await ok(fx, ['stop', '-t', '1', id]);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id]), 'exited 255');
  assert.match(await ok(fx, ['inspect', '-f', '{{.State.Error}}', id]), /monitor is gone/);
  assert.ok(!alive(pid));
  await ok(fx, ['rm', id]);
  await assertGone([id]);
});

test('kill -9 of the container: the monitor records 137 and the next command cleans up', async () => {
  const id = await ok(fx, ['run', '-d', fx.image, 'sleep', '1000']);
  const pid = Number(await ok(fx, ['inspect', '-f', '{{.State.Pid}}', id]));
  process.kill(pid, 'SIGKILL');
  const end = Date.now() + 10_000;
  let state = '';
  while (Date.now() < end) {
    state = await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id]);
    if (state.startsWith('exited')) break;
    await sleep(100);
  }
  assert.equal(state, 'exited 137');
  assert.deepEqual(await mountsUnder(fx), []);
  await ok(fx, ['rm', id]);
  await assertGone([id]);
});

test('kill -9 of the CLI of a foreground run --rm: the container is found, stopped and removed', async () => {
  const child = spawn(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, 'run', '--rm', '--name', 'fg', fx.image, 'sleep', '1000'], { stdio: 'ignore' });
  const end = Date.now() + 15_000;
  // Running as far as the runtime is concerned: its process list shows the command.
  while (Date.now() < end && !/sleep 1000/.test((await berth(fx, ['top', 'fg'])).stdout)) await sleep(100);
  const closed = new Promise((r) => child.on('close', r));
  child.kill('SIGKILL');
  await closed;
  assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}}', 'fg']), 'running', 'the container outlives the CLI');
  const id = await ok(fx, ['inspect', '-f', '{{.Id}}', 'fg']);
  // A running --rm container holds its image until the reboot that would end it: in the run root.
  const bootHolds = JSON.parse(await fs.readFile(path.join(fx.runroot, 'holds.json'), 'utf8')) as { holds: { holder: string }[] };
  assert.ok(bootHolds.holds.some((h) => h.holder.includes(id)), 'held in the run root');
  await ok(fx, ['stop', '-t', '0', 'fg']);
  // --rm is honoured by whichever command saw the exit.
  assert.equal((await berth(fx, ['inspect', 'fg'])).code, 1);
  await assertGone([id]);
});

test('a create killed before its record was written leaves a dir the next create removes', async () => {
  // What a kill between the create's mkdir and its record leaves: the dir, maybe a temp record.
  const orphan = 'ab'.repeat(32);
  await fs.mkdir(path.join(fx.root, 'containers', orphan, 'bundle'), { recursive: true });
  await fs.writeFile(path.join(fx.root, 'containers', orphan, '.config.json.tmp-0123456789ab'), '{"id":');
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  const id = await ok(fx, ['create', fx.image, 'true']);
  assert.deepEqual(await fs.readdir(path.join(fx.root, 'containers')), [id]);
  await ok(fx, ['rm', id]);
  await assertGone([id]);
});

test('a stale rootfs mount (a command killed after mounting) is released by the next ps', async () => {
  const id = await ok(fx, ['create', fx.image, 'true']);
  // What a start killed right after mounting leaves: the rootfs mounted, the record 'created'.
  const { ContainerHost } = await import('../src/engine/host.js');
  const { mountRootfs } = await import('../src/engine/rootfs.js');
  const host = new ContainerHost({ root: fx.root, runroot: fx.runroot });
  await mountRootfs(await host.driver(), await host.records.load(id), host.records.paths(id));
  assert.equal((await mountsUnder(fx)).length, 1);
  await ok(fx, ['ps', '-a']);
  assert.deepEqual(await mountsUnder(fx), []);
  await ok(fx, ['rm', id]);
  await assertGone([id]);
});

test('after a reboot (or pid reuse) a recorded pid that now names another process is not taken for the container', async () => {
  const id = await ok(fx, ['create', fx.image, 'true']);
  const impostor = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const file = path.join(fx.root, 'containers', id, 'config.json');
    const rec = JSON.parse(await fs.readFile(file, 'utf8')) as { state: Record<string, unknown> };
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    rec.state = { ...rec.state, status: 'running', pid: impostor.pid, monitorPid: impostor.pid, mode: 'monitor', startedAt: hourAgo };
    await fs.writeFile(file, JSON.stringify(rec));
    assert.equal(await ok(fx, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id]), 'exited 255');
    assert.ok(alive(impostor.pid as number), 'the unrelated process was left alone');
    await ok(fx, ['rm', id]);
    await assertGone([id]);
  } finally {
    impostor.kill('SIGKILL');
  }
});
