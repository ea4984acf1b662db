// berth-run-detached, the runtime conmon is given for a container started at once: what it
// hands the real runtime, checked with /bin/echo standing in for runc (runc itself runs under
// conmon in the engine's end-to-end tests).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { runDetachedShim } from './monitor.js';

function shim(args: string[]) {
  const path = runDetachedShim();
  assert.ok(path, 'scripts/build.sh builds native/monitor/build/berth-run-detached');
  return spawnSync(path, args, { encoding: 'utf8' });
}

test("conmon's create becomes run --detach, the global options before it and create's options after it kept", () => {
  const r = shim(['/bin/echo', '--root=/run/x', '--log-format=json', '--log=/tmp/l', 'create', '--bundle', '/b', '--pid-file', '/p', '--console-socket', '/s', 'ID']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '--root=/run/x --log-format=json --log=/tmp/l run --detach --bundle /b --pid-file /p --console-socket /s ID\n');
});

test('any other sub-command passes through unchanged; only the sub-command position is looked at', () => {
  assert.equal(shim(['/bin/echo', '--root=/r', 'start', 'create']).stdout, '--root=/r start create\n');
  assert.equal(shim(['/bin/echo', 'delete', '--force', 'ID']).stdout, 'delete --force ID\n');
});

test('a runtime that cannot be run: 127 (or 126) and a message naming it; too few arguments: usage, 2', () => {
  const r = shim(['/nonexistent/runc', 'create', 'ID']);
  assert.equal(r.status, 127);
  assert.match(r.stderr, /cannot run \/nonexistent\/runc: No such file or directory/);
  const u = shim(['/bin/echo']);
  assert.equal(u.status, 2);
  assert.match(u.stderr, /usage: berth-run-detached/);
});
