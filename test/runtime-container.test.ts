// End to end under real runc and conmon: a container generated with berth's defaults is
// isolated, confined (capabilities, seccomp, masked paths) and its exit and logs recorded.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { isBerthError } from '../src/internal/errors.js';
import { resolveUser } from '../src/runtime/index.js';
import { type Fixture, field, makeFixture, newId, runToExit, startIn } from './runtime-fixture.js';

let fx: Fixture;
before(async () => {
  fx = await makeFixture();
});
after(async () => {
  await fs.rm(fx.dir, { recursive: true, force: true });
});

const sh = (script: string) => ['/bin/sh', '-c', script];

test('a default container: own PID 1, no host processes, default capabilities, seccomp, masked paths', async () => {
  const script = [
    'echo pid=$$',
    'echo procs=$(ls /proc | grep -E "^[0-9]+$" | tr "\\n" " ")',
    'grep -E "^(CapBnd|CapEff|CapPrm|CapInh|CapAmb|Seccomp|NoNewPrivs):" /proc/self/status | sed "s/:\\s*/=/"',
    'unshare -U true 2>/dev/null; echo unshare_user=$?',
    'unshare -m true 2>/dev/null; echo unshare_mount=$?',
    'sysprobe',
    'echo kcore=$(cat /proc/kcore 2>/dev/null | wc -c)',
    'echo keys=$(cat /proc/keys 2>/dev/null | wc -c)',
    'echo firmware=$(ls /sys/firmware | wc -l)',
    'touch /sys/kernel/x 2>/dev/null; echo sys_write=$?',
    'echo 1 2>/dev/null > /proc/sysrq-trigger; echo sysrq_write=$?',
    'echo nofile=$(ulimit -n)',
    'echo hostname=$(hostname)',
    'echo shm=$(df -k /dev/shm | tail -1 | awk "{print \\$2}")',
    'echo pts=$(grep " /dev/pts " /proc/mounts | cut -d" " -f4)',
  ].join('; ');
  const r = await runToExit(fx, { process: { args: sh(script) }, hostname: 'box1' });
  assert.equal(r.exit.exitCode, 0, r.stderr);
  const out = r.stdout;
  assert.equal(field(out, 'pid'), '1');
  // A new PID namespace: only this script's few processes, numbered from 1 (host pids run high).
  const pids = (field(out, 'procs') ?? '').trim().split(' ').map(Number);
  assert.ok(pids.includes(1) && pids.length <= 6 && pids.every((p) => p < 20), `processes visible: ${pids}`);
  assert.equal(field(out, 'CapBnd'), '00000000a80425fb');
  assert.equal(field(out, 'CapEff'), '00000000a80425fb');
  assert.equal(field(out, 'CapPrm'), '00000000a80425fb');
  assert.equal(field(out, 'CapInh'), '0000000000000000');
  assert.equal(field(out, 'CapAmb'), '0000000000000000');
  assert.equal(field(out, 'Seccomp'), '2');
  assert.equal(field(out, 'NoNewPrivs'), '0');
  // A user namespace needs no capability: only seccomp's clone/unshare filter refuses it.
  assert.notEqual(field(out, 'unshare_user'), '0');
  assert.notEqual(field(out, 'unshare_mount'), '0');
  assert.equal(field(out, 'keyctl'), 'Operation not permitted');
  assert.equal(field(out, 'personality_linux32'), 'ok');
  assert.equal(field(out, 'personality_norandom'), 'Operation not permitted');
  // clone3's flags are out of seccomp's reach: ENOSYS sends libc back to clone, which is filtered.
  assert.equal(field(out, 'clone3'), 'Function not implemented');
  assert.equal(field(out, 'kcore'), '0');
  assert.equal(field(out, 'keys'), '0');
  assert.equal(field(out, 'firmware'), '0');
  assert.notEqual(field(out, 'sys_write'), '0');
  assert.notEqual(field(out, 'sysrq_write'), '0');
  const hostHard = Number(/^Max open files\s+\S+\s+(\S+)/m.exec(await fs.readFile('/proc/self/limits', 'utf8'))?.[1]);
  assert.equal(Number(field(out, 'nofile')), Math.min(1048576, hostHard));
  assert.equal(field(out, 'hostname'), 'box1');
  assert.equal(field(out, 'shm'), '65536');
  assert.match(field(out, 'pts') ?? '', /gid=5,mode=620,ptmxmode=666/);
});

