import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorsFromLog, kindOfRuntimeMessage, runtimeError } from './errors.js';
import { parseState } from './oci-runtime.js';

test('runtime JSON logs give their error messages; plain lines are kept', () => {
  const log = [
    '{"level":"info","msg":"hello","time":"x"}',
    '{"level":"error","msg":"runc create failed: exec: \\"x\\": executable file not found in $PATH","time":"x"}',
    'plain failure',
  ].join('\n');
  assert.deepEqual(errorsFromLog(log), ['runc create failed: exec: "x": executable file not found in $PATH', 'plain failure']);
});

test('messages map to kinds the CLI turns into 125/126/127', () => {
  assert.equal(kindOfRuntimeMessage('exec: "x": executable file not found in $PATH'), 'not-found');
  assert.equal(kindOfRuntimeMessage('container does not exist'), 'not-found');
  assert.equal(kindOfRuntimeMessage('exec /bin/x: permission denied'), 'denied');
  assert.equal(kindOfRuntimeMessage('container with id exists: x already exists'), 'already-exists');
  assert.equal(kindOfRuntimeMessage('cannot start a container that has stopped'), 'failed-precondition');
  assert.equal(kindOfRuntimeMessage('something odd'), 'internal');
  assert.equal(kindOfRuntimeMessage('container not running'), 'failed-precondition');
  const e = runtimeError('cannot start container c', 'runc', [], 'time="t" level=error msg="container not running"\n');
  assert.equal(e.message, 'cannot start container c: runc: container not running');
  assert.equal(e.kind, 'failed-precondition');
});

test('state JSON: a closed set of statuses', () => {
  const s = parseState('{"ociVersion":"1.0.2","id":"a","pid":5,"status":"running","bundle":"/b","created":"t"}');
  assert.deepEqual(s, { ociVersion: '1.0.2', id: 'a', status: 'running', pid: 5, bundle: '/b', created: 't' });
  assert.throws(() => parseState('{"status":"zombie"}'), /unknown status "zombie"/);
  assert.throws(() => parseState('nope'), /not JSON/);
});
