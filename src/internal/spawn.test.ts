// spawn.ts: exit codes, deaths by signal, exec errors, the child's fd table, cwd, env and
// signal state. What the child prints is read in a helper Node process, not the test runner's.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { kindOfSystemError } from './errors.js';
import { memfd, pipe, processGone, readLine, runCaptured, spawnWait } from './spawn.js';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-spawn-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const sysUrl = new URL('./spawn.js', import.meta.url).href;

/**
 * Runs `sh -c script` through spawnWait in a fresh Node process whose fd 3 is an inherited
 * pipe without FD_CLOEXEC (as a careless parent of berth would leave one); returns what the
 * child printed and its exit (which the helper writes to that fd 3).
 */
function viaHelper(script: string, stdin: 'inherit' | 'null', input = ''): { out: string; err: string; exit: unknown } {
  const helper = `
    const { spawnWait } = await import(${JSON.stringify(sysUrl)});
    const p = spawnWait('/bin/sh', ['-c', ${JSON.stringify(script)}], { fds: [${JSON.stringify(stdin)}, 'inherit', 'inherit'] });
    const { writeSync } = await import('node:fs');
    writeSync(3, JSON.stringify(await p.exited));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', helper], {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    timeout: 20_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return { out: r.stdout, err: r.stderr, exit: JSON.parse(String(r.output[3])) };
}

test('exit codes and deaths by signal', async () => {
  assert.deepEqual(await spawnWait('/bin/sh', ['-c', 'exit 7'], { fds: ['null', 'inherit', 'inherit'] }).exited, { code: 7, signal: null });
  assert.deepEqual(await spawnWait('/bin/true', [], { fds: ['null', 'inherit', 'inherit'] }).exited, { code: 0, signal: null });
  assert.deepEqual(await spawnWait('/bin/sh', ['-c', 'kill -TERM $$'], { fds: ['null', 'inherit', 'inherit'] }).exited, { code: null, signal: 'SIGTERM' });
  // A signal from this process, by pid, as runForeground forwards them.
  const p = spawnWait('/bin/sleep', ['30'], { fds: ['null', 'inherit', 'inherit'] });
  assert.ok(p.pid > 0);
  process.kill(p.pid, 'SIGINT');
  assert.deepEqual(await p.exited, { code: null, signal: 'SIGINT' });
});

test('a bare name is looked up in PATH', async () => {
  assert.deepEqual(await spawnWait('true', [], { fds: ['null', 'inherit', 'inherit'] }).exited, { code: 0, signal: null });
});

test('a program that cannot be executed throws ENOENT or EACCES at once', () => {
  assert.throws(
    () => spawnWait(path.join(dir, 'nope'), [], { fds: ['null', 'inherit', 'inherit'] }),
    (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.syscall === 'spawn' && kindOfSystemError(err) === 'not-found',
  );
  const plain = path.join(dir, 'not-executable');
  fs.writeFileSync(plain, '#!/bin/sh\n', { mode: 0o644 });
  assert.throws(
    () => spawnWait(plain, [], { fds: ['null', 'inherit', 'inherit'] }),
    (err: NodeJS.ErrnoException) => err.code === 'EACCES' && err.path === plain,
  );
});

test('stdin inherited or /dev/null; stdout and stderr inherited; no other fd', () => {
  const inherited = viaHelper('cat; echo to-stderr >&2; exit 4', 'inherit', 'from the parent\n');
  assert.deepEqual(inherited, { out: 'from the parent\n', err: 'to-stderr\n', exit: { code: 4, signal: null } });
  const nulled = viaHelper('readlink /proc/$$/fd/0; cat', 'null', 'not for the child\n');
  assert.equal(nulled.out, '/dev/null\n');
  // sh lists its own fds: only 0, 1 and 2 (the helper's fd 3 and Node's own are closed).
  const fds = viaHelper('ls /proc/$$/fd', 'null');
  assert.deepEqual(fds.out.split('\n').filter(Boolean).sort(), ['0', '1', '2']);
  assert.deepEqual(fds.exit, { code: 0, signal: null });
});

test('the child starts with no signal blocked or ignored (Node ignores SIGPIPE)', () => {
  const { out } = viaHelper('exec grep -E "^Sig(Blk|Ign)" /proc/self/status', 'null');
  assert.match(out, /^SigBlk:\s+0+$/m);
  assert.match(out, /^SigIgn:\s+0+$/m);
});

test('libuv reaps only its own children: both kinds of exit arrive with child_process in use', async () => {
  const viaNode = spawn('/bin/sh', ['-c', 'sleep 0.2; exit 3']);
  const nodeExit = new Promise((resolve) => viaNode.on('exit', (code) => resolve(code)));
  const ours = spawnWait('/bin/sh', ['-c', 'sleep 0.1; exit 5'], { fds: ['null', 'inherit', 'inherit'] });
  const early = spawnWait('/bin/sh', ['-c', 'exit 9'], { fds: ['null', 'inherit', 'inherit'] });
  assert.deepEqual(await Promise.all([ours.exited, early.exited, nodeExit]), [
    { code: 5, signal: null },
    { code: 9, signal: null },
    3,
  ]);
});

/** What an fd from memfd() holds, read from its start. */
function readAll(fd: number): string {
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.alloc(size);
  fs.readSync(fd, buf, 0, size, 0);
  return buf.toString('utf8');
}

test('fds: output into anonymous files, input from one, an fd moved to another slot, /dev/null', async () => {
  const out = memfd('out');
  const err = memfd('err');
  const input = memfd('in');
  const extra = memfd('extra');
  try {
    fs.writeSync(input, 'fed through a file\n', 0, 'utf8');
    // The child's fd 3 is `extra`, whatever number it has here; fd 4 is /dev/null.
    const p = spawnWait('/bin/sh', ['-c', 'cat; echo oops >&2; echo three >&3; readlink /proc/$$/fd/4 >&3; ls /proc/$$/fd >&3; exit 2'], {
      fds: [input, out, err, extra, 'null'],
    });
    assert.deepEqual(await p.exited, { code: 2, signal: null });
    assert.equal(readAll(out), 'fed through a file\n');
    assert.equal(readAll(err), 'oops\n');
    const [three, null4, ...fds] = readAll(extra).split('\n').filter(Boolean);
    assert.equal(three, 'three');
    assert.equal(null4, '/dev/null');
    // 0-4 and none of this process's; sh keeps copies of its own at 10 and up while it redirects.
    assert.deepEqual(
      fds.map(Number).filter((fd) => fd < 10),
      [0, 1, 2, 3, 4],
    );
  } finally {
    for (const fd of [out, err, input, extra]) fs.closeSync(fd);
  }
});

test('fds swapped between slots land where asked (sources are copied before the dup2s)', async () => {
  const a = memfd('a');
  const b = memfd('b');
  try {
    // Both ways at once: child 1 <- a, child 2 <- b, and a second spawn with them crossed.
    await spawnWait('/bin/sh', ['-c', 'echo one; echo two >&2'], { fds: ['null', a, b] }).exited;
    await spawnWait('/bin/sh', ['-c', 'echo three; echo four >&2'], { fds: ['null', b, a] }).exited;
    assert.equal(readAll(a), 'one\nfour\n');
    assert.equal(readAll(b), 'two\nthree\n');
  } finally {
    fs.closeSync(a);
    fs.closeSync(b);
  }
});

test('runCaptured: stdout and stderr apart, the exit, env; ENOENT thrown', async () => {
  const r = await runCaptured('/bin/sh', ['-c', 'echo "out $X"; echo err >&2; exit 3'], { env: { X: 'x', PATH: '/usr/bin:/bin' } });
  assert.deepEqual(r, { exit: { code: 3, signal: null }, stdout: 'out x\n', stderr: 'err\n' });
  await assert.rejects(runCaptured(path.join(dir, 'nope'), []), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
});

test('cwd and env', async () => {
  const out = memfd('out');
  try {
    const p = spawnWait('/bin/sh', ['-c', 'pwd; echo "$ONLY|$HOME"'], { fds: ['null', out, 'inherit'], cwd: dir, env: { ONLY: 'this', PATH: '/usr/bin:/bin', NOPE: undefined } });
    assert.deepEqual(await p.exited, { code: 0, signal: null });
    assert.equal(readAll(out), `${fs.realpathSync(dir)}\nthis|\n`);
    await assert.rejects(async () => spawnWait('/bin/true', [], { cwd: path.join(dir, 'missing') }), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  } finally {
    fs.closeSync(out);
  }
});

test('pipe and readLine: a line as soon as it comes, what came before EOF, nothing at an empty EOF', async () => {
  const cases: [string, string][] = [
    ['printf "first\\nsecond\\n" >&3; sleep 0.2', 'first\n'],
    ['printf "no newline" >&3', 'no newline'],
    ['true', ''],
  ];
  for (const [script, want] of cases) {
    const [r, w] = pipe();
    try {
      const child = spawnWait('/bin/sh', ['-c', script], { fds: ['null', 'inherit', 'inherit', w] });
      fs.closeSync(w);
      const t0 = Date.now();
      assert.equal((await readLine(r)).toString('utf8'), want);
      // The line came before the writer ended (it sleeps 0.2 s after writing it).
      if (want === 'first\n') assert.ok(Date.now() - t0 < 150, 'the line arrived before the writer exited');
      assert.deepEqual(await child.exited, { code: 0, signal: null });
    } finally {
      fs.closeSync(r);
    }
  }
});

test('processGone: true when a process that is not our child exits, at once for none, false after the timeout', async () => {
  // A grandchild: sh starts sleep in the background and prints its pid; sh's exit makes sleep
  // nobody's child of ours.
  const sh = spawnSync('/bin/sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
  const pid = Number(sh.stdout.trim());
  assert.ok(pid > 0);
  const t0 = Date.now();
  assert.equal(await processGone(pid, 150), false);
  assert.ok(Date.now() - t0 >= 140, 'gave up before the timeout');
  let gone: boolean | undefined;
  const waiting = processGone(pid, 60_000).then((g) => {
    gone = g;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(gone, undefined, 'settled while the process still ran');
  process.kill(pid, 'SIGKILL');
  await waiting;
  assert.equal(gone, true);
  // No such process (it is gone and reaped by init now): true at once.
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await processGone(pid, 60_000), true);
  assert.throws(() => processGone(0, 1), /pid must be positive/);
});
