import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceFormatError } from './commit.js';

// Each as docker 28's client said it for `docker commit C REF`.
test("commit's reference errors in docker's client's words", () => {
  assert.equal(referenceFormatError('Bad/Name'), 'invalid reference format: repository name (Name) must be lowercase');
  assert.equal(referenceFormatError('Up'), 'invalid reference format: repository name (library/Up) must be lowercase');
  assert.equal(referenceFormatError('me/Up:tag'), 'invalid reference format: repository name (me/Up) must be lowercase');
  assert.equal(referenceFormatError('x:y:z'), 'invalid reference format');
  assert.equal(referenceFormatError('-x'), 'invalid reference format');
});
