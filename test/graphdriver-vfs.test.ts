// The vfs driver: the shared suite, plus the copy's fidelity (owners, modes, devices,
// hardlinks, xattrs) that a full-copy driver owes its containers.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { openGraphDriver } from '../src/graphdriver/index.js';
import { lgetxattr, lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../src/internal/sys.js';
import { driverSuite, fixture } from './graphdriver-suite.js';

const open = (root: string, runroot: string) => openGraphDriver({ root, runroot, driver: 'vfs' });

driverSuite('vfs', open);

test('vfs: the copy keeps owners, modes, devices, hardlinks, symlinks and xattrs', async () => {
  const f = await fixture(open);
  try {
    const layer = await f.layer('fidelity', async (d) => {
      await fs.writeFile(path.join(d, 'suid'), 'x', { mode: 0o755 });
      await fs.chown(path.join(d, 'suid'), 1234, 5678);
      await fs.chmod(path.join(d, 'suid'), 0o4755);
      await fs.link(path.join(d, 'suid'), path.join(d, 'hard'));
      await fs.symlink('/etc/passwd', path.join(d, 'sym'));
      await fs.lchown(path.join(d, 'sym'), 42, 43);
      mknod(path.join(d, 'null'), S_IFCHR | 0o666, 1, 3);
      mknod(path.join(d, 'loop'), S_IFBLK | 0o660, 7, 0);
      mknod(path.join(d, 'fifo'), S_IFIFO | 0o644, 0, 0);
      await fs.mkdir(path.join(d, 'sticky'), { mode: 0o777 });
      await fs.chmod(path.join(d, 'sticky'), 0o1777);
      lsetxattr(path.join(d, 'suid'), 'user.note', Buffer.from('kept'));
      await fs.utimes(path.join(d, 'sticky'), 1000, 1_000_000);
    });
    await f.driver.prepare('copy', [layer]);
    const tree = path.join(f.root, 'snapshots', 'copy', 'fs');
    const suid = await fs.lstat(path.join(tree, 'suid'));
    assert.equal(suid.mode & 0o7777, 0o4755);
    assert.equal(suid.uid, 1234);
    assert.equal(suid.gid, 5678);
    assert.equal(suid.nlink, 2);
    assert.equal((await fs.lstat(path.join(tree, 'hard'))).ino, suid.ino);
    assert.equal(lgetxattr(path.join(tree, 'suid'), 'user.note')?.toString(), 'kept');
    assert.equal(await fs.readlink(path.join(tree, 'sym')), '/etc/passwd');
    assert.equal((await fs.lstat(path.join(tree, 'sym'))).uid, 42);
    const nul = await fs.lstat(path.join(tree, 'null'));
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, (1 << 8) | 3);
    assert.ok((await fs.lstat(path.join(tree, 'loop'))).isBlockDevice());
    assert.ok((await fs.lstat(path.join(tree, 'fifo'))).isFIFO());
    const sticky = await fs.lstat(path.join(tree, 'sticky'));
    assert.equal(sticky.mode & 0o7777, 0o1777);
    assert.equal(Math.floor(sticky.mtimeMs / 1000), 1_000_000);
  } finally {
    await f.done();
  }
});
