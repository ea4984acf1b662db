import assert from 'node:assert/strict';
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
