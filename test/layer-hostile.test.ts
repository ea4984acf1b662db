// Hostile layers: every trick a tar can play to write outside the target. Each case checks
// the outcome (a clear error, or a write confined to the target) and that the sentinel
// directory outside the target is exactly as it was.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { type ApplyOptions, applyLayer, applyLayerInWorker } from '../src/layer/index.js';
import { makeSentinel, type RawEntry, rawTar } from './layer-fixtures.js';

let tmp: string;
let sentinel: ReturnType<typeof makeSentinel>;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-layer-hostile-'));
  sentinel = makeSentinel(tmp);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** layer-hostile-worker.test.ts runs every case again through the store's default, the layer threads. */
const applier = process.env.BERTH_TEST_APPLY_IN_WORKER === '1' ? applyLayerInWorker : applyLayer;

async function apply(entries: RawEntry[], options: Partial<ApplyOptions> = {}, target?: string) {
  const dir = target ?? fs.mkdtempSync(path.join(tmp, 'target-'));
  await applier(Readable.from([rawTar(entries)]), dir, { mode: 'merge', ...options });
  return dir;
}

async function refused(entries: RawEntry[], kind: string, pattern: RegExp, options: Partial<ApplyOptions> = {}) {
  await assert.rejects(apply(entries, options), (err: Error & { kind?: string }) => {
    assert.equal(err.kind, kind, err.message);
    assert.match(err.message, pattern);
    return true;
  });
  assert.ok(sentinel.untouched(), 'the sentinel outside the target changed');
}

test('a ../ name is refused', async () => {
  const rel = path.relative(path.join(tmp, 'target-x'), path.join(sentinel.dir, 'file'));
  await refused([{ name: `../${rel}`, body: 'pwned' }], 'invalid-argument', /points outside the root/);
  await refused([{ name: `a/../../${rel}`, body: 'pwned' }], 'invalid-argument', /points outside the root/);
});

test('an absolute name lands inside the target', async () => {
  const target = await apply([{ name: `${sentinel.dir}/file`, body: 'pwned' }]);
  assert.equal(fs.readFileSync(path.join(target, sentinel.dir, 'file'), 'utf8'), 'pwned');
  assert.ok(sentinel.untouched());
});

/** Directory entries that make the sentinel's path exist inside the target too. */
function insideCopy(): RawEntry[] {
  return [{ name: `${sentinel.dir}/`, type: 'directory' }];
}

test('a symlink planted earlier in the same tar is resolved inside the target', async () => {
  const target = await apply([
    ...insideCopy(),
    { name: 'a', type: 'symlink', linkname: sentinel.dir },
    { name: 'a/file', body: 'pwned' },
    { name: 'a/new', body: 'pwned' },
  ]);
  assert.equal(fs.readFileSync(path.join(target, sentinel.dir, 'new'), 'utf8'), 'pwned');
  assert.ok(sentinel.untouched());
});

test('a relative symlink climbing out is clamped at the target root', async () => {
  const target = await apply([
    ...insideCopy(),
    { name: 'a', type: 'symlink', linkname: `../../../../../../..${sentinel.dir}` },
    { name: 'a/file', body: 'pwned' },
  ]);
  assert.equal(fs.readFileSync(path.join(target, sentinel.dir, 'file'), 'utf8'), 'pwned');
  assert.ok(sentinel.untouched());
});

test('a symlink to a directory missing inside the target fails the entry', async () => {
  await refused(
    [
      { name: 'a', type: 'symlink', linkname: sentinel.dir },
      { name: 'a/new', body: 'pwned' },
    ],
    'not-found',
    /: not a directory/,
  );
});

test('a chain of symlinks stays inside the target', async () => {
  const target = await apply([
    ...insideCopy(),
    { name: 'one', type: 'symlink', linkname: 'two' },
    { name: 'two', type: 'symlink', linkname: '/three' },
    { name: 'three', type: 'symlink', linkname: `..${sentinel.dir}` },
    { name: 'one/file', body: 'pwned' },
  ]);
  assert.equal(fs.readFileSync(path.join(target, sentinel.dir, 'file'), 'utf8'), 'pwned');
  assert.ok(sentinel.untouched());
});

test('a file over a symlink to outside replaces the symlink, not its target', async () => {
  const target = await apply([
    { name: 'evil', type: 'symlink', linkname: path.join(sentinel.dir, 'file') },
    { name: 'evil', body: 'pwned', mode: 0o777 },
  ]);
  assert.equal(fs.lstatSync(path.join(target, 'evil')).isFile(), true);
  assert.ok(sentinel.untouched());
});

test('metadata of a symlink to outside changes the link itself', async () => {
  await apply([
    { name: 'evil', type: 'symlink', linkname: path.join(sentinel.dir, 'file'), uid: 4242, mtime: 1 },
    { name: 'evil-dir', type: 'symlink', linkname: sentinel.dir, uid: 4242 },
    { name: 'evil-dir/', type: 'directory', mode: 0o777, uid: 4242 },
  ]).catch(() => {});
  assert.ok(sentinel.untouched());
});

