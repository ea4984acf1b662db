import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullString, registriesConfigFromText } from '../../reference/index.js';
import { parseCreds, pullCandidates } from './remote.js';

const names = (input: string, conf: string) => pullCandidates(input, registriesConfigFromText(conf)).map((c) => fullString(c.reference));

test('short names: docker.io when registries.conf defines no search registry and no alias', () => {
  assert.deepEqual(names('busybox', ''), ['docker.io/library/busybox:latest']);
  assert.deepEqual(names('me/app:1', ''), ['docker.io/me/app:1']);
});

test('short names: the search registries in order, and aliases first', () => {
  const conf = 'unqualified-search-registries = ["quay.io", "example.com"]\n[aliases]\n"pinned" = "example.com/x/pinned"\n';
  assert.deepEqual(names('busybox', conf), ['quay.io/busybox:latest', 'example.com/busybox:latest']);
  assert.deepEqual(names('pinned:2', conf), ['example.com/x/pinned:2']);
  assert.deepEqual(names('pinned:2', '[aliases]\n"pinned" = "example.com/x/pinned"\n'), ['example.com/x/pinned:2']);
});

test('fully qualified names are taken as they are; blocked ones are refused naming the rule', () => {
  assert.deepEqual(names('localhost:5000/a/b:c', 'unqualified-search-registries = ["quay.io"]'), ['localhost:5000/a/b:c']);
  assert.throws(() => names('bad.example/x:1', '[[registry]]\nlocation = "bad.example"\nblocked = true\n'), /blocked/);
});

test('--creds splits at the first colon', () => {
  assert.deepEqual(parseCreds('u:p:q'), { username: 'u', password: 'p:q' });
  assert.throws(() => parseCreds('nopassword'), /USERNAME:PASSWORD/);
});