test('the host sees seccomp-free keyctl and personality, so the container results are the filter', () => {
  const out = execFileSync(`${fx.rootfs}/bin/sysprobe`, { encoding: 'utf8' });
  assert.equal(field(out, 'keyctl'), 'ok');
  assert.equal(field(out, 'personality_norandom'), 'ok');
  assert.notEqual(field(out, 'clone3'), 'Function not implemented');
});

test('privileged: all capabilities the host has, no seccomp, /sys writable mount', async () => {
  const r = await runToExit(fx, {
    privileged: true,
    process: { args: sh('grep -E "^(CapEff|Seccomp):" /proc/self/status | sed "s/:\\s*/=/"; grep " /sys " /proc/mounts') },
  });
  assert.equal(r.exit.exitCode, 0, r.stderr);
  const host = /^CapBnd:\s*(\S+)/m.exec(await fs.readFile('/proc/self/status', 'utf8'))?.[1];
  assert.equal(field(r.stdout, 'CapEff'), host);
  assert.equal(field(r.stdout, 'Seccomp'), '0');
  assert.match(r.stdout, / \/sys sysfs rw/);
});

test('cap-drop ALL with cap-add CHOWN leaves exactly CAP_CHOWN', async () => {
  const r = await runToExit(fx, {
    process: { args: sh('grep CapEff /proc/self/status'), capDrop: ['all'], capAdd: ['chown'] },
  });
  assert.match(r.stdout, /CapEff:\s*0000000000000001/);
});

test('a read-only rootfs refuses writes, a tmpfs mount on it accepts them', async () => {
  const r = await runToExit(fx, {
    readonlyRootfs: true,
    mounts: [{ type: 'tmpfs', destination: '/scratch', options: ['size=1m'] }],
    process: { args: sh('touch /newfile 2>/dev/null; echo root=$?; touch /scratch/f; echo scratch=$?') },
  });
  assert.equal(field(r.stdout, 'root'), '1');
  assert.equal(field(r.stdout, 'scratch'), '0');
  assert.equal(existsSync(`${fx.rootfs}/newfile`), false);
});

test("user resolution reads the image's /etc/passwd and /etc/group, and the process runs as that user", async () => {
  const user = await resolveUser(fx.rootfs, 'app');
  // The primary group and the one that lists app, as docker gives them (the fixture's /etc/group order).
  assert.deepEqual(user, { uid: 1000, gid: 1000, home: '/home/app', additionalGids: [1000, 2000] });
  const r = await runToExit(fx, {
    process: { args: sh('echo uid=$(id -u) gid=$(id -g); echo groups=$(id -G); echo home=$HOME'), user, home: user.home },
  });
  assert.match(r.stdout, /uid=1000 gid=1000/);
  assert.match(field(r.stdout, 'groups') ?? '', /\b2000\b/);
  assert.equal(field(r.stdout, 'home'), '/home/app');
});

test('exit codes propagate and stdout/stderr are logged apart, with timestamps', async () => {
  const r = await runToExit(fx, { process: { args: sh('echo out-line; echo err-line >&2; printf partial; exit 42') } });
  assert.equal(r.exit.exitCode, 42);
  assert.equal(r.exit.oomKilled, false);
  assert.ok(Math.abs(r.exit.exitedAt.getTime() - Date.now()) < 60000);
  assert.equal(r.stdout, 'out-line\npartial');
  assert.equal(r.stderr, 'err-line\n');
  for (const l of r.logs) assert.ok(!Number.isNaN(l.timestamp.getTime()));
});

test('kill -9 of the container is recorded as exit 137, and delete leaves no state, cgroup or mount', async () => {
  const { id, stateDir, started } = await startIn(fx, { process: { args: ['sleep', '100'] } });
  const state = await fx.runtime.state(id);
  assert.equal(state.status, 'running');
  assert.equal(state.pid, started.pid);
  assert.deepEqual(await fx.runtime.ps(id), [started.pid]);
  await fx.runtime.kill(id, 'KILL');
  const { waitForExit } = await import('../src/runtime/index.js');
  const exit = await waitForExit(stateDir, id, { timeoutMs: 10000 });
  assert.equal(exit.exitCode, 137);
  assert.equal((await fx.runtime.state(id)).status, 'stopped');
  await fx.runtime.delete(id);
  await assert.rejects(fx.runtime.state(id), (e: unknown) => isBerthError(e, 'not-found'));
  for (const ctrl of ['memory', 'pids', 'cpu']) assert.equal(existsSync(`/sys/fs/cgroup/${ctrl}/berth-test/${id}`), false);
  const mounts = await fs.readFile('/proc/self/mountinfo', 'utf8');
  assert.equal(mounts.includes(fx.rootfs), false);
});

