import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGoBool } from './go-bool.js';

test("Go's ParseBool words, and nothing else", () => {
  for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(t), true, t);
  for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(f), false, f);
  for (const bad of ['', 'yes', 'tRUE', ' true', 'on', '2']) assert.equal(parseGoBool(bad), undefined, bad);
});
