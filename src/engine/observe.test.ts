// top's pure parts: docker's check of the ps arguments and its parsing of ps's output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../internal/errors.js';
import { blkioBytes, parsePsOutput, validatePsArgs } from './observe.js';

const EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root        4242    4200  0 10:01 ?        00:00:00 sh -c echo ready;  exec sleep 1000
root        4300    4242  0 10:01 pts/0    00:00:00 sleep 1000
root        9999       1  0 09:00 ?        00:00:03 node --test dist/test/x.test.js
`;

test('ps -ef: the titles, the command line with its spaces joined by one, other pids dropped', () => {
  assert.deepEqual(parsePsOutput(EF, [4242, 4300]), {
    titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
    processes: [
      ['root', '4242', '4200', '0', '10:01', '?', '00:00:00', 'sh -c echo ready; exec sleep 1000'],
      ['root', '4300', '4242', '0', '10:01', 'pts/0', '00:00:00', 'sleep 1000'],
    ],
  });
  assert.deepEqual(parsePsOutput(EF, [4300]).processes.map((p) => p[1]), ['4300']);
  assert.deepEqual(parsePsOutput(EF, []).processes, []);
});

test('a COMMAND title, PID not first, blank lines and tabs; a non-ASCII space stays in its field', () => {
  const out = 'USER\tPID %CPU COMMAND\n\napp     17  0.0 /bin/app\u00a0x  --flag   y\n\n';
  assert.deepEqual(parsePsOutput(out, [17]), {
    titles: ['USER', 'PID', '%CPU', 'COMMAND'],
    processes: [['app', '17', '0.0', '/bin/app\u00a0x --flag y']],
  });
  // One column only: the whole line is the last (and only) title's.
  assert.deepEqual(parsePsOutput('  PID\n   5\n   6\n', [6]).processes, [['6']]);
});

test("threads (PID '-', ps's m option) follow the process before them", () => {
  const out = `  PID TTY      STAT   TIME COMMAND
   10 ?        -      0:00 /srv/a
    - -        Sl     0:00 -
   20 ?        -      0:00 /srv/host
    - -        Sl     0:00 -
`;
  assert.deepEqual(parsePsOutput(out, [10]).processes, [
    ['10', '?', '-', '0:00', '/srv/a'],
    ['-', '-', 'Sl', '0:00', '-'],
  ]);
});

test("no PID column, or a PID that is not a number: dockerd's errors", () => {
  assert.throws(
    () => parsePsOutput('COMMAND\nsleep\n', [1]),
    (err: BerthError) => err instanceof BerthError && err.kind === 'invalid-argument' && err.message === "Couldn't find PID field in ps output",
  );
  assert.throws(() => parsePsOutput('', [1]), /: Couldn't find PID field in ps output$/);
  assert.throws(() => parsePsOutput('PID CMD\nabc sleep\n', [1]), /: Unexpected pid 'abc': strconv\.Atoi: parsing "abc": invalid syntax$/);
});

test("docker's validatePSArgs: only pid may be titled PID...", () => {
  for (const ok of ['-ef', 'aux', '-o pid,comm', '-o pid=PID', '-o pid=PID2,comm', '-o comm=CMD', '-o pid= PID']) validatePsArgs(ok);
  const refused: [string, string][] = [
    ['-o comm=PID', 'comm=PID'],
    ['-eo user,comm=PIDX', 'user,comm=PIDX'],
    ['-o pid -o comm= PID', 'comm=PID'],
  ];
  for (const [args, shown] of refused) {
    assert.throws(
      () => validatePsArgs(args),
      (err: BerthError) => err instanceof BerthError && err.kind === 'invalid-argument' && err.message === `specifying "${shown}" is not allowed`,
      args,
    );
  }
});

test("stats' block I/O: per op over the devices, a value runc left out (zero) counted as 0", () => {
  const entries = [{ op: 'Read', value: 4096 }, { op: 'read', value: 100 }, { op: 'Write' }, { op: 'write', value: 0 }, { value: 7 }, { op: 'Total', value: 4196 }];
  assert.equal(blkioBytes(entries, 'read'), 4196);
  assert.equal(blkioBytes(entries, 'write'), 0);
  assert.equal(blkioBytes([], 'read'), 0);
});
