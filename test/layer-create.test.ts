// Layer creation end to end: a tree -> layer -> apply gives the identical tree, the same
// tree always gives the same bytes, GNU tar reads our layers, overlay uppers and vfs
// diffs turn into layers that reproduce the changed tree.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import * as sys from '../src/internal/sys.js';
import {
  applyLayer,
  createLayerFromDirectory,
  createLayerFromOverlayUpper,
  diffDirectories,
  type LayerBlob,
  type LayerDigests,
} from '../src/layer/index.js';
import { snapshotTree } from './layer-fixtures.js';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-layer-create-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function makeTree(root: string): void {
  fs.mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  fs.mkdirSync(path.join(root, 'dev'));
  fs.mkdirSync(path.join(root, 'tmp'), { mode: 0o777 });
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.writeFileSync(path.join(root, 'usr/bin/su'), 'su');
  fs.chownSync(path.join(root, 'usr/bin/su'), 0, 42);
  fs.chmodSync(path.join(root, 'usr/bin/su'), 0o4755);
  fs.writeFileSync(path.join(root, 'usr/bin/ping'), 'ping');
  sys.lsetxattr(path.join(root, 'usr/bin/ping'), 'security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex'));
  sys.lsetxattr(path.join(root, 'usr/bin/ping'), 'user.mime', Buffer.from('x'));
  fs.linkSync(path.join(root, 'usr/bin/su'), path.join(root, 'usr/bin/su2'));
  fs.symlinkSync('su', path.join(root, 'usr/bin/sudo'));
  sys.mknod(path.join(root, 'dev/null'), sys.S_IFCHR | 0o666, 1, 3);
  sys.mknod(path.join(root, 'dev/sda'), sys.S_IFBLK | 0o660, 8, 0);
  sys.mknod(path.join(root, 'dev/fifo'), sys.S_IFIFO | 0o600, 0, 0);
  fs.writeFileSync(path.join(root, 'big.bin'), Buffer.alloc(2 * 1024 * 1024 + 3, 1));
  fs.writeFileSync(path.join(root, `${'long-'.repeat(30)}name`), 'long');
  fs.writeFileSync(path.join(root, 'zé-ünïcode'), 'u');
  const t = new Date('2020-01-01T00:00:00Z');
  for (const p of ['usr/bin/su', 'usr/bin', 'big.bin']) fs.utimesSync(path.join(root, p), t, t);
}