test('a command that does not exist fails the start with the runtime\'s words, as not-found', async () => {
  await assert.rejects(
    startIn(fx, { process: { args: ['/no/such/command'] } }),
    (e: unknown) => isBerthError(e, 'not-found') && /no such file or directory|not found/.test((e as Error).message),
  );
  assert.deepEqual(
    (await fx.runtime.list()).filter((c) => c.status !== 'stopped'),
    [],
  );
});

test('detached: the container outlives the process that started it', async () => {
  const id = newId();
  const mod = new URL('./runtime-fixture.js', import.meta.url).href;
  const script = `
    const f = await import(${JSON.stringify(mod)});
    const fx = { dir: ${JSON.stringify(fx.dir)}, rootfs: ${JSON.stringify(fx.rootfs)} };
    const { OciRuntime } = await import(${JSON.stringify(new URL('../src/runtime/index.js', import.meta.url).href)});
    fx.runtime = new OciRuntime(${JSON.stringify(fx.runtime.path)}, { root: ${JSON.stringify(fx.runtime.root)} });
    await f.startIn(fx, { process: { args: ['/bin/sh', '-c', 'sleep 2; echo done; exit 7'] } }, ${JSON.stringify(id)});
  `;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  assert.equal((await fx.runtime.state(id)).status, 'running');
  const { waitForExit, readLogs, monitorPaths } = await import('../src/runtime/index.js');
  const stateDir = `${fx.dir}/state/${id}`;
  const exit = await waitForExit(stateDir, id, { timeoutMs: 15000 });
  assert.equal(exit.exitCode, 7);
  const logs = await readLogs(monitorPaths(stateDir, id).logPath);
  assert.deepEqual(
    logs.map((l) => l.text),
    ['done\n'],
  );
  await fx.runtime.delete(id, { force: true });
});

test('terminal: the process gets a pty, its output is logged, and the ctl fifo resizes it', async () => {
  const { resizeTerminal, waitForExit, readLogs, startContainer, generateSpec } = await import('../src/runtime/index.js');
  const id = newId();
  const bundle = `${fx.dir}/bundles/${id}`;
  const stateDir = `${fx.dir}/state/${id}`;
  await fs.mkdir(bundle, { recursive: true });
  const spec = generateSpec({
    rootfs: fx.rootfs,
    process: { args: sh('tty; stty size; sleep 1; stty size; exit 4'), terminal: true, consoleSize: { height: 24, width: 80 } },
  });
  await fs.writeFile(`${bundle}/config.json`, JSON.stringify(spec));
  try {
    const c = await startContainer({ id, bundle, runtime: fx.runtime, stateDir, terminal: true, socketDir: `${fx.dir}/s` });
    await new Promise((r) => setTimeout(r, 300));
    await resizeTerminal(c.ctlPath, 40, 120);
    assert.equal((await waitForExit(stateDir, id, { timeoutMs: 10000 })).exitCode, 4);
    const text = (await readLogs(c.logPath)).map((l) => l.text).join('');
    // The terminal's own line ends (CR LF), kept in the log as docker's logs show them.
    assert.equal(text, '/dev/pts/0\r\n24 80\r\n40 120\r\n');
  } finally {
    await fx.runtime.delete(id, { force: true }).catch(() => {});
  }
});

test('attached-style run: followLogs streams output while the container runs and ends at its exit', async () => {
  const { followLogs, readExit } = await import('../src/runtime/index.js');
  const { id, stateDir, started } = await startIn(fx, { process: { args: sh('for i in 1 2 3; do echo tick$i; sleep 0.3; done; echo bye >&2') } });
  try {
    const seen: string[] = [];
    for await (const e of followLogs(started.logPath, { done: async () => (await readExit(stateDir, id)) !== undefined })) {
      seen.push(`${e.stream}:${e.text}`);
      if (seen.length === 1) assert.equal(await readExit(stateDir, id), undefined, 'the first line arrives while the container still runs');
    }
    assert.deepEqual(seen, ['stdout:tick1\n', 'stdout:tick2\n', 'stdout:tick3\n', 'stderr:bye\n']);
  } finally {
    await fx.runtime.delete(id, { force: true });
  }
});

