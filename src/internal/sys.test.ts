import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { kindOfSystemError } from './errors.js';
import * as at from './sys-at.js';
import * as sys from './sys.js';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-sys-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the constants agree with the kernel headers the addon was built with', () => {
  const c = sys.nativeConstants();
  for (const name of ['MS_RDONLY', 'MS_NOSUID', 'MS_NODEV', 'MS_NOEXEC', 'MS_REMOUNT', 'MS_BIND', 'MS_REC', 'MS_PRIVATE', 'MS_SLAVE', 'MS_SHARED', 'MS_SYNCHRONOUS', 'MS_MANDLOCK', 'MS_DIRSYNC', 'MS_NOATIME', 'MS_NODIRATIME', 'MS_SILENT', 'MS_UNBINDABLE', 'MS_RELATIME', 'MS_I_VERSION', 'MS_STRICTATIME', 'MS_LAZYTIME']) {
    assert.equal(c[name], (sys as unknown as Record<string, number>)[name], name);
  }
  assert.equal(c.MNT_DETACH, sys.MNT_DETACH);
});

test('mknod makes a char device 0/0 (an overlay whiteout) and a fifo', () => {
  const wh = path.join(dir, 'whiteout');
  sys.mknod(wh, sys.S_IFCHR | 0o600, 0, 0);
  const st = fs.lstatSync(wh);
  assert.ok(st.isCharacterDevice());
  assert.equal(st.rdev, 0);
  const fifo = path.join(dir, 'fifo');
  sys.mknod(fifo, sys.S_IFIFO | 0o640, 0, 0);
  const fst = fs.lstatSync(fifo);
  assert.ok(fst.isFIFO());
  assert.equal(fst.mode & 0o777, 0o640 & ~process.umask());
});

test('errors carry errno codes that kindOfSystemError maps', () => {
  const wh = path.join(dir, 'exists');
  fs.writeFileSync(wh, '');
  assert.throws(
    () => sys.mknod(wh, sys.S_IFIFO | 0o600, 0, 0),
    (err: NodeJS.ErrnoException) => err.code === 'EEXIST' && kindOfSystemError(err) === 'already-exists',
  );
  assert.throws(
    () => sys.llistxattr(path.join(dir, 'nope')),
    (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.path === path.join(dir, 'nope'),
  );
});

test('xattrs round trip: user.* and trusted.* set, read, listed, removed', () => {
  const f = path.join(dir, 'x');
  fs.writeFileSync(f, 'x');
  sys.lsetxattr(f, 'user.berth', Buffer.from('hello'));
  sys.lsetxattr(f, 'trusted.overlay.opaque', Buffer.from('y'));
  sys.lsetxattr(f, 'security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex'));
  assert.deepEqual(sys.lgetxattr(f, 'user.berth'), Buffer.from('hello'));
  assert.deepEqual(sys.lgetxattr(f, 'trusted.overlay.opaque'), Buffer.from('y'));
  assert.deepEqual(
    sys.llistxattr(f).filter((n) => n !== 'security.selinux').sort(),
    ['security.capability', 'trusted.overlay.opaque', 'user.berth'],
  );
  sys.lremovexattr(f, 'user.berth');
  assert.equal(sys.lgetxattr(f, 'user.berth'), undefined);
  // Cross-checked with the attr package's getfattr.
  const out = spawnSync('getfattr', ['-h', '-n', 'trusted.overlay.opaque', '--only-values', f], { encoding: 'utf8' });
  assert.equal(out.stdout, 'y');
});

test('lutimes sets nanosecond times on a symlink itself', () => {
  const target = path.join(dir, 't');
  fs.writeFileSync(target, '');
  const link = path.join(dir, 'l');
  fs.symlinkSync(target, link);
  const before = fs.statSync(target, { bigint: true }).mtimeNs;
  sys.lutimes(link, 1_000_000, 123_456_789);
  assert.equal(fs.lstatSync(link, { bigint: true }).mtimeNs, 1_000_000_123_456_789n);
  assert.equal(fs.statSync(target, { bigint: true }).mtimeNs, before);
});

test('flock: contention with another process, nonblocking and async', async () => {
  const file = path.join(dir, 'lock');
  fs.writeFileSync(file, '');
  const fd = fs.openSync(file, 'r');
  try {
    assert.equal(sys.flock(fd, 'ex', true), true);
    // util-linux flock(1) in a second process cannot take it while we hold it ...
    assert.equal(spawnSync('flock', ['-n', file, 'true']).status, 1);
    sys.flock(fd, 'un', false);
    // ... and can once we let go.
    assert.equal(spawnSync('flock', ['-n', file, 'true']).status, 0);

    // Another process holds it; flockAsync waits on a worker until it lets go.
    const holder = spawn('flock', [file, 'sh', '-c', 'echo held; sleep 0.4']);
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    assert.equal(sys.flock(fd, 'sh', true), false);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const started = Date.now();
    await sys.flockAsync(fd, 'ex');
    clearInterval(timer);
    assert.ok(Date.now() - started >= 150, 'waited for the other process');
    assert.ok(ticks >= 3, 'the event loop kept running while waiting');
    sys.flock(fd, 'un', false);
  } finally {
    fs.closeSync(fd);
  }
});