async function collect(blob: LayerBlob): Promise<{ bytes: Buffer; digests: LayerDigests }> {
  const chunks: Buffer[] = [];
  for await (const c of blob.stream) chunks.push(c as Buffer);
  return { bytes: Buffer.concat(chunks), digests: await blob.done };
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('create -> apply reproduces the tree exactly; digests and sizes are right', async () => {
  const src = fs.mkdtempSync(path.join(tmp, 'src-'));
  makeTree(src);
  const { bytes, digests } = await collect(createLayerFromDirectory(src));
  assert.equal(digests.digest, sha(bytes));
  assert.equal(digests.size, bytes.length);
  const out = fs.mkdtempSync(path.join(tmp, 'out-'));
  const applied = await applyLayer(Readable.from([bytes]), out, { mode: 'overlay-lower' });
  assert.equal(applied.diffID, digests.diffID);
  assert.equal(applied.size, digests.diffSize);
  assert.deepEqual(snapshotTree(out, { mtimes: true, dirMtimes: true }), snapshotTree(src, { mtimes: true, dirMtimes: true }));
});

test('the same tree gives the same bytes, whatever the atimes', async () => {
  const src = fs.mkdtempSync(path.join(tmp, 'det-'));
  makeTree(src);
  const a = await collect(createLayerFromDirectory(src));
  fs.readFileSync(path.join(src, 'usr/bin/ping'));
  const b = await collect(createLayerFromDirectory(src));
  assert.equal(a.digests.digest, b.digests.digest);
  assert.ok(a.bytes.equals(b.bytes));
  const c = await collect(createLayerFromDirectory(src, { mtime: 0, compression: 'none' }));
  assert.equal(c.digests.digest, c.digests.diffID);
});

test('GNU tar lists and extracts our layer: hardlink, names, xattrs', async () => {
  const src = fs.mkdtempSync(path.join(tmp, 'gnu-'));
  makeTree(src);
  const file = path.join(tmp, 'ours.tar.gz');
  const blob = createLayerFromDirectory(src);
  await pipeline(blob.stream, fs.createWriteStream(file));
  await blob.done;
  const listing = execFileSync('tar', ['-tvzf', file], { encoding: 'utf8' });
  assert.match(listing, /^hrw.*usr\/bin\/su2 link to usr\/bin\/su$/m);
  const out = fs.mkdtempSync(path.join(tmp, 'gnu-out-'));
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xpzf', file, '-C', out]);
  assert.deepEqual(snapshotTree(out, { mtimes: true }), snapshotTree(src, { mtimes: true }));
});

test('an overlay upper dir becomes a layer that reproduces the merged view', async () => {
  const lowerSrc = fs.mkdtempSync(path.join(tmp, 'lower-src-'));
  fs.mkdirSync(path.join(lowerSrc, 'etc/conf.d'), { recursive: true });
  fs.writeFileSync(path.join(lowerSrc, 'etc/passwd'), 'root');
  fs.writeFileSync(path.join(lowerSrc, 'etc/remove-me'), 'x');
  fs.writeFileSync(path.join(lowerSrc, 'etc/conf.d/old'), 'old');
  fs.mkdirSync(path.join(lowerSrc, 'var/cache'), { recursive: true });
  fs.writeFileSync(path.join(lowerSrc, 'var/cache/a'), 'a');
  const lowerLayer = (await collect(createLayerFromDirectory(lowerSrc))).bytes;
  const lower = fs.mkdtempSync(path.join(tmp, 'lower-'));
  await applyLayer(Readable.from([lowerLayer]), lower, { mode: 'overlay-lower' });

  const upperDir = fs.mkdtempSync(path.join(tmp, 'upper-'));
  const work = fs.mkdtempSync(path.join(tmp, 'work-'));
  const merged = fs.mkdtempSync(path.join(tmp, 'merged-'));
  sys.mount('overlay', merged, 'overlay', 0, `lowerdir=${lower},upperdir=${upperDir},workdir=${work}`);
  let expected: ReturnType<typeof snapshotTree>;
  try {
    fs.rmSync(path.join(merged, 'etc/remove-me'));
    fs.rmSync(path.join(merged, 'etc/conf.d'), { recursive: true }); // dir whiteout ...
    fs.mkdirSync(path.join(merged, 'etc/conf.d')); // ... then recreated: opaque
    fs.writeFileSync(path.join(merged, 'etc/conf.d/new'), 'new');
    fs.appendFileSync(path.join(merged, 'etc/passwd'), '\nuser');
    fs.writeFileSync(path.join(merged, 'var/cache/b'), 'b');
    expected = snapshotTree(merged);
  } finally {
    sys.umount2(merged, sys.MNT_DETACH);
  }
  const diff = await collect(createLayerFromOverlayUpper(upperDir, [lower]));
  const listing = execFileSync('tar', ['-tzf', '-'], { input: diff.bytes, encoding: 'utf8' }).split('\n');
  assert.ok(listing.includes('etc/.wh.remove-me'));
  assert.ok(listing.includes('etc/conf.d/.wh..wh..opq'));

  // Applied (merged) on a fresh copy of the lower layer: the container's view, exactly.
  const result = fs.mkdtempSync(path.join(tmp, 'result-'));
  await applyLayer(Readable.from([lowerLayer]), result, { mode: 'merge' });
  await applyLayer(Readable.from([diff.bytes]), result, { mode: 'merge' });
  assert.deepEqual(snapshotTree(result), expected);
});

test('diffDirectories: a vfs-style copy, changed, gives a layer that turns the parent into it', async () => {
  const parent = fs.mkdtempSync(path.join(tmp, 'parent-'));
  makeTree(parent);
  fs.mkdirSync(path.join(parent, 'gone-dir/sub'), { recursive: true });
  fs.writeFileSync(path.join(parent, 'gone-dir/sub/f'), 'f');
  const child = path.join(tmp, 'child');
  execFileSync('cp', ['-a', '--preserve=all', parent, child]);
  fs.rmSync(path.join(child, 'gone-dir'), { recursive: true });
  fs.rmSync(path.join(child, 'dev/fifo'));
  fs.writeFileSync(path.join(child, 'usr/bin/ping'), 'pong'); // same size, new mtime
  fs.rmSync(path.join(child, 'usr/bin/sudo'));
  fs.symlinkSync('su2', path.join(child, 'usr/bin/sudo'));
  fs.mkdirSync(path.join(child, 'new-dir'));
  fs.writeFileSync(path.join(child, 'new-dir/file'), 'n');
  fs.linkSync(path.join(child, 'new-dir/file'), path.join(child, 'new-dir/file-link'));
  sys.lsetxattr(path.join(child, 'big.bin'), 'user.tag', Buffer.from('v2'));

  const diff = await collect(diffDirectories(parent, child));
  const names = execFileSync('tar', ['-tzf', '-'], { input: diff.bytes, encoding: 'utf8' }).trim().split('\n');
  assert.ok(names.includes('.wh.gone-dir'));
  assert.ok(names.includes('dev/.wh.fifo'));
  assert.ok(!names.includes('usr/bin/su'), `unchanged files are not in the diff: ${names.join(' ')}`);
  assert.ok(!names.some((n) => n.startsWith('gone-dir/')));

  const result = fs.mkdtempSync(path.join(tmp, 'result-'));
  execFileSync('cp', ['-a', '--preserve=all', `${parent}/.`, result]);
  await applyLayer(Readable.from([diff.bytes]), result, { mode: 'merge' });
  assert.deepEqual(snapshotTree(result, { mtimes: true }), snapshotTree(child, { mtimes: true }));
  assert.equal(fs.statSync(path.join(result, 'new-dir/file-link')).ino, fs.statSync(path.join(result, 'new-dir/file')).ino);
});
