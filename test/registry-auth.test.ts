// Who may do what: basic auth over htpasswd (bcrypt), the Docker token flow with berth's
// own token endpoint, access rules per namespace, anonymous pull, mounts needing pull on
// the source, and TLS from the config.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { htpasswdLine } from '../src/registry/server/htpasswd.js';
import { errorCode, makeImage, pushBlob, pushImage, sha256, startRegistry, type TestRegistry } from './registry-helpers.js';

const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

let dir: string;
let htpasswd: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-reg-auth-'));
  htpasswd = path.join(dir, 'htpasswd');
  await fs.writeFile(htpasswd, `${htpasswdLine('alice', 'wonder', 4)}\n${htpasswdLine('bob', 'builder', 4)}\n`);
});
after(() => fs.rm(dir, { recursive: true, force: true }));

const access = [
  { namespace: 'public', anonymous: ['pull'], users: { '*': ['pull'], alice: ['pull', 'push', 'delete'] } },
  { namespace: 'alice', users: { alice: ['*'] } },
  { namespace: 'secret', users: { bob: ['pull', 'push'] } },
];

describe('basic auth over htpasswd', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry({ auth: { htpasswd: { path: htpasswd, realm: 'test-realm' }, access } });
  });
  after(() => reg.close());

  test('/v2/ without credentials is 401 with a Basic challenge; wrong ones 401; right ones 200', async () => {
    const none = await fetch(`${reg.url}/v2/`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Basic realm="test-realm"');
    assert.equal(await errorCode(none), 'UNAUTHORIZED');
    assert.equal((await fetch(`${reg.url}/v2/`, { headers: basic('alice', 'nope') })).status, 401);
    assert.equal((await fetch(`${reg.url}/v2/`, { headers: basic('mallory', 'wonder') })).status, 401);
    assert.equal((await fetch(`${reg.url}/v2/`, { headers: basic('alice', 'wonder') })).status, 200);
  });

  test('push needs the push right on the namespace; anonymous pull works in a public namespace only', async () => {
    const img = makeImage(1);
    assert.equal((await pushImage(reg.url, 'public/app', 'v1', img, basic('alice', 'wonder'))).status, 201);
    const anon = await fetch(`${reg.url}/v2/public/app/manifests/v1`);
    assert.equal(anon.status, 200);
    const anonPush = await fetch(`${reg.url}/v2/public/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(anonPush.status, 401);
    const bobPush = await fetch(`${reg.url}/v2/public/app/blobs/uploads/`, { method: 'POST', headers: basic('bob', 'builder') });
    assert.equal(bobPush.status, 403);
    assert.equal(await errorCode(bobPush), 'DENIED');
    assert.equal((await fetch(`${reg.url}/v2/public/app/manifests/v1`, { headers: basic('bob', 'builder') })).status, 200);
    assert.equal((await fetch(`${reg.url}/v2/public/app/manifests/v1`, { method: 'DELETE', headers: basic('bob', 'builder') })).status, 403);
    assert.equal((await fetch(`${reg.url}/v2/secret/x/tags/list`)).status, 401);
    assert.equal((await fetch(`${reg.url}/v2/secret/x/tags/list`, { headers: basic('alice', 'wonder') })).status, 403);
    assert.equal((await fetch(`${reg.url}/v2/unlisted/x/tags/list`, { headers: basic('alice', 'wonder') })).status, 403);
  });

  test('a mount from a repository the caller cannot pull falls back to an upload', async () => {
    const d = await pushBlob(reg.url, 'secret/src', 'bob only', basic('bob', 'builder'));
    const r = await fetch(`${reg.url}/v2/alice/dst/blobs/uploads/?mount=${d}&from=secret/src`, { method: 'POST', headers: basic('alice', 'wonder') });
    assert.equal(r.status, 202);
    assert.equal((await fetch(`${reg.url}/v2/alice/dst/blobs/${d}`, { method: 'HEAD', headers: basic('alice', 'wonder') })).status, 404);
    const d2 = await pushBlob(reg.url, 'public/src', 'readable', basic('alice', 'wonder'));
    const ok = await fetch(`${reg.url}/v2/alice/dst/blobs/uploads/?mount=${d2}&from=public/src`, { method: 'POST', headers: basic('alice', 'wonder') });
    assert.equal(ok.status, 201);
  });
});

interface TokenReply {
  token: string;
  access_token: string;
  expires_in: number;
}

describe('the Docker token flow', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry({ auth: { htpasswd: { path: htpasswd }, token: { service: 'berth-test', issuer: 'berth-test-issuer', expiration: '60s' }, access } });
  });
  after(() => reg.close());

  const token = async (scope: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${reg.url}/token?service=berth-test&scope=${encodeURIComponent(scope)}`, { headers });
    assert.equal(r.status, 200);
    return (await r.json()) as TokenReply;
  };
  const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

  test('/v2/ challenges with realm and service; a token from the endpoint opens it', async () => {
    const r = await fetch(`${reg.url}/v2/`);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), `Bearer realm="${reg.url}/token",service="berth-test"`);
    const t = await token('', basic('alice', 'wonder'));
    assert.ok(t.expires_in > 0 && t.token === t.access_token);
    assert.equal((await fetch(`${reg.url}/v2/`, { headers: bearer(t.token) })).status, 200);
  });

  test('a repository request challenges with its scope; the token grants only what the rules allow', async () => {
    const r = await fetch(`${reg.url}/v2/alice/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), `Bearer realm="${reg.url}/token",service="berth-test",scope="repository:alice/app:pull,push"`);
    const t = await token('repository:alice/app:pull,push', basic('alice', 'wonder'));
    const img = makeImage(1);
    assert.equal((await pushImage(reg.url, 'alice/app', 'v1', img, bearer(t.token))).status, 201);
    const bobs = await token('repository:alice/app:pull,push', basic('bob', 'builder'));
    const denied = await fetch(`${reg.url}/v2/alice/app/manifests/v1`, { headers: bearer(bobs.token) });
    assert.equal(denied.status, 401);
    assert.match(denied.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
  });

  test('wrong credentials at the token endpoint are 401; anonymous tokens carry anonymous rights', async () => {
    const bad = await fetch(`${reg.url}/token?service=berth-test&scope=repository:public/x:pull`, { headers: basic('alice', 'bad') });
    assert.equal(bad.status, 401);
    const img = makeImage(1);
    const alice = await token('repository:public/x:pull,push', basic('alice', 'wonder'));
    await pushImage(reg.url, 'public/x', 'v1', img, bearer(alice.token));
    const anon = await token('repository:public/x:pull,push');
    assert.equal((await fetch(`${reg.url}/v2/public/x/manifests/v1`, { headers: bearer(anon.token) })).status, 200);
    assert.equal((await fetch(`${reg.url}/v2/public/x/blobs/uploads/`, { method: 'POST', headers: bearer(anon.token) })).status, 401);
    assert.equal((await fetch(`${reg.url}/v2/public/x/manifests/v1`)).status, 200, 'no token at all: anonymous pull still works');
  });

  test('tampered, foreign and expired tokens are refused', async () => {
    const t = await token('repository:alice/app:pull', basic('alice', 'wonder'));
    const [h, p, s] = t.token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.access = [{ type: 'repository', name: 'secret/x', actions: ['pull', 'push'] }];
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    const r = await fetch(`${reg.url}/v2/secret/x/tags/list`, { headers: bearer(forged) });
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.equal((await fetch(`${reg.url}/v2/`, { headers: bearer('not.a.token') })).status, 401);
    const other = await startRegistry({ auth: { htpasswd: { path: htpasswd }, token: { service: 'berth-test', issuer: 'berth-test-issuer' }, access } });
    try {
      const theirs = await (await fetch(`${other.url}/token?service=berth-test&scope=repository:alice/app:pull`, { headers: basic('alice', 'wonder') })).json();
      assert.equal((await fetch(`${reg.url}/v2/alice/app/tags/list`, { headers: bearer((theirs as TokenReply).token) })).status, 401, 'signed by another key');
    } finally {
      await other.close();
    }
    const short = await startRegistry({ auth: { htpasswd: { path: htpasswd }, token: { service: 's', issuer: 'i', expiration: 1 }, access } });
    try {
      const t1 = (await (await fetch(`${short.url}/token?scope=repository:alice/app:pull`, { headers: basic('alice', 'wonder') })).json()) as TokenReply;
      assert.equal((await fetch(`${short.url}/v2/`, { headers: bearer(t1.token) })).status, 200);
      await new Promise((r) => setTimeout(r, 2100));
      assert.equal((await fetch(`${short.url}/v2/`, { headers: bearer(t1.token) })).status, 401, 'expired');
    } finally {
      await short.close();
    }
  });

  test('a mount challenge asks for pull on the source; without it the mount becomes an upload', async () => {
    const bob = await token('repository:secret/s:pull,push', basic('bob', 'builder'));
    const d = await pushBlob(reg.url, 'secret/s', 'bob blob', bearer(bob.token));
    const challenge = await fetch(`${reg.url}/v2/alice/m/blobs/uploads/?mount=${d}&from=secret/s`, { method: 'POST' });
    assert.match(challenge.headers.get('www-authenticate') ?? '', /scope="repository:alice\/m:pull,push repository:secret\/s:pull"/);
    const alice = await token('repository:alice/m:pull,push repository:secret/s:pull', basic('alice', 'wonder'));
    const r = await fetch(`${reg.url}/v2/alice/m/blobs/uploads/?mount=${d}&from=secret/s`, { method: 'POST', headers: bearer(alice.token) });
    assert.equal(r.status, 202);
  });

  test('the catalog needs an authenticated token', async () => {
    assert.equal((await fetch(`${reg.url}/v2/_catalog`)).status, 401);
    const t = await token('registry:catalog:*', basic('bob', 'builder'));
    assert.equal((await fetch(`${reg.url}/v2/_catalog`, { headers: bearer(t.token) })).status, 200);
  });
});

test('TLS with a certificate and key from the config', async () => {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const reg = await startRegistry({ tls: { certificate: cert, key } });
  try {
    assert.ok(reg.url.startsWith('https://'));
    const ca = await fs.readFile(cert);
    const status = await new Promise<number>((resolve, reject) => {
      https.get(`${reg.url}/v2/`, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(status, 200);
    await assert.rejects(fetch(`${reg.url.replace('https', 'http')}/v2/`).then((r) => r.text()));
    assert.equal(sha256('x').length, 71);
  } finally {
    await reg.close();
  }
});
