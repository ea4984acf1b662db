// The registry client's auth against real peers: Distribution 2.8 with htpasswd (Basic) and
// with token auth (Bearer) from a token server written here, on the same and on a foreign host.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { catalog, checkLogin, RegistryClient, type RegistryClientOptions, saveCredentials } from '../src/registry/client/index.js';
import { collect, type Distribution, isKind, makeImage, skopeo, startDistribution, startTokenServer, type TestImage, type TokenServer } from './client-helpers.js';

const USER = { user: 'alice', password: 'wonder land' };
let tmp: string;
let basicReg: Distribution;
let tokenReg: Distribution;
let foreignReg: Distribution;
let tokens: TokenServer;
let foreignTokens: TokenServer;
let image: TestImage;
const clients: RegistryClient[] = [];

/** Options that read credentials only from files under tmp. */
function isolated(extra: RegistryClientOptions = {}): RegistryClientOptions {
  return { env: { HOME: path.join(tmp, 'home'), XDG_RUNTIME_DIR: path.join(tmp, 'run'), PATH: process.env.PATH }, ...extra };
}

function newClient(host: string, options: RegistryClientOptions = {}): RegistryClient {
  const c = new RegistryClient(host, isolated(options));
  clients.push(c);
  return c;
}

async function pushImage(client: RegistryClient, name: string, tag: string): Promise<void> {
  const repo = client.repository(name);
  for (const b of [...image.layers, image.config]) await repo.pushBlob(b, () => Readable.from([b.bytes]));
  await repo.putManifest(image.manifest, 'application/vnd.oci.image.manifest.v1+json', tag);
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-client-auth-'));
  await fs.writeFile(path.join(tmp, 'skopeo-registries.conf'), '');
  image = await makeImage(tmp, [50_000], 'auth');
  tokens = await startTokenServer(path.join(tmp, 'tokens'), USER);
  // 127.0.0.2 is loopback too, but another host as far as credentials go.
  foreignTokens = await startTokenServer(path.join(tmp, 'foreign-tokens'), USER, '127.0.0.2');
  [basicReg, tokenReg, foreignReg] = await Promise.all([
    startDistribution(path.join(tmp, 'basic'), { htpasswd: USER }),
    startDistribution(path.join(tmp, 'token'), { token: { realm: tokens.url, service: tokens.service, issuer: tokens.issuer, certFile: tokens.certFile } }),
    startDistribution(path.join(tmp, 'foreign'), {
      token: { realm: foreignTokens.url, service: foreignTokens.service, issuer: foreignTokens.issuer, certFile: foreignTokens.certFile },
    }),
  ]);
});

after(async () => {
  for (const c of clients) c.close();
  await Promise.all([basicReg?.stop(), tokenReg?.stop(), foreignReg?.stop(), tokens?.close(), foreignTokens?.close()]);
  await fs.rm(tmp, { recursive: true, force: true });
});

test('basic auth: anonymous is refused with a clear message', async () => {
  const anon = newClient(basicReg.host);
  assert.equal((await anon.ping()).scheme, 'basic');
  await assert.rejects(anon.repository('x/y').getManifest('1'), isKind('unauthorized', /^cannot pull 127\.0\.0\.1:\d+\/x\/y:1: unauthorized/));
});

test('basic auth: checkLogin accepts the right password and refuses a wrong one', async () => {
  assert.deepEqual(await checkLogin(basicReg.host, { username: USER.user, password: USER.password }, isolated()), { base: `http://${basicReg.host}`, scheme: 'basic' });
  await assert.rejects(checkLogin(basicReg.host, { username: USER.user, password: 'nope' }, isolated()), isKind('unauthorized', /cannot log in to .*invalid username\/password/));
});

test('basic auth: credentials saved by login are used for push and pull; skopeo reads what we pushed', async () => {
  const authFile = path.join(tmp, 'login-auth.json');
  await saveCredentials(basicReg.host, USER.user, USER.password, isolated({ authFile }));
  const client = newClient(basicReg.host, { authFile });
  await pushImage(client, 'team/app', 'v1');
  const m = await client.repository('team/app').getManifest('v1');
  assert.equal(m.digest, image.manifestDigest);
  const out = path.join(tmp, 'skopeo-basic');
  await skopeo(tmp, ['copy', '--src-tls-verify=false', '--src-creds', `${USER.user}:${USER.password}`, `docker://${basicReg.host}/team/app:v1`, `oci:${out}:v1`]);
  assert.equal(JSON.parse(await fs.readFile(path.join(out, 'index.json'), 'utf8')).manifests[0].digest, image.manifestDigest);
});