test('interactive: attach before start, stdin reaches the container, output comes back by stream', async () => {
  const { attachContainer, createMonitored, generateSpec, waitForExit, readLogs } = await import('../src/runtime/index.js');
  const { PassThrough, Writable } = await import('node:stream');
  const id = newId();
  const bundle = `${fx.dir}/bundles/${id}`;
  const stateDir = `${fx.dir}/state/${id}`;
  await fs.mkdir(bundle, { recursive: true });
  const spec = generateSpec({ rootfs: fx.rootfs, process: { args: sh('read a; echo got-$a; read b; echo err-$b >&2; cat; exit 3') } });
  await fs.writeFile(`${bundle}/config.json`, JSON.stringify(spec));
  try {
    const c = await createMonitored({ id, bundle, runtime: fx.runtime, stateDir, stdin: true, socketDir: `${fx.dir}/s` });
    const stdin = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const collect = (into: Buffer[]) =>
      new Writable({
        write(chunk, _enc, cb) {
          into.push(chunk);
          cb();
        },
      });
    const att = await attachContainer(c.attachSocket, { stdin, stdout: collect(out), stderr: collect(err) });
    await fx.runtime.start(id);
    stdin.write('one\ntwo\nrest of it\n');
    stdin.end(); // EOF: conmon closes the container's stdin, so `cat` ends
    await att.done;
    assert.equal((await waitForExit(stateDir, id, { timeoutMs: 10000 })).exitCode, 3);
    assert.equal(Buffer.concat(out).toString(), 'got-one\nrest of it\n');
    assert.equal(Buffer.concat(err).toString(), 'err-two\n');
    // Order across stdout and stderr is not kept (two pipes); within each stream it is.
    const logs = await readLogs(c.logPath);
    assert.deepEqual(
      logs.filter((l) => l.stream === 'stdout').map((l) => l.text),
      ['got-one\n', 'rest of it\n'],
    );
    assert.deepEqual(
      logs.filter((l) => l.stream === 'stderr').map((l) => l.text),
      ['err-two\n'],
    );
  } finally {
    await fx.runtime.delete(id, { force: true }).catch(() => {});
  }
});

test('user namespace: container root is an unprivileged host uid; oom_score_adj applies', async () => {
  const r = await runToExit(fx, {
    namespaces: { user: 'private' },
    uidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }],
    process: {
      args: sh('echo map=$(cat /proc/self/uid_map); echo uid=$(id -u); echo oom=$(cat /proc/self/oom_score_adj); echo owner=$(stat -c %u /bin/busybox)'),
      oomScoreAdj: 500,
    },
  });
  assert.equal(r.exit.exitCode, 0, r.stderr);
  assert.match(field(r.stdout, 'map') ?? '', /^\s*0 200000 65536$/);
  assert.equal(field(r.stdout, 'uid'), '0');
  assert.equal(field(r.stdout, 'oom'), '500');
  assert.equal(field(r.stdout, 'owner'), '65534', 'host root files are nobody inside');
});

test('run -it: a shell on a pty, typed into through the attach socket', async () => {
  const { attachContainer, createMonitored, generateSpec, waitForExit, writeBundle } = await import('../src/runtime/index.js');
  const { PassThrough, Writable } = await import('node:stream');
  const id = newId();
  const bundle = `${fx.dir}/bundles/${id}`;
  const stateDir = `${fx.dir}/state/${id}`;
  await writeBundle(
    bundle,
    generateSpec({ rootfs: fx.rootfs, process: { args: ['/bin/sh'], terminal: true, consoleSize: { height: 30, width: 100 } } }),
  );
  try {
    const c = await createMonitored({ id, bundle, runtime: fx.runtime, stateDir, stdin: true, terminal: true, socketDir: `${fx.dir}/s` });
    const stdin = new PassThrough();
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const att = await attachContainer(c.attachSocket, { stdin, stdout: sink, stderr: sink });
    await fx.runtime.start(id);
    stdin.write('stty size; tty\n');
    // The next line only once the first one's output is there: typed earlier, the terminal's
    // echo of it lands between the outputs of stty and tty.
    for (let i = 0; i < 200 && !/\/dev\/pts\/\d+\r\n/.test(out); i++) await new Promise((r) => setTimeout(r, 25));
    stdin.write('exit 6\n');
    await att.done;
    assert.equal((await waitForExit(stateDir, id, { timeoutMs: 10000 })).exitCode, 6);
    assert.match(out, /30 100\r\n\/dev\/pts\/0\r\n/);
  } finally {
    await fx.runtime.delete(id, { force: true }).catch(() => {});
  }
});
