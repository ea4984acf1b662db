import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_SLAVE } from '../internal/sys.js';
import { checkVolumeOptions, mountsFileSystem, parseMountOptions, resolveNfsAddress } from './volume-options.js';

const refused = (options: Record<string, string>, message: string) =>
  assert.throws(
    () => checkVolumeOptions('v1', options),
    (e) => isBerthError(e, 'invalid-argument') && e.message === message,
    message,
  );

test("docker's checks of the local driver's options at create, in its words", () => {
  assert.deepEqual(checkVolumeOptions('v1', {}), {});
  // Kept with sorted keys, as docker's map prints in volume inspect.
  assert.deepEqual(Object.keys(checkVolumeOptions('v1', { type: 'tmpfs', o: 'size=1m', device: 'tmpfs' })), ['device', 'o', 'type']);
  assert.deepEqual(checkVolumeOptions('v1', { type: 'tmpfs', device: 'tmpfs', o: '' }), { device: 'tmpfs', o: '', type: 'tmpfs' });
  refused({ foo: 'bar' }, 'create v1: invalid option: "foo"');
  refused({ type: 'tmpfs', device: 'tmpfs', '': 'x' }, 'create v1: invalid option: ""');
  // o needs device first, then type; type and device need each other.
  refused({ o: 'size=1m' }, 'create v1: missing required option: "device"');
  refused({ o: 'size=1m', device: 'x' }, 'create v1: missing required option: "type"');
  refused({ type: 'tmpfs' }, 'create v1: missing required option: "device"');
  refused({ device: 'tmpfs' }, 'create v1: missing required option: "type"');
  // size: a quota berth cannot set; 0 asks for none.
  refused({ size: 'abc' }, "create v1: invalid size: 'abc'");
  refused({ type: 'tmpfs', device: 'tmpfs', size: '1m' }, 'create v1: quota size requested but no quota support');
  assert.deepEqual(checkVolumeOptions('v1', { size: '0' }), { size: '0' });
});

test('a volume mounts a file system when it has a type or device', () => {
  assert.equal(mountsFileSystem(null), false);
  assert.equal(mountsFileSystem({ size: '0' }), false);
  assert.equal(mountsFileSystem({ type: 'tmpfs', device: 'tmpfs' }), true);
  assert.equal(mountsFileSystem({ type: 'none', device: '/srv', o: 'bind' }), true);
});

test("o=: mount(8)'s generic options become flags, the rest the file system's data", () => {
  assert.deepEqual(parseMountOptions(''), { flags: 0, propagation: 0, data: '' });
  assert.deepEqual(parseMountOptions('size=1m'), { flags: 0, propagation: 0, data: 'size=1m' });
  // docker printed "flags: 0x6, data: size=1m,uid=5" for o=size=1m,nosuid,nodev,uid=5.
  assert.deepEqual(parseMountOptions('size=1m,nosuid,nodev,uid=5'), { flags: 0x6, propagation: 0, data: 'size=1m,uid=5' });
  assert.deepEqual(parseMountOptions('bind'), { flags: MS_BIND, propagation: 0, data: '' });
  assert.deepEqual(parseMountOptions('rbind,ro'), { flags: MS_BIND | MS_REC | MS_RDONLY, propagation: 0, data: '' });
  // In order: a later option undoes an earlier one.
  assert.equal(parseMountOptions('ro,rw').flags, 0);
  assert.equal(parseMountOptions('noexec,exec,nosuid').flags, MS_NOSUID);
  assert.equal(parseMountOptions('defaults,noexec,nodev').flags, MS_NOEXEC | MS_NODEV);
  // Propagation is a second call, not a flag of the mount itself.
  assert.deepEqual(parseMountOptions('bind,rslave'), { flags: MS_BIND, propagation: MS_SLAVE | MS_REC, data: '' });
  assert.deepEqual(parseMountOptions('private,mode=0700'), { flags: 0, propagation: MS_PRIVATE, data: 'mode=0700' });
  // Empty items (a trailing comma) are nothing; unknown ones are the file system's to judge.
  assert.deepEqual(parseMountOptions('size=1m,,bogusflag,'), { flags: 0, propagation: 0, data: 'size=1m,bogusflag' });
});

test("an nfs volume's addr= host name is looked up; addresses and other types are left alone", async () => {
  const looked: string[] = [];
  const lookup = async (h: string) => {
    looked.push(h);
    return '10.0.0.9';
  };
  assert.equal(await resolveNfsAddress('nfs', 'addr=nas.local,rw,nfsvers=4', lookup), 'addr=10.0.0.9,rw,nfsvers=4');
  assert.equal(await resolveNfsAddress('nfs', 'rw,addr=10.1.2.3', lookup), 'rw,addr=10.1.2.3');
  assert.equal(await resolveNfsAddress('nfs', 'addr=fd00::1', lookup), 'addr=fd00::1');
  assert.equal(await resolveNfsAddress('tmpfs', 'addr=nas.local', lookup), 'addr=nas.local');
  assert.deepEqual(looked, ['nas.local']);
});
