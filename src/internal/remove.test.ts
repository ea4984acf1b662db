import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { removeTree } from './remove.js';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-remove-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('removeTree removes a tree of dirs, files, dangling links and empty dirs', () => {
  const t = path.join(dir, 'tree');
  fs.mkdirSync(path.join(t, 'a/b/c'), { recursive: true });
  fs.mkdirSync(path.join(t, 'empty/work'), { recursive: true });
  fs.writeFileSync(path.join(t, 'meta.json'), '{}');
  fs.writeFileSync(path.join(t, 'a/b/c/f'), 'x');
  fs.writeFileSync(path.join(t, 'a/g'), 'y');
  fs.chmodSync(path.join(t, 'a/g'), 0);
  fs.symlinkSync('nowhere', path.join(t, 'a/dangling'));
  removeTree(t);
  assert.equal(fs.existsSync(t), false);
});

test('removeTree removes a symlink, not what it points to, at the top and inside', () => {
  const keep = path.join(dir, 'keep');
  fs.mkdirSync(keep);
  fs.writeFileSync(path.join(keep, 'precious'), 'z');
  const t = path.join(dir, 'links');
  fs.mkdirSync(t);
  fs.symlinkSync(keep, path.join(t, 'to-dir'));
  removeTree(t);
  assert.equal(fs.existsSync(t), false);
  const top = path.join(dir, 'top-link');
  fs.symlinkSync(keep, top);
  removeTree(top);
  assert.equal(fs.existsSync(top), false);
  assert.equal(fs.readFileSync(path.join(keep, 'precious'), 'utf8'), 'z');
});

test('removeTree takes a missing target and a plain file', () => {
  removeTree(path.join(dir, 'missing'));
  const f = path.join(dir, 'file');
  fs.writeFileSync(f, '');
  removeTree(f);
  assert.equal(fs.existsSync(f), false);
});

test('removeTree removes a tree deeper than the addon walks (the JS walk takes over), and special files', () => {
  const t = path.join(dir, 'deep');
  // 300 levels: past the addon's 256.
  fs.mkdirSync(t);
  let cur = t;
  for (let i = 0; i < 300; i++) {
    cur = path.join(cur, 'd');
    fs.mkdirSync(cur);
  }
  fs.writeFileSync(path.join(cur, 'leaf'), 'x');
  const fifo = path.join(t, 'fifo');
  execFileSync('mkfifo', [fifo]);
  removeTree(t);
  assert.equal(fs.existsSync(t), false);
});

test('removeTree reports what it cannot remove, and leaves the rest where it failed', () => {
  // A directory whose entries cannot be listed (no read permission) cannot be emptied; root
  // ignores permission bits, so an immutable file stands in (chattr +i), where chattr works.
  const t = path.join(dir, 'stuck');
  fs.mkdirSync(t);
  const f = path.join(t, 'immutable');
  fs.writeFileSync(f, 'x');
  if (spawnSync('chattr', ['+i', f]).status !== 0) return;
  try {
    assert.throws(() => removeTree(t), (err: NodeJS.ErrnoException) => err.code === 'EPERM' && /removeTree/.test(err.message));
    assert.equal(fs.readFileSync(f, 'utf8'), 'x');
  } finally {
    spawnSync('chattr', ['-i', f]);
  }
  removeTree(t);
  assert.equal(fs.existsSync(t), false);
});
