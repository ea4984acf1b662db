// spawnWait (sys.ts): exit codes, deaths by signal, exec errors, the child's stdio, fds and
// signal state. What the child prints is read in a helper Node process, not the test runner's.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { kindOfSystemError } from './errors.js';
import { spawnWait } from './sys.js';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-spawn-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const sysUrl = new URL('./sys.js', import.meta.url).href;

/**
 * Runs `sh -c script` through spawnWait in a fresh Node process whose fd 3 is an inherited
 * pipe without FD_CLOEXEC (as a careless parent of berth would leave one); returns what the
 * child printed and its exit (which the helper writes to that fd 3).
 */
function viaHelper(script: string, stdin: 'inherit' | 'null', input = ''): { out: string; err: string; exit: unknown } {
  const helper = `
    const { spawnWait } = await import(${JSON.stringify(sysUrl)});
    const p = spawnWait('/bin/sh', ['-c', ${JSON.stringify(script)}], { stdin: ${JSON.stringify(stdin)} });
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
  assert.deepEqual(await spawnWait('/bin/sh', ['-c', 'exit 7'], { stdin: 'null' }).exited, { code: 7, signal: null });
  assert.deepEqual(await spawnWait('/bin/true', [], { stdin: 'null' }).exited, { code: 0, signal: null });
  assert.deepEqual(await spawnWait('/bin/sh', ['-c', 'kill -TERM $$'], { stdin: 'null' }).exited, { code: null, signal: 'SIGTERM' });
  // A signal from this process, by pid, as runForeground forwards them.
  const p = spawnWait('/bin/sleep', ['30'], { stdin: 'null' });
  assert.ok(p.pid > 0);
  process.kill(p.pid, 'SIGINT');
  assert.deepEqual(await p.exited, { code: null, signal: 'SIGINT' });
});

test('a bare name is looked up in PATH', async () => {
  assert.deepEqual(await spawnWait('true', [], { stdin: 'null' }).exited, { code: 0, signal: null });
});

test('a program that cannot be executed throws ENOENT or EACCES at once', () => {
  assert.throws(
    () => spawnWait(path.join(dir, 'nope'), [], { stdin: 'null' }),
    (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.syscall === 'spawn' && kindOfSystemError(err) === 'not-found',
  );
  const plain = path.join(dir, 'not-executable');
  fs.writeFileSync(plain, '#!/bin/sh\n', { mode: 0o644 });
  assert.throws(
    () => spawnWait(plain, [], { stdin: 'null' }),
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
  const ours = spawnWait('/bin/sh', ['-c', 'sleep 0.1; exit 5'], { stdin: 'null' });
  const early = spawnWait('/bin/sh', ['-c', 'exit 9'], { stdin: 'null' });
  assert.deepEqual(await Promise.all([ours.exited, early.exited, nodeExit]), [
    { code: 5, signal: null },
    { code: 9, signal: null },
    3,
  ]);
});
