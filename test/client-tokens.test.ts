// Token-server behaviours the real peers do not exercise: OAuth2 refresh with an identity
// token, access_token and expires_in handling, and a realm that refuses the credentials.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { RegistryClient } from '../src/registry/client/index.js';
import { collect, isKind, sha256 } from './client-helpers.js';

const MANIFEST = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
let tmp: string;
let server: http.Server;
let host: string;
let tokenReply: (req: http.IncomingMessage, body: string) => [number, object];
const tokenRequests: { method: string; url: string; body: string; authorization?: string }[] = [];
const clients: RegistryClient[] = [];

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-client-tokens-'));
  server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      const body = (await collect(req)).toString();
      tokenRequests.push({ method: req.method ?? '', url: req.url ?? '', body, authorization: req.headers.authorization });
      const [status, doc] = tokenReply(req, body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
      return;
    }
    if (!req.headers.authorization?.startsWith('Bearer ok-')) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="svc",scope="repository:t/x:pull"` }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(MANIFEST);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const c of clients) c.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A client whose only credentials file holds `authJson`. */
async function client(authJson: object): Promise<RegistryClient> {
  const dir = path.join(tmp, String(clients.length));
  const file = path.join(dir, 'auth.json');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(file, JSON.stringify(authJson));
  const c = new RegistryClient(host, { authFile: file, env: { HOME: dir, XDG_RUNTIME_DIR: dir }, backoffMs: 1 });
  clients.push(c);
  return c;
}

test('an identity token is exchanged with the OAuth2 refresh_token grant (POST), and access_token is accepted', async () => {
  tokenReply = () => [200, { access_token: 'ok-oauth', expires_in: 300 }];
  const c = await client({ auths: { [host]: { identitytoken: 'refresh-me' } } });
  tokenRequests.length = 0;
  assert.equal((await c.repository('t/x').getManifest('1')).digest, sha256(MANIFEST));
  assert.equal(tokenRequests.length, 1);
  assert.equal(tokenRequests[0].method, 'POST');
  const form = new URLSearchParams(tokenRequests[0].body);
  assert.equal(form.get('grant_type'), 'refresh_token');
  assert.equal(form.get('refresh_token'), 'refresh-me');
  assert.equal(form.get('service'), 'svc');
  assert.equal(form.get('scope'), 'repository:t/x:pull');
  assert.equal(tokenRequests[0].authorization, undefined);
});

test('a token is reused until it expires, then fetched again (expires_in defaults to 60 s)', async () => {
  tokenReply = () => [200, { token: 'ok-short', expires_in: 1, issued_at: new Date().toISOString() }];
  const c = await client({});
  tokenRequests.length = 0;
  const repo = c.repository('t/x');
  await repo.getManifest('1');
  await repo.getManifest('1');
  assert.equal(tokenRequests.length, 1);
  await new Promise((r) => setTimeout(r, 1000));
  await repo.getManifest('1');
  assert.equal(tokenRequests.length, 2);
  tokenReply = () => [200, { token: 'ok-default' }];
  const d = await client({});
  await d.repository('t/x').getManifest('1');
  const t = [...(d.auth as unknown as { tokens: Map<string, { expiresAt: number }> }).tokens.values()][0];
  assert.ok(t.expiresAt > Date.now() + 50_000 && t.expiresAt <= Date.now() + 60_000);
});

test('a realm refusing the credentials gives an unauthorized error naming the user', async () => {
  tokenReply = () => [401, { details: 'no' }];
  const c = await client({ auths: { [host]: { auth: Buffer.from('bob:wrong').toString('base64') } } });
  await assert.rejects(c.repository('t/x').getManifest('1'), isKind('unauthorized', /cannot get a token for 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+: invalid username\/password for bob/));
});

test('a token response without a token is refused clearly', async () => {
  tokenReply = () => [200, { nothing: true }];
  const c = await client({});
  await assert.rejects(c.repository('t/x').getManifest('1'), isKind('invalid-argument', /has no token/));
});
