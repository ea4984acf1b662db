import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccessPolicy } from './access.js';
import { parseScopes } from './auth.js';
import { parseRange } from './blobs.js';
import { configFromObject, defaultConfig, parseDuration, parseListen } from './config.js';
import { checkName, checkReference, checkTag } from './names.js';

test('config: defaults serve with no file; a YAML document overrides field by field', () => {
  const d = configFromObject(null);
  assert.equal(d.listen, '127.0.0.1:5000');
  assert.equal(d.auth.htpasswd, undefined);
  const c = configFromObject({
    listen: ':5001',
    root: '/srv/reg',
    tls: { certificate: 'c.pem', key: 'k.pem' },
    log: { access: 'off' },
    auth: { htpasswd: { path: '/etc/htpasswd' }, token: { service: 's', expiration: '5m' }, access: [{ namespace: 'pub', anonymous: ['pull'], users: { '*': ['pull', 'push'] } }] },
    storage: { delete: false, linkCache: '0s', direct: true },
    uploads: { maxAge: '2h' },
    shutdownTimeout: 5,
  });
  assert.equal(c.root, '/srv/reg');
  assert.deepEqual(c.tls, { certificate: 'c.pem', key: 'k.pem' });
  assert.equal(c.accessLog, 'off');
  assert.equal(c.auth.token?.expirationSeconds, 300);
  assert.equal(c.auth.htpasswd?.realm, 'berth-registry');
  assert.equal(c.deleteEnabled, false);
  assert.equal(c.linkCacheMs, 0);
  assert.equal(c.uploadMaxAgeMs, 7_200_000);
  assert.equal(c.shutdownTimeoutMs, 5000);
  assert.deepEqual(parseListen(c.listen), { host: '0.0.0.0', port: 5001 });
  assert.deepEqual(parseListen('[::1]:80'), { host: '::1', port: 80 });
  assert.equal(defaultConfig().durable, true);
  assert.equal(defaultConfig().direct, false);
  assert.equal(c.direct, true);
});

test('config: wrong fields fail with the field named', () => {
  const bad: [unknown, RegExp][] = [
    [[1], /must be a mapping/],
    [{ tls: { certificate: 'x' } }, /tls: needs both/],
    [{ auth: { access: [{ namespace: 'a', anonymous: ['fly'] }] } }, /auth\.access\[0\]\.anonymous/],
    [{ uploads: { maxAge: 'soon' } }, /uploads\.maxAge/],
    [{ driver: 's3' }, /driver/],
    [{ listen: 5000 }, /listen: want a string/],
  ];
  for (const [doc, re] of bad) assert.throws(() => configFromObject(doc), (e: Error & { kind?: string }) => e.kind === 'invalid-argument' && re.test(e.message), String(re));
  assert.throws(() => parseListen('nohost'), /invalid listen address/);
  assert.equal(parseDuration('500ms', 'x'), 500);
});

test('names and tags follow the distribution-spec grammar', () => {
  for (const ok of ['a', 'library/busybox', 'a.b_c__d--e/f', 'x/y/z', '0']) assert.equal(checkName(ok), ok);
  for (const bad of ['', 'A', 'a/', '/a', 'a//b', 'a/../b', '..', 'a_', '_a', 'a___b', 'a/_layers', 'a b', 'a:b', 'x'.repeat(256)]) {
    assert.throws(() => checkName(bad), (e: { code?: string }) => e.code === 'NAME_INVALID', bad);
  }
  assert.equal(checkTag('v1.0_rc-2'), 'v1.0_rc-2');
  for (const bad of ['', '.x', '-x', 'a'.repeat(129), 'a/b']) assert.throws(() => checkTag(bad), bad);
  assert.deepEqual(checkReference('latest'), { tag: 'latest' });
  assert.throws(() => checkReference('sha256:zz'), (e: { code?: string }) => e.code === 'DIGEST_INVALID');
});

test('Range headers: single ranges, suffixes, and unsatisfiable ones', () => {
  assert.equal(parseRange(undefined, 10), undefined);
  assert.deepEqual(parseRange('bytes=0-4', 10), [0, 4]);
  assert.deepEqual(parseRange('bytes=5-', 10), [5, 9]);
  assert.deepEqual(parseRange('bytes=-3', 10), [7, 9]);
  assert.deepEqual(parseRange('bytes=8-100', 10), [8, 9]);
  assert.equal(parseRange('bytes=10-', 10), 'invalid');
  assert.equal(parseRange('bytes=5-2', 10), 'invalid');
  assert.equal(parseRange('items=0-1', 10), 'invalid');
});

test('scopes parse as the token spec writes them; policies match namespaces by prefix', () => {
  assert.deepEqual(parseScopes('repository:a/b:pull,push registry:catalog:*'), [
    { type: 'repository', name: 'a/b', actions: ['pull', 'push'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ]);
  assert.deepEqual(parseScopes('junk repository:x'), []);
  const p = new AccessPolicy([
    { namespace: '', users: { '*': ['pull'] } },
    { namespace: 'team', anonymous: ['pull'], users: { alice: ['*'] } },
  ]);
  assert.deepEqual([...p.allowed('alice', 'team/app')].sort(), ['delete', 'pull', 'push']);
  assert.deepEqual([...p.allowed('alice', 'teamster/app')], ['pull']);
  assert.deepEqual([...p.allowed(undefined, 'team')], ['pull']);
  assert.deepEqual([...p.allowed(undefined, 'other')], []);
  assert.deepEqual([...new AccessPolicy().allowed('anyone', 'x')].sort(), ['delete', 'pull', 'push']);
  assert.deepEqual([...new AccessPolicy().allowed(undefined, 'x')], []);
});
