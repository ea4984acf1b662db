// The registry client's transport: TLS verified unless the endpoint is insecure, bounded and
// reused connections per host, and retries of requests whose connection was reset.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { RegistryClient } from '../src/registry/client/index.js';
import { collect, isKind, run, sha256 } from './client-helpers.js';

let tmp: string;
const servers: (http.Server | https.Server)[] = [];
const clients: RegistryClient[] = [];

async function listen<S extends http.Server | https.Server>(server: S): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function track(c: RegistryClient): RegistryClient {
  clients.push(c);
  return c;
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-client-transport-'));
});
after(async () => {
  for (const c of clients) c.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  await fs.rm(tmp, { recursive: true, force: true });
});

const MANIFEST = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');

function registryHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === '/v2/') res.writeHead(200).end('{}');
  else res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(MANIFEST);
}

test('TLS is verified by default; an insecure endpoint talks https without verification', async () => {
  const key = path.join(tmp, 'tls.key');
  const crt = path.join(tmp, 'tls.crt');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=127.0.0.1']);
  const host = await listen(https.createServer({ key: await fs.readFile(key), cert: await fs.readFile(crt) }, registryHandler));
  const secure = track(new RegistryClient(host, { insecure: false, credentials: null }));
  await assert.rejects(secure.repository('a/b').getManifest('1'), isKind('unavailable', /cannot reach registry 127\.0\.0\.1:\d+: .*(self[- ]signed|certificate)/i));
  const insecure = track(new RegistryClient(host, { insecure: true, credentials: null }));
  assert.equal((await insecure.ping()).base, `https://${host}`);
  assert.equal((await insecure.repository('a/b').getManifest('1')).digest, sha256(MANIFEST));
});

test('plain HTTP is never used for a secure endpoint', async () => {
  const host = await listen(http.createServer(registryHandler));
  const secure = track(new RegistryClient(host, { insecure: false, credentials: null }));
  await assert.rejects(secure.ping(), isKind('unavailable'));
  assert.equal((await track(new RegistryClient(host, { credentials: null })).ping()).base, `http://${host}`);
});

test('connections per host are bounded and reused', async () => {
  const blob = Buffer.alloc(64 * 1024, 7);
  const desc = { digest: sha256(blob), size: blob.length };
  let active = 0;
  let peak = 0;
  const sockets = new Set<unknown>();
  const server = http.createServer((req, res) => {
    sockets.add(req.socket);
    if (req.url === '/v2/') {
      res.writeHead(200).end('{}');
      return;
    }
    active++;
    peak = Math.max(peak, active);
    setTimeout(() => {
      active--;
      res.writeHead(200, { 'content-length': String(blob.length) }).end(blob);
    }, 10);
  });
  const host = await listen(server);
  const c = track(new RegistryClient(host, { maxSocketsPerHost: 3, credentials: null }));
  const repo = c.repository('a/b');
  const got = await Promise.all(Array.from({ length: 24 }, async () => collect(await repo.getBlob(desc))));
  assert.ok(got.every((b) => b.equals(blob)));
  assert.ok(peak <= 3, `peak ${peak}`);
  assert.ok(sockets.size <= 4, `${sockets.size} sockets for 25 requests`);
});

test('a request whose connection is reset before an answer is retried', async () => {
  let calls = 0;
  const host = await listen(
    http.createServer((req, res) => {
      if (req.url === '/v2/') {
        res.writeHead(200).end('{}');
        return;
      }
      calls++;
      if (calls === 1) req.socket.destroy();
      else registryHandler(req, res);
    }),
  );
  const c = track(new RegistryClient(host, { backoffMs: 1, credentials: null }));
  assert.equal((await c.repository('a/b').getManifest('1')).digest, sha256(MANIFEST));
  assert.equal(calls, 2);
});
