import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import { checkDestination, checkMountFlag, dockerMount, parseMount, parseTmpfs, parseVolume } from './mounts.js';

test('-v host:ctr[:ro] with a normalised destination', () => {
  assert.deepEqual(parseVolume('/tmp:/data/../data/:ro'), { type: 'bind', source: '/tmp', destination: '/data', readonly: true, createSource: true });
  assert.deepEqual(parseVolume('/tmp:/x:rw,rshared'), { type: 'bind', source: '/tmp', destination: '/x', readonly: false, propagation: 'rshared', createSource: true });
});

test("-v ./dir and ../dir are host paths from the working directory (docker CLI 23+); other relative sources name volumes", () => {
  const cwd = process.cwd();
  assert.deepEqual(parseVolume('./data:/x'), { type: 'bind', source: `${cwd}/data`, destination: '/x', readonly: false, createSource: true });
  assert.deepEqual(parseVolume('../up:/x:ro'), { type: 'bind', source: path.resolve(cwd, '..', 'up'), destination: '/x', readonly: true, createSource: true });
  assert.deepEqual(parseVolume('.:/x'), { type: 'bind', source: cwd, destination: '/x', readonly: false, createSource: true });
  assert.equal(parseVolume('data:/x').type, 'volume');
  assert.throws(() => parseVolume('data/:/x'), /create data\/: "data\/" includes invalid characters for a local volume name/);
});

test('a destination that climbs with .. normalises inside the container', () => {
  assert.equal(checkDestination('/../../etc/x', '-v'), '/etc/x');
});

test('a relative destination is refused', () => {
  assert.throws(() => parseVolume('/tmp:data'), (e) => isBerthError(e, 'invalid-argument') && /absolute/.test(e.message));
});

