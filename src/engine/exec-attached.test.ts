import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { execExitCommand, execSessionPaths, parseSyncMessage, sweepExecSessions } from './exec-attached.js';

/** Whether a path exists, a dangling link too. */
function present(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'berth-execs-'));
}

test('parseSyncMessage: conmon\'s {"data": N, "message": ...} lines, anything else refused', () => {
  assert.deepEqual(parseSyncMessage('{"data": 4242}'), { data: 4242 });
  assert.deepEqual(parseSyncMessage('{"data": -1, "message": "exec failed: no such file"}'), { data: -1, message: 'exec failed: no such file' });
  assert.deepEqual(parseSyncMessage('{"data": 0}'), { data: 0 });
  assert.equal(parseSyncMessage(''), undefined);
  assert.equal(parseSyncMessage('{"data": "7"}'), undefined);
  assert.equal(parseSyncMessage('{"data": 7'), undefined);
});

test('execSessionPaths: the session files in its dir, the exit file named by the container', () => {
  const p = execSessionPaths('/run/b/containers/C/exec/s1', 'C');
  assert.equal(p.exitFile, '/run/b/containers/C/exec/s1/exits/C');
  assert.equal(p.attached, '/run/b/containers/C/exec/s1/attached');
  assert.equal(p.spec, '/run/b/containers/C/exec/s1/process.json');
});

test('execExitCommand: nothing while a CLI is attached; else the settle command, or sh removes the files', () => {
  const base = tempDir();
  try {
    const dir = path.join(base, 'exec', 's1');
    const link = path.join(base, 's', 's1');
    const removing = path.join(base, 'removing');
    const settled = path.join(base, 'settled');
    const make = () => {
      mkdirSync(path.join(dir, 'exits'), { recursive: true });
      mkdirSync(path.dirname(link), { recursive: true });
      if (!present(link)) symlinkSync(dir, link);
    };
    const run = (cmd: string[]) => execFileSync(cmd[0], cmd.slice(1));
    const settle = ['/bin/sh', '-c', 'echo "$@" > "$0"', settled];
    make();
    writeFileSync(path.join(dir, 'attached'), '');
    run(execExitCommand(dir, removing, link, [...settle, 'ID', 'S', 'E']));
    run(execExitCommand(dir, removing, link));
    assert.ok(existsSync(dir), 'kept while attached: the CLI reads the exit and removes it');
    assert.equal(existsSync(settled), false);
    rmSync(path.join(dir, 'attached'));
    // Detached: the settle command gets the container ID, session and exec ID.
    run(execExitCommand(dir, removing, link, [...settle, 'ID', 'S', 'E']));
    assert.equal(readFileSync(settled, 'utf8'), 'ID S E\n');
    assert.ok(existsSync(dir), 'the settle command removes them, after its exec_die');
    // rm -f under way, or no settle command: sh removes the dir and the link, not the socket dir.
    writeFileSync(removing, '');
    rmSync(settled);
    run(execExitCommand(dir, removing, link, [...settle, 'ID', 'S', 'E']));
    assert.equal(existsSync(settled), false);
    assert.equal(existsSync(dir), false);
    assert.equal(present(link), false);
    assert.ok(existsSync(path.dirname(link)));
    rmSync(removing);
    make();
    run(execExitCommand(dir, removing, link));
    assert.equal(existsSync(dir), false);
    assert.equal(present(link), false);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('sweepExecSessions: sessions with no live conmon go (with their links); young ones starting are kept', () => {
  const base = tempDir();
  try {
    const sessions = path.join(base, 'exec');
    const sockets = path.join(base, 's');
    mkdirSync(sockets);
    const make = (name: string, conmonPid?: number) => {
      const dir = path.join(sessions, name);
      mkdirSync(dir, { recursive: true });
      if (conmonPid !== undefined) writeFileSync(path.join(dir, 'conmon.pid'), String(conmonPid));
      symlinkSync(dir, path.join(sockets, name));
      return dir;
    };
    // This test's own pid: alive, but no conmon.
    const dead = make('dead', process.pid);
    const old = make('old');
    const past = new Date(Date.now() - 120_000);
    utimesSync(old, past, past);
    const young = make('young');
    sweepExecSessions(sessions, sockets);
    assert.equal(existsSync(dead), false);
    assert.equal(present(path.join(sockets, 'dead')), false);
    assert.equal(present(path.join(sockets, 'old')), false);
    assert.equal(existsSync(old), false);
    assert.ok(existsSync(young), 'a session still starting (no conmon pid yet) is left');
    assert.ok(present(path.join(sockets, 'young')));
    // No sessions dir at all: nothing to do.
    sweepExecSessions(path.join(base, 'none'), sockets);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