test('a hardlink pointing outside is refused', async () => {
  const rel = path.relative(path.join(tmp, 'target-x'), path.join(sentinel.dir, 'file'));
  await refused([{ name: 'h', type: 'hardlink', linkname: `../${rel}` }], 'invalid-argument', /points outside the root/);
});

test('a hardlink through an absolute path links inside the target or fails', async () => {
  await refused([{ name: 'h', type: 'hardlink', linkname: path.join(sentinel.dir, 'file') }], 'not-found', /openat2 \S+: no such file or directory/);
});

test('a hardlink to a symlink to outside links the symlink itself; writing over it stays inside', async () => {
  const target = await apply([
    { name: 's', type: 'symlink', linkname: path.join(sentinel.dir, 'file') },
    { name: 'h', type: 'hardlink', linkname: 's' },
    { name: 'h', body: 'pwned' },
  ]);
  assert.equal(fs.readlinkSync(path.join(target, 's')), path.join(sentinel.dir, 'file'));
  assert.equal(fs.readFileSync(path.join(target, 'h'), 'utf8'), 'pwned');
  assert.ok(sentinel.untouched());
});

test('a hardlink through a symlinked directory resolves inside the target', async () => {
  await refused(
    [
      { name: 'd', type: 'symlink', linkname: sentinel.dir },
      { name: 'h', type: 'hardlink', linkname: 'd/file' },
    ],
    'not-found',
    /openat2 d: no such file or directory/,
  );
});

test('a whiteout naming .. (.wh...) is refused', async () => {
  await refused([{ name: 'a/.wh...', body: '' }], 'invalid-argument', /names no removable file/);
});

test('a whiteout naming . or nothing is refused', async () => {
  await refused([{ name: '.wh..', body: '' }], 'invalid-argument', /names no removable file/);
  await refused([{ name: '.wh.', body: '' }], 'invalid-argument', /names no removable file/);
});

test('a whiteout or opaque marker behind a symlink to outside deletes nothing outside', async () => {
  const target = fs.mkdtempSync(path.join(tmp, 'target-'));
  fs.symlinkSync(sentinel.dir, path.join(target, 'link'));
  await apply([{ name: 'link/.wh.file', body: '' }], {}, target);
  await apply([{ name: 'link/.wh..wh..opq', body: '' }], {}, target);
  await assert.rejects(apply([{ name: 'link/.wh.file', body: '' }], { mode: 'overlay-lower' }, target), /: not a directory/);
  assert.ok(sentinel.untouched());
});

test('a root entry ./ that is a symlink is refused', async () => {
  await refused([{ name: './', type: 'symlink', linkname: sentinel.dir }], 'invalid-argument', /root entry is a symlink/);
});

test('a file replacing the root is refused', async () => {
  await refused([{ name: '.', body: 'file over the root' }], 'invalid-argument', /root entry is a file/);
  await refused([{ name: '/', type: 'hardlink', linkname: 'x' }], 'invalid-argument', /root entry is a hardlink/);
});

test('a directory entry over a symlink to outside replaces the symlink', async () => {
  const target = await apply([
    { name: 'd', type: 'symlink', linkname: sentinel.dir },
    { name: 'd/', type: 'directory', mode: 0o777 },
    { name: 'd/file', body: 'pwned' },
  ]);
  assert.ok(fs.lstatSync(path.join(target, 'd')).isDirectory());
  assert.ok(sentinel.untouched());
});

test('merge onto a tree whose lower layer has an absolute symlink stays inside', async () => {
  const target = fs.mkdtempSync(path.join(tmp, 'target-'));
  fs.symlinkSync(sentinel.dir, path.join(target, 'lib'));
  fs.mkdirSync(path.join(target, sentinel.dir), { recursive: true });
  await apply([{ name: 'lib/file', body: 'pwned' }], {}, target);
  assert.equal(fs.readFileSync(path.join(target, sentinel.dir, 'file'), 'utf8'), 'pwned');
  assert.ok(sentinel.untouched());
});

test('nesting deeper than the limit is refused', async () => {
  await refused([{ name: `${'d/'.repeat(40)}f`, body: 'x' }], 'invalid-argument', /over the limit of 32/, { maxDepth: 32 });
});

test('more entries than the cap is refused with resource-exhausted', async () => {
  const entries = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, body: '' }));
  await refused(entries, 'resource-exhausted', /more than 10 entries/, { maxEntries: 10 });
});

test('a huge declared size is refused before any body is read', async () => {
  await refused([{ name: 'bomb', body: '', size: 2 ** 40 }], 'resource-exhausted', /over the limit/, { maxEntrySize: 1 << 30 });
});
