// Layer apply end to end: tars from GNU tar with every entry kind, compared with what
// `tar -x -p --xattrs` makes of them; whiteouts merged and in a real overlay mount.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as sys from '../src/internal/sys.js';
import { applyLayer } from '../src/layer/index.js';
import { rawTar, snapshotTree } from './layer-fixtures.js';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-layer-apply-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CAP_NET_RAW = Buffer.from('0100000200200000000000000000000000000000', 'hex');

/** A tree with every kind of entry a layer can hold, owned and moded the hard way. */
function makeRichTree(root: string): void {
  fs.mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  fs.mkdirSync(path.join(root, 'tmp'));
  fs.mkdirSync(path.join(root, 'dev'));
  fs.mkdirSync(path.join(root, 'empty'));
  fs.writeFileSync(path.join(root, 'usr/bin/tool'), 'tool\n');
  fs.chownSync(path.join(root, 'usr/bin/tool'), 1234, 5678);
  fs.chmodSync(path.join(root, 'usr/bin/tool'), 0o4755); // chmod after chown keeps setuid
  fs.writeFileSync(path.join(root, 'usr/bin/ping'), 'ping\n');
  sys.lsetxattr(path.join(root, 'usr/bin/ping'), 'security.capability', CAP_NET_RAW);
  sys.lsetxattr(path.join(root, 'usr/bin/ping'), 'user.note', Buffer.from('caps'));
  fs.linkSync(path.join(root, 'usr/bin/tool'), path.join(root, 'usr/bin/tool-link'));
  fs.symlinkSync('tool', path.join(root, 'usr/bin/relative-link'));
  fs.symlinkSync('/usr/bin/tool', path.join(root, 'usr/bin/absolute-link'));
  fs.symlinkSync('/nowhere', path.join(root, 'dangling'));
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.chmodSync(path.join(root, 'empty'), 0o2750);
  sys.mknod(path.join(root, 'dev/null'), sys.S_IFCHR | 0o666, 1, 3);
  sys.mknod(path.join(root, 'dev/loop9'), sys.S_IFBLK | 0o660, 7, 9);
  sys.mknod(path.join(root, 'dev/fifo'), sys.S_IFIFO | 0o600, 0, 0);
  fs.writeFileSync(path.join(root, 'big'), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
  fs.writeFileSync(path.join(root, `long-${'n'.repeat(150)}`), 'long name');
  fs.writeFileSync(path.join(root, 'empty-file'), '');
  const old = new Date('2001-02-03T04:05:06Z');
  for (const p of ['usr/bin/tool', 'big', 'usr/bin', 'usr', 'empty']) fs.utimesSync(path.join(root, p), old, old);
  fs.lutimesSync(path.join(root, 'dangling'), old, old);
}

function gnuTar(src: string, out: string): void {
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-cf', out, '-C', src, '.']);
}

function sha256File(file: string): string {
  return `sha256:${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`;
}

test('a GNU tar with every entry kind unpacks like tar -x -p --xattrs, diffID and size included', async () => {
  const src = fs.mkdtempSync(path.join(tmp, 'src-'));
  makeRichTree(src);
  const tarFile = path.join(tmp, 'rich.tar');
  gnuTar(src, tarFile);
  const byTar = fs.mkdtempSync(path.join(tmp, 'bytar-'));
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xpf', tarFile, '-C', byTar]);
  const byBerth = fs.mkdtempSync(path.join(tmp, 'byberth-'));
  const result = await applyLayer(fs.createReadStream(tarFile), byBerth, { mode: 'merge' });
  assert.equal(result.size, fs.statSync(tarFile).size);
  assert.equal(result.diffID, sha256File(tarFile));
  const want = snapshotTree(byTar, { mtimes: true, dirMtimes: true });
  assert.deepEqual(snapshotTree(byBerth, { mtimes: true, dirMtimes: true }), want);
  // The facts the comparison covers, stated once so a regression reads clearly.
  assert.equal(want['usr/bin/tool'].mode, 0o4755);
  assert.equal(want['usr/bin/tool'].uid, 1234);
  assert.equal(want['usr/bin/tool'].nlink, 2);
  assert.equal(want['usr/bin/ping'].xattrs?.['security.capability'], CAP_NET_RAW.toString('hex'));
  assert.equal(want.tmp.mode, 0o1777);
  assert.equal(want['dev/loop9'].type, 'block');
  assert.equal(want.usr.mtime, Date.parse('2001-02-03T04:05:06Z') / 1000);
});

test('gzip layers are detected; the diffID is of the uncompressed tar', async () => {
  const tar = rawTar([{ name: 'a/', type: 'directory' }, { name: 'a/f', body: 'x' }]);
  const target = fs.mkdtempSync(path.join(tmp, 'gz-'));
  const result = await applyLayer(Readable.from([gzipSync(tar)]), target, { mode: 'overlay-lower' });
  assert.equal(result.diffID, `sha256:${createHash('sha256').update(tar).digest('hex')}`);
  assert.equal(result.size, tar.length);
  assert.equal(fs.readFileSync(path.join(target, 'a/f'), 'utf8'), 'x');
});

const lower = rawTar([
  { name: 'etc/', type: 'directory' },
  { name: 'etc/keep', body: 'keep' },
  { name: 'etc/gone', body: 'gone' },
  { name: 'etc/gone-dir/', type: 'directory' },
  { name: 'etc/gone-dir/inner', body: 'inner' },
  { name: 'opq/', type: 'directory' },
  { name: 'opq/old', body: 'old' },
  { name: 'opq/sub/', type: 'directory' },
  { name: 'opq/sub/old2', body: 'old' },
]);
const upper = rawTar([
  { name: 'etc/.wh.gone', body: '' },
  { name: 'etc/.wh.gone-dir', body: '' },
  { name: 'opq/', type: 'directory' },
  { name: 'opq/.wh..wh..opq', body: '' },
  { name: 'opq/new', body: 'new' },
  { name: 'added/.wh.never-existed', body: '' },
]);

test("merge: whiteouts delete lower files and directories; opaque keeps only this layer's children", async () => {
  const target = fs.mkdtempSync(path.join(tmp, 'merge-'));
  await applyLayer(Readable.from([lower]), target, { mode: 'merge' });
  await applyLayer(Readable.from([upper]), target, { mode: 'merge' });
  assert.deepEqual(Object.keys(snapshotTree(target)).sort(), ['etc', 'etc/keep', 'opq', 'opq/new']);
});

test('merge: a whiteout never removes what the same layer wrote', async () => {
  const target = fs.mkdtempSync(path.join(tmp, 'same-layer-'));
  const tar = rawTar([
    { name: 'f', body: 'mine' },
    { name: '.wh.f', body: '' },
    { name: 'd/', type: 'directory' },
    { name: 'd/x', body: 'x' },
    { name: 'd/.wh..wh..opq', body: '' },
  ]);
  await applyLayer(Readable.from([tar]), target, { mode: 'merge' });
  assert.equal(fs.readFileSync(path.join(target, 'f'), 'utf8'), 'mine');
  assert.equal(fs.readFileSync(path.join(target, 'd/x'), 'utf8'), 'x');
});

test('merge: changeset over existing paths (file over dir, dir over file, symlink over file, dir over dir)', async () => {
  const target = fs.mkdtempSync(path.join(tmp, 'replace-'));
  await applyLayer(
    Readable.from([
      rawTar([
        { name: 'was-dir/', type: 'directory' },
        { name: 'was-dir/child', body: 'c' },
        { name: 'was-file', body: 'f' },
        { name: 'link-me', body: 'f' },
        { name: 'stays/', type: 'directory', mode: 0o700 },
        { name: 'stays/child', body: 'c' },
      ]),
    ]),
    target,
    { mode: 'merge' },
  );
  await applyLayer(
    Readable.from([
      rawTar([
        { name: 'was-dir', body: 'now a file' },
        { name: 'was-file/', type: 'directory' },
        { name: 'was-file/inside', body: 'i' },
        { name: 'link-me', type: 'symlink', linkname: 'was-dir' },
        { name: 'stays/', type: 'directory', mode: 0o755, uid: 7 },
      ]),
    ]),
    target,
    { mode: 'merge' },
  );
  assert.equal(fs.readFileSync(path.join(target, 'was-dir'), 'utf8'), 'now a file');
  assert.equal(fs.readFileSync(path.join(target, 'was-file/inside'), 'utf8'), 'i');
  assert.equal(fs.readlinkSync(path.join(target, 'link-me')), 'was-dir');
  const stays = fs.statSync(path.join(target, 'stays'));
  assert.equal(stays.mode & 0o7777, 0o755);
  assert.equal(stays.uid, 7);
  assert.equal(fs.readFileSync(path.join(target, 'stays/child'), 'utf8'), 'c');
});

test('overlay-lower: whiteouts become 0/0 char devices and opaque dirs an xattr, honoured by a real overlay mount', async () => {
  const l1 = fs.mkdtempSync(path.join(tmp, 'l1-'));
  const l2 = fs.mkdtempSync(path.join(tmp, 'l2-'));
  await applyLayer(Readable.from([lower]), l1, { mode: 'overlay-lower' });
  await applyLayer(Readable.from([upper]), l2, { mode: 'overlay-lower' });
  const wh = fs.lstatSync(path.join(l2, 'etc/gone'));
  assert.ok(wh.isCharacterDevice());
  assert.equal(wh.rdev, 0);
  assert.deepEqual(sys.lgetxattr(path.join(l2, 'opq'), 'trusted.overlay.opaque'), Buffer.from('y'));
  const mnt = fs.mkdtempSync(path.join(tmp, 'mnt-'));
  const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
  sys.mount('overlay', mnt, 'overlay', sys.MS_RDONLY, `lowerdir=${l2}:${l1}:${empty}`);
  try {
    assert.deepEqual(fs.readdirSync(path.join(mnt, 'etc')), ['keep']);
    assert.deepEqual(fs.readdirSync(path.join(mnt, 'opq')), ['new']);
    assert.equal(fs.existsSync(path.join(mnt, 'etc/gone')), false);
  } finally {
    sys.umount2(mnt, sys.MNT_DETACH);
  }
});

test('overlay-lower: trusted.overlay.* xattrs inside a tar are not applied', async () => {
  const target = fs.mkdtempSync(path.join(tmp, 'forged-'));
  const tar = rawTar([{ name: 'd/', type: 'directory', xattrs: { 'trusted.overlay.opaque': 'y', 'user.ok': '1' } }]);
  await applyLayer(Readable.from([tar]), target, { mode: 'overlay-lower' });
  assert.equal(sys.lgetxattr(path.join(target, 'd'), 'trusted.overlay.opaque'), undefined);
  assert.deepEqual(sys.lgetxattr(path.join(target, 'd'), 'user.ok'), Buffer.from('1'));
});

test('parents the tar never listed are created; the root entry sets the root metadata', async () => {
  const target = fs.mkdtempSync(path.join(tmp, 'parents-'));
  const tar = rawTar([
    { name: './', type: 'directory', mode: 0o711 },
    { name: 'a/b/c/file', body: 'deep' },
  ]);
  await applyLayer(Readable.from([tar]), target, { mode: 'overlay-lower' });
  assert.equal(fs.readFileSync(path.join(target, 'a/b/c/file'), 'utf8'), 'deep');
  assert.equal(fs.statSync(target).mode & 0o777, 0o711);
});

test('an aborted apply stops with kind aborted', async () => {
  const target = fs.mkdtempSync(path.join(tmp, 'abort-'));
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    applyLayer(Readable.from([rawTar([{ name: 'f', body: 'x' }])]), target, { mode: 'merge', signal: controller.signal }),
    { kind: 'aborted' },
  );
});

test('many small files across more directories than the fd cache holds, interleaved, land intact', async () => {
  const entries = [];
  for (let round = 0; round < 3; round++) {
    for (let d = 0; d < 150; d++) entries.push({ name: `d${d}/f${round}`, body: `${d}:${round}`, mode: 0o600 + round });
  }
  entries.push({ name: 'd7/f1', body: 'replaced in the same layer' });
  const target = fs.mkdtempSync(path.join(tmp, 'many-'));
  await applyLayer(Readable.from([rawTar(entries)]), target, { mode: 'overlay-lower' });
  for (let d = 0; d < 150; d++) {
    for (let round = 0; round < 3; round++) {
      const file = path.join(target, `d${d}/f${round}`);
      if (d === 7 && round === 1) continue;
      assert.equal(fs.readFileSync(file, 'utf8'), `${d}:${round}`);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600 + round);
    }
  }
  assert.equal(fs.readFileSync(path.join(target, 'd7/f1'), 'utf8'), 'replaced in the same layer');
  // Every fd the apply opened is closed again.
  const open = fs.readdirSync('/proc/self/fd').map((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return '';
    }
  });
  assert.equal(open.filter((p) => p.startsWith(target)).length, 0);
});
