import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanEntryName, splitParent, whiteoutTarget } from './names.js';

test('entry names become clean relative paths', () => {
  assert.equal(cleanEntryName('./usr/bin/'), 'usr/bin');
  assert.equal(cleanEntryName('/etc/passwd'), 'etc/passwd');
  assert.equal(cleanEntryName('//a//./b/'), 'a/b');
  assert.equal(cleanEntryName('a/../b'), 'b');
  assert.equal(cleanEntryName('./'), '');
  assert.equal(cleanEntryName('/'), '');
});

test('names climbing above the root are refused', () => {
  assert.throws(() => cleanEntryName('../x'), { kind: 'invalid-argument', message: /points outside the root/ });
  assert.throws(() => cleanEntryName('a/../../x'), { kind: 'invalid-argument' });
  assert.throws(() => cleanEntryName('/..'), { kind: 'invalid-argument' });
});

test('NUL bytes and deep nesting are refused', () => {
  assert.throws(() => cleanEntryName('a\0b'), { kind: 'invalid-argument', message: /NUL/ });
  assert.throws(() => cleanEntryName('a/'.repeat(9) + 'f', 8), { kind: 'invalid-argument', message: /limit of 8/ });
});

test('whiteout targets are single real names', () => {
  assert.equal(whiteoutTarget('.wh.passwd', 'etc/.wh.passwd'), 'passwd');
  for (const bad of ['.wh.', '.wh..', '.wh...', '.wh..wh.x']) {
    assert.throws(() => whiteoutTarget(bad, bad), { kind: 'invalid-argument' });
  }
  assert.deepEqual(splitParent('a/b/c'), ['a/b', 'c']);
  assert.deepEqual(splitParent('c'), ['', 'c']);
});