test('token auth: push and pull with credentials, tokens cached per scope set', async () => {
  const client = newClient(tokenReg.host, { credentials: { username: USER.user, password: USER.password } });
  assert.equal((await client.ping()).scheme, 'bearer');
  const before = tokens.requests.length;
  await pushImage(client, 'tok/app', '1');
  const repo = client.repository('tok/app');
  const m = await repo.getManifest('1');
  const layer = JSON.parse(m.bytes.toString()).layers[0];
  assert.ok((await collect(await repo.getBlob(layer))).equals(image.layers[0].bytes));
  const seen = tokens.requests.slice(before);
  // One token for pull+push covers every request after it.
  assert.equal(seen.length, 1, JSON.stringify(seen));
  assert.deepEqual(seen[0].scopes, ['repository:tok/app:pull,push']);
  assert.equal(seen[0].account, USER.user);
  assert.match(seen[0].authorization ?? '', /^Basic /);
});

test('token auth: anonymous pulls but cannot push', async () => {
  const anon = newClient(tokenReg.host);
  const repo = anon.repository('tok/app');
  assert.equal((await repo.getManifest('1')).digest, image.manifestDigest);
  await assert.rejects(repo.putManifest(image.manifest, 'application/vnd.oci.image.manifest.v1+json', 'anon'), isKind('unauthorized', /^cannot push 127\.0\.0\.1:\d+\/tok\/app:anon: unauthorized/));
});

test('token auth: an insufficient_scope challenge gets one retry with the scope it names', async () => {
  const client = newClient(tokenReg.host, { credentials: { username: USER.user, password: USER.password } });
  await client.ping();
  const before = tokens.requests.length;
  const res = await client.send({ method: 'GET', path: '/v2/tok/app/tags/list', scopes: [] });
  res.body.resume();
  assert.equal(res.status, 200);
  assert.deepEqual(
    tokens.requests.slice(before).map((r) => r.scopes),
    [[], ['repository:tok/app:pull']],
  );
  assert.deepEqual(await catalog(client), ['tok/app']);
});

test('token auth: checkLogin', async () => {
  assert.equal((await checkLogin(tokenReg.host, { username: USER.user, password: USER.password }, isolated())).scheme, 'bearer');
  await assert.rejects(checkLogin(tokenReg.host, { username: USER.user, password: 'bad' }, isolated()), isKind('unauthorized', /invalid username\/password/));
});

test('a token realm on a foreign host never receives the registry credentials', async () => {
  const authFile = path.join(tmp, 'foreign-auth.json');
  await saveCredentials(foreignReg.host, USER.user, USER.password, isolated({ authFile }));
  const client = newClient(foreignReg.host, { authFile });
  const before = foreignTokens.requests.length;
  await assert.rejects(pushImage(client, 'f/app', '1'), isKind('unauthorized'));
  const seen = foreignTokens.requests.slice(before);
  assert.ok(seen.length > 0);
  assert.deepEqual(
    seen.map((r) => r.authorization),
    seen.map(() => undefined),
  );
  await assert.rejects(checkLogin(foreignReg.host, { username: USER.user, password: USER.password }, isolated()), isKind('unsupported', /another host/));
});

test('a foreign realm gets the credentials stored for its own host', async () => {
  const authFile = path.join(tmp, 'foreign-auth-2.json');
  await saveCredentials(`127.0.0.2:${foreignTokens.port}`, USER.user, USER.password, isolated({ authFile }));
  const client = newClient(foreignReg.host, { authFile });
  const before = foreignTokens.requests.length;
  await pushImage(client, 'f/app', '1');
  assert.equal((await client.repository('f/app').getManifest('1')).digest, image.manifestDigest);
  assert.ok(foreignTokens.requests.slice(before).every((r) => r.authorization?.startsWith('Basic ')));
});
