import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { BerthError } from './errors.js';

test("a wrapped system error is said in Go's words, as docker's users read them", () => {
  let err: unknown;
  try {
    fs.lstatSync('/no/such/path');
  } catch (e) {
    err = e;
  }
  const wrapped = BerthError.wrap(err, 'cannot copy /no/such/path');
  assert.equal(wrapped.message, 'cannot copy /no/such/path: lstat /no/such/path: no such file or directory');
  assert.equal(wrapped.kind, 'not-found');
  try {
    fs.renameSync('/no/such/a', '/no/such/b');
  } catch (e) {
    err = e;
  }
  assert.equal(BerthError.wrap(err, 'x').message, 'x: rename /no/such/a /no/such/b: no such file or directory');
  // Anything else keeps its own words.
  assert.equal(BerthError.wrap(new Error('plain'), 'x').message, 'x: plain');
  assert.equal(BerthError.wrap('text', 'x').message, 'x: text');
});