test('flockAsync rejects with an errno code on a bad fd', async () => {
  await assert.rejects(sys.flockAsync(987654, 'ex'), (err: NodeJS.ErrnoException) => err.code === 'EBADF');
});

test('mount a tmpfs, use it, unmount it', () => {
  const target = path.join(dir, 'mnt');
  fs.mkdirSync(target);
  sys.mount('berth-test', target, 'tmpfs', sys.MS_NOSUID | sys.MS_NODEV, 'size=1m,mode=0750');
  try {
    fs.writeFileSync(path.join(target, 'in-tmpfs'), 'x');
    const mounts = fs.readFileSync('/proc/self/mounts', 'utf8');
    assert.match(mounts, new RegExp(`^berth-test ${target} tmpfs [^ ]*nosuid,nodev`, 'm'));
    assert.equal(fs.statSync(target).mode & 0o777, 0o750);
  } finally {
    sys.umount2(target, sys.MNT_DETACH);
  }
  assert.deepEqual(fs.readdirSync(target), []);
  assert.throws(() => sys.umount2(target), (err: NodeJS.ErrnoException) => err.code === 'EINVAL');
});

test('openDirInRoot keeps symlinks and .. inside the root and creates missing parents', () => {
  const root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.symlinkSync('/etc', path.join(root, 'abs'));
  fs.symlinkSync('../../../..', path.join(root, 'up'));
  const rootFd = at.openRoot(root);
  try {
    for (const rel of ['abs', 'up/etc', '../../etc']) {
      const fd = at.openDirInRoot(rootFd, rel, false);
      try {
        assert.equal(fs.realpathSync(at.procPath(fd)), path.join(root, 'etc'), rel);
      } finally {
        fs.closeSync(fd);
      }
    }
    const fd = at.openDirInRoot(rootFd, 'abs/new/deeper', true);
    fs.closeSync(fd);
    assert.ok(fs.statSync(path.join(root, 'etc', 'new', 'deeper')).isDirectory());
    assert.equal(fs.existsSync('/etc/new/deeper'), false);
  } finally {
    fs.closeSync(rootFd);
  }
});

test('createAt and setMetaAt make entries without following the last component', () => {
  const root = path.join(dir, 'create');
  fs.mkdirSync(root);
  const fd = at.openRoot(root);
  try {
    const file = at.createAt(fd, 'f', at.NodeKind.File, { data: Buffer.from('abc') });
    at.setMetaAt(fd, 'f', file, false, { uid: 1, gid: 2, mode: 0o4755, mtimeSec: 100, mtimeNsec: 5 });
    const st = fs.lstatSync(path.join(root, 'f'), { bigint: true });
    assert.equal(fs.readFileSync(path.join(root, 'f'), 'utf8'), 'abc');
    assert.equal(st.mode & 0o7777n, 0o4755n);
    assert.equal(st.uid, 1n);
    assert.equal(st.mtimeNs, 100_000_000_005n);

    fs.symlinkSync('/etc/passwd', path.join(root, 'evil'));
    assert.throws(() => at.createAt(fd, 'evil', at.NodeKind.File, {}), { code: 'EEXIST' });
    assert.equal(at.typeAt(fd, 'evil'), sys.S_IFLNK);
    assert.equal(at.typeAt(fd, 'absent'), 0);
    at.setMetaAt(fd, 'evil', -1, true, { uid: 3, gid: 3, mode: 0o777, mtimeSec: 7 });
    assert.equal(fs.lstatSync(path.join(root, 'evil')).uid, 3);
    assert.notEqual(fs.statSync('/etc/passwd').uid, 3);

    at.createAt(fd, 'hl', at.NodeKind.Hardlink, { linkDirFd: fd, linkName: 'f' });
    assert.equal(fs.statSync(path.join(root, 'hl')).nlink, 2);
    at.createAt(fd, 'd', at.NodeKind.Directory);
    at.setMetaAt(fd, 'd', -1, false, { uid: 0, gid: 0, mode: 0o1777, xattrs: ['user.a', Buffer.from('1')] });
    assert.equal(fs.statSync(path.join(root, 'd')).mode & 0o7777, 0o1777);
    assert.deepEqual(sys.lgetxattr(path.join(root, 'd'), 'user.a'), Buffer.from('1'));
    at.unlinkAt(fd, 'd', true);
    at.unlinkAt(fd, 'hl', false);
    assert.deepEqual(fs.readdirSync(root).sort(), ['evil', 'f']);
  } finally {
    fs.closeSync(fd);
  }
});