test('the root itself is refused as a destination', () => {
  // dockerd 20.10's words.
  assert.throws(() => parseVolume('/tmp:/'), /^BerthError: invalid volume specification: '\/tmp:\/': invalid mount config for type "bind": invalid specification: destination can't be '\/'$/);
  assert.throws(() => parseVolume('/tmp:/a/..'), /destination can't be '\/'/);
});

test('a NUL byte in a destination is refused', () => {
  assert.throws(() => checkDestination('/a\0b', '--mount'), /NUL/);
});

test("a missing host source: -v makes it at the start (docker's), --mount refuses it", () => {
  assert.deepEqual(parseVolume('/no/such/berth/dir:/x'), { type: 'bind', source: '/no/such/berth/dir', destination: '/x', readonly: false, createSource: true });
  assert.throws(() => parseMount('type=bind,source=/no/such/berth/dir,target=/x'), (e) => isBerthError(e, 'not-found'));
});

test('-v NAME:/ctr is a named volume, -v /ctr an anonymous one', () => {
  assert.deepEqual(parseVolume('myvol:/x'), { type: 'volume', name: 'myvol', destination: '/x', readonly: false });
  assert.deepEqual(parseVolume('my_vol.1-a:/x/../y:ro,nocopy'), { type: 'volume', name: 'my_vol.1-a', destination: '/y', readonly: true, nocopy: true });
  assert.deepEqual(parseVolume('/data/'), { type: 'volume', name: '', destination: '/data', readonly: false });
});

test('bad volume names and paths are refused', () => {
  // ('..:/x' and '.v:/x' are host paths: docker's CLI takes any source starting with '.' so.)
  for (const bad of ['a/b:/x', '-v:/x', 'x:/x']) {
    assert.throws(() => parseVolume(bad), (e) => isBerthError(e, 'invalid-argument') && /includes invalid characters for a local volume name|volume name is too short/.test(e.message), bad);
  }
  assert.throws(() => parseVolume('vol:relative/path'), (e) => isBerthError(e, 'invalid-argument') && /absolute/.test(e.message));
  assert.throws(() => parseVolume('relative'), /absolute container path/);
  assert.throws(() => parseVolume('vol:/x:rshared'), /invalid -v option/, 'propagation is for binds');
  // dockerd 20.10's words.
  assert.throws(() => parseVolume('/tmp:/x:nocopy'), /^BerthError: invalid volume specification: '\/tmp:\/x:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified$/);
  assert.throws(() => parseVolume('/tmp:rel'), /^BerthError: invalid volume specification: '\/tmp:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute$/);
  assert.throws(() => parseVolume('/tmp:/b:zz'), /^BerthError: invalid mode: zz$/);
  assert.throws(() => parseVolume('/tmp:/b:ro,rw'), /^BerthError: invalid mode: ro,rw$/);
  assert.throws(() => parseVolume('a:b:c:d'), /^BerthError: invalid volume specification: 'a:b:c:d'$/);
  assert.deepEqual(parseVolume('/tmp:/b:ro,z,rslave,cached'), { type: 'bind', source: '/tmp', destination: '/b', readonly: true, propagation: 'rslave', createSource: true });
  assert.throws(() => parseVolume('vol:/'), /invalid mount config for type "volume": invalid specification: destination can't be '\/'/);
});
test('an unknown -v option is refused', () => {
  assert.throws(() => parseVolume('/tmp:/x:exec'), /^BerthError: invalid mode: exec$/);
});

test('--mount bind and tmpfs', () => {
  assert.deepEqual(parseMount('type=bind,source=/tmp,target=/t,readonly'), { type: 'bind', source: '/tmp', destination: '/t', readonly: true });
  // The size in bytes, as docker's CLI parses it (its units: 1mb is a size too).
  assert.deepEqual(parseMount('type=tmpfs,target=/run,tmpfs-size=64m'), { type: 'tmpfs', destination: '/run', options: ['size=67108864'] });
  assert.deepEqual(parseMount('type=tmpfs,target=/run,tmpfs-size=1mb'), { type: 'tmpfs', destination: '/run', options: ['size=1048576'] });
  assert.deepEqual(parseMount('type=bind,source=/tmp,target=/t,readonly=False'), { type: 'bind', source: '/tmp', destination: '/t', readonly: false });
  assert.throws(() => parseMount('type=image,source=v,target=/v'), /bind, volume and tmpfs/);
  assert.throws(() => parseMount('type=bind,source=/tmp'), /target is required/);
  // dockerd 20.10's words.
  assert.throws(() => parseMount('type=bind,dst=/m'), /^BerthError: invalid mount config for type "bind": field Source must not be empty$/);
  assert.throws(() => parseMount('type=bogus,dst=/m'), /^BerthError: invalid mount config for type "bogus": mount type unknown$/);
  assert.throws(() => parseMount('type=bind,src=/tmp,dst=/m,bind-propagation=foo'), /^BerthError: invalid mount config for type "bind": invalid propagation mode: foo$/);
  assert.throws(() => parseMount('type=tmpfs,dst=/m,src=/x'), /^BerthError: invalid mount config for type "tmpfs": field Source must not be specified$/);
  assert.throws(() => parseMount('type=bind,src=/tmp,dst=rel'), /^BerthError: invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute$/);
});

test("--mount's fields as docker's CLI checks them", () => {
  // docker CLI 28.2.2's words (the why of its flag error).
  const cases: [string, RegExp][] = [
    ['dst=/m,foo', /^BerthError: invalid field 'foo' must be a key=value pair$/],
    ['dst=/m,foo=1', /^BerthError: unexpected key 'foo' in 'foo=1'$/],
    ['type=bind,src=/tmp,dst=/m,readonly=maybe', /^BerthError: invalid value for readonly: maybe$/],
    ['dst=/m,volume-nocopy=x', /^BerthError: invalid value for volume-nocopy: x$/],
    ['type=tmpfs,dst=/m,tmpfs-size=1x', /^BerthError: invalid value for tmpfs-size: 1x$/],
    ['type=tmpfs,dst=/m,tmpfs-mode=9', /^BerthError: invalid value for tmpfs-mode: 9$/],
    ['type=volume,dst=/m,tmpfs-size=1m', /^BerthError: cannot mix 'tmpfs-\*' options with mount type 'volume'$/],
    ['type=bind,src=/tmp,dst=/m,volume-nocopy', /^BerthError: cannot mix 'volume-\*' options with mount type 'bind'$/],
    ['type=tmpfs,dst=/m,bind-propagation=shared', /^BerthError: cannot mix 'bind-\*' options with mount type 'tmpfs'$/],
    ['type=bind,src=/tmp', /^BerthError: target is required$/],
    ['type=,dst=/m', /^BerthError: type is required$/],
  ];
  for (const [text, why] of cases) assert.throws(() => checkMountFlag(text), why, text);
  for (const ok of ['type=bind,src=/tmp,dst=/m,ro,bind-propagation=rshared', 'target=/v,readonly=1,volume-nocopy=true,volume-label=a=b', 'type=tmpfs,dst=/t,tmpfs-size=1mb,tmpfs-mode=1777', 'TYPE=Bind,Source=/tmp,Target=/m']) {
    checkMountFlag(ok);
  }
});

test('--tmpfs with options; a hostile option is refused', () => {
  assert.deepEqual(parseTmpfs('/run:size=1m,mode=1777'), { type: 'tmpfs', destination: '/run', options: ['size=1m', 'mode=1777'] });
  assert.throws(() => parseTmpfs('/run:size=1m;rm -rf'), /invalid --tmpfs option/);
});

test('--mount type=volume: named, anonymous, read-only, nocopy, labels, options; other drivers refused', () => {
  assert.deepEqual(parseMount('type=volume,source=v1,target=/v'), { type: 'volume', name: 'v1', destination: '/v', readonly: false });
  assert.deepEqual(parseMount('target=/v,readonly,volume-nocopy'), { type: 'volume', name: '', destination: '/v', readonly: true, nocopy: true });
  assert.deepEqual(parseMount('type=volume,src=v1,dst=/v,volume-label=a=b'), { type: 'volume', name: 'v1', destination: '/v', readonly: false, labels: { a: 'b' } });
  assert.throws(() => parseMount('type=volume,source=../x,target=/v'), /includes invalid characters for a local volume name/);
  assert.throws(() => parseMount('type=volume,source=v1,target=/v,volume-driver=nfs'), (e) => isBerthError(e, 'unsupported') && /local volume driver only/.test(e.message));
  // The options are the create's to check (docker's daemon checks them when it makes the volume).
  assert.deepEqual(parseMount('type=volume,source=v1,target=/v,volume-driver=local,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=1m'), {
    type: 'volume',
    name: 'v1',
    destination: '/v',
    readonly: false,
    driverOptions: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' },
  });
  const bare = parseMount('target=/v,volume-opt=foo');
  assert.deepEqual(bare.type === 'volume' ? bare.driverOptions : undefined, { foo: '' });
});

test("--mount values as docker's HostConfig.Mounts shows them", () => {
  // docker 20.10's inspect of the same --mount values.
  assert.deepEqual(dockerMount('type=bind,source=/tmp/src,target=/x,readonly'), { Type: 'bind', Source: '/tmp/src', Target: '/x', ReadOnly: true });
  assert.deepEqual(dockerMount('type=volume,source=myvol,target=/v,volume-nocopy'), { Type: 'volume', Source: 'myvol', Target: '/v', VolumeOptions: { NoCopy: true, DriverConfig: {} } });
  assert.deepEqual(dockerMount('type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 } });
  assert.deepEqual(dockerMount('type=volume,target=/anon'), { Type: 'volume', Target: '/anon' });
  // docker 20.10 for volume-opt= with and without volume-driver=local.
  assert.deepEqual(dockerMount('type=volume,source=m1,target=/d,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=2m'), {
    Type: 'volume',
    Source: 'm1',
    Target: '/d',
    VolumeOptions: { DriverConfig: { Options: { device: 'tmpfs', o: 'size=2m', type: 'tmpfs' } } },
  });
  assert.deepEqual(dockerMount('type=volume,source=m3,target=/d,volume-driver=local,volume-opt=type=tmpfs,volume-opt=device=tmpfs'), {
    Type: 'volume',
    Source: 'm3',
    Target: '/d',
    VolumeOptions: { DriverConfig: { Name: 'local', Options: { device: 'tmpfs', type: 'tmpfs' } } },
  });
  assert.deepEqual(dockerMount('type=bind,src=/tmp/src,dst=/y,bind-propagation=rshared'), { Type: 'bind', Source: '/tmp/src', Target: '/y', BindOptions: { Propagation: 'rshared' } });
  assert.deepEqual(dockerMount('target=/l,volume-label=team=blue'), { Type: 'volume', Target: '/l', VolumeOptions: { Labels: { team: 'blue' }, DriverConfig: {} } });
});
