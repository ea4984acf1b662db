import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import { checkDestination, parseMount, parseTmpfs, parseVolume } from './mounts.js';

test('-v host:ctr[:ro] with a normalised destination', () => {
  assert.deepEqual(parseVolume('/tmp:/data/../data/:ro'), { type: 'bind', source: '/tmp', destination: '/data', readonly: true });
  assert.deepEqual(parseVolume('/tmp:/x:rw,rshared'), { type: 'bind', source: '/tmp', destination: '/x', readonly: false, propagation: 'rshared' });
});

test('a destination that climbs with .. normalises inside the container', () => {
  assert.equal(checkDestination('/../../etc/x', '-v'), '/etc/x');
});

test('a relative destination is refused', () => {
  assert.throws(() => parseVolume('/tmp:data'), (e) => isBerthError(e, 'invalid-argument') && /absolute/.test(e.message));
});

test('the root itself is refused as a destination', () => {
  assert.throws(() => parseVolume('/tmp:/'), /over the container's root/);
  assert.throws(() => parseVolume('/tmp:/a/..'), /over the container's root/);
});

test('a NUL byte in a destination is refused', () => {
  assert.throws(() => checkDestination('/a\0b', '--mount'), /NUL/);
});

test('a missing host source is not-found', () => {
  assert.throws(() => parseVolume('/no/such/berth/dir:/x'), (e) => isBerthError(e, 'not-found'));
});

test('named and anonymous volumes are unsupported, clearly', () => {
  assert.throws(() => parseVolume('myvol:/x'), (e) => isBerthError(e, 'unsupported'));
  assert.throws(() => parseVolume('/x'), (e) => isBerthError(e, 'unsupported'));
});

test('an unknown -v option is refused', () => {
  assert.throws(() => parseVolume('/tmp:/x:exec'), /invalid -v option/);
});

test('--mount bind and tmpfs', () => {
  assert.deepEqual(parseMount('type=bind,source=/tmp,target=/t,readonly'), { type: 'bind', source: '/tmp', destination: '/t', readonly: true });
  assert.deepEqual(parseMount('type=tmpfs,target=/run,tmpfs-size=64m'), { type: 'tmpfs', destination: '/run', options: ['size=64m'] });
  assert.throws(() => parseMount('type=volume,source=v,target=/v'), /bind and tmpfs/);
  assert.throws(() => parseMount('type=bind,source=/tmp'), /target is required/);
});

test('--tmpfs with options; a hostile option is refused', () => {
  assert.deepEqual(parseTmpfs('/run:size=1m,mode=1777'), { type: 'tmpfs', destination: '/run', options: ['size=1m', 'mode=1777'] });
  assert.throws(() => parseTmpfs('/run:size=1m;rm -rf'), /invalid --tmpfs option/);
});
