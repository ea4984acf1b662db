// The registry client against registries that lie, stall, drop connections and redirect:
// a node:http server written here plays each part. Every case checks the error and what leaked.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, test } from 'node:test';
import { RegistryClient } from '../src/registry/client/index.js';
import { collect, isKind, sha256 } from './client-helpers.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean | undefined;

interface FakeServer {
  host: string;
  handler: Handler | undefined;
  seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

async function fakeServer(bind = '127.0.0.1'): Promise<FakeServer> {
  const fake: FakeServer = { host: '', handler: undefined, seen: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    fake.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (fake.handler?.(req, res, url)) return;
    if (url.pathname === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
  });
  await new Promise<void>((r) => server.listen(0, bind, r));
  fake.host = `${bind}:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return fake;
}

let tmp: string;
let reg: FakeServer;
let other: FakeServer;
const clients: RegistryClient[] = [];
const BLOB = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 251));
const DESC = { digest: sha256(BLOB), size: BLOB.length };
const BLOB_PATH = `/v2/h/x/blobs/${DESC.digest}`;

function client(): RegistryClient {
  const c = new RegistryClient(reg.host, { backoffMs: 1, maxRetryAfterMs: 50, env: { HOME: tmp, XDG_RUNTIME_DIR: tmp }, credentials: null });
  clients.push(c);
  return c;
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-client-hostile-'));
  reg = await fakeServer();
  other = await fakeServer('127.0.0.2');
});
beforeEach(() => {
  reg.handler = undefined;
  other.handler = undefined;
  reg.seen.length = 0;
  other.seen.length = 0;
});
after(async () => {
  for (const c of clients) c.close();
  await reg.close();
  await other.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

test('a blob whose bytes do not match its digest fails as corrupt and nothing is kept', async () => {
  reg.handler = (_req, res, url) => {
    if (url.pathname !== BLOB_PATH) return false;
    const bad = Buffer.from(BLOB);
    bad[1000] ^= 1;
    res.writeHead(200, { 'content-length': String(bad.length) }).end(bad);
    return true;
  };
  const repo = client().repository('h/x');
  await assert.rejects(collect(await repo.getBlob(DESC)), isKind('corrupt', /^cannot pull 127\.0\.0\.1:\d+\/h\/x: blob sha256:[0-9a-f]+ does not match its digest/));
  const dir = path.join(tmp, 'corrupt');
  await fs.mkdir(dir);
  await assert.rejects(repo.downloadBlob(DESC, path.join(dir, 'blob')), isKind('corrupt'));
  assert.deepEqual(await fs.readdir(dir), []);
});

test('a blob longer than its descriptor fails before the end', async () => {
  reg.handler = (_req, res, url) => {
    if (url.pathname !== BLOB_PATH) return false;
    res.writeHead(200).end(Buffer.concat([BLOB, Buffer.from('extra')]));
    return true;
  };
  await assert.rejects(collect(await client().repository('h/x').getBlob(DESC)), isKind('corrupt', /larger than its declared size/));
});

test('a manifest pulled by digest whose bytes hash elsewhere is corrupt', async () => {
  const real = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
  const lie = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","x":1}');
  reg.handler = (_req, res, url) => {
    if (!url.pathname.startsWith('/v2/h/x/manifests/')) return false;
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': sha256(real) }).end(lie);
    return true;
  };
  const repo = client().repository('h/x');
  await assert.rejects(repo.getManifest(sha256(real)), isKind('corrupt', /manifest whose digest is sha256:/));
  // By tag, the header lies about the bytes we got.
  await assert.rejects(repo.getManifest('1'), isKind('corrupt', /Docker-Content-Digest says sha256:[0-9a-f]+ but the manifest's digest is/));
});

test('a manifest over 4 MiB is refused without buffering it', async () => {
  reg.handler = (_req, res, url) => {
    if (!url.pathname.startsWith('/v2/h/x/manifests/')) return false;
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
    res.end(Buffer.alloc(5 * 1024 * 1024, 32));
    return true;
  };
  await assert.rejects(client().repository('h/x').getManifest('big'), isKind('resource-exhausted', /^cannot pull .*:big: .*over the limit/));
});

test('a connection dropped mid-body resumes with Range from where it stopped', async () => {
  let calls = 0;
  reg.handler = (req, res, url) => {
    if (url.pathname !== BLOB_PATH) return false;
    calls++;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (!range) {
      res.writeHead(200, { 'content-length': String(BLOB.length) });
      res.write(BLOB.subarray(0, 70_000), () => res.socket?.destroy());
      return true;
    }
    const start = Number(range[1]);
    res.writeHead(206, { 'content-length': String(BLOB.length - start), 'content-range': `bytes ${start}-${BLOB.length - 1}/${BLOB.length}` }).end(BLOB.subarray(start));
    return true;
  };
  const got = await collect(await client().repository('h/x').getBlob(DESC));
  assert.ok(got.equals(BLOB));
  assert.equal(calls, 2);
  const ranges = reg.seen.filter((s) => s.url === BLOB_PATH).map((s) => s.headers.range);
  assert.equal(ranges[0], undefined);
  assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
  assert.ok(Number(/\d+/.exec(ranges[1]!)![0]) > 0);
});

test('a body that ends short resumes; a server ignoring Range has the known prefix skipped', async () => {
  let calls = 0;
  reg.handler = (_req, res, url) => {
    if (url.pathname !== BLOB_PATH) return false;
    calls++;
    if (calls === 1) {
      // No Content-Length and a clean close: the body looks complete but is short.
      res.writeHead(200, { connection: 'close' });
      res.end(BLOB.subarray(0, 12_345));
      return true;
    }
    res.writeHead(200, { 'content-length': String(BLOB.length) }).end(BLOB);
    return true;
  };
  const got = await collect(await client().repository('h/x').getBlob(DESC));
  assert.ok(got.equals(BLOB));
  assert.equal(calls, 2);
  assert.equal(reg.seen.filter((s) => s.url === BLOB_PATH)[1].headers.range, 'bytes=12345-');
});

test('a download that keeps dropping gives up after the resume limit', async () => {
  reg.handler = (_req, res, url) => {
    if (url.pathname !== BLOB_PATH) return false;
    res.writeHead(200, { 'content-length': String(BLOB.length) });
    res.write(BLOB.subarray(0, 10), () => res.socket?.destroy());
    return true;
  };
  const dir = path.join(tmp, 'drops');
  await fs.mkdir(dir);
  await assert.rejects(client().repository('h/x').downloadBlob(DESC, path.join(dir, 'b'), { maxResumes: 2 }), isKind('unavailable', /download failed after \d+ of 200000 bytes and 2 resumes/));
  assert.deepEqual(await fs.readdir(dir), []);
});

test('503 and 429 (Retry-After) are retried, then the answer is used', async () => {
  const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
  let calls = 0;
  reg.handler = (_req, res, url) => {
    if (!url.pathname.startsWith('/v2/h/x/manifests/')) return false;
    calls++;
    if (calls === 1) res.writeHead(503).end('busy');
    else if (calls === 2) res.writeHead(429, { 'retry-after': '0' }).end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
    else res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
    return true;
  };
  const m = await client().repository('h/x').getManifest('1');
  assert.equal(m.digest, sha256(manifest));
  assert.equal(calls, 3);
});

test('persistent 503 ends as unavailable after the bounded attempts', async () => {
  let calls = 0;
  reg.handler = (_req, res, url) => {
    if (!url.pathname.startsWith('/v2/h/x/manifests/')) return false;
    calls++;
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"down for maintenance"}]}');
    return true;
  };
  await assert.rejects(client().repository('h/x').getManifest('1'), isKind('unavailable', /^cannot pull .*:1: unavailable \(down for maintenance\)/));
  assert.equal(calls, 4);
});

test('a redirect to another host never carries the Authorization header', async () => {
  const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;
  reg.handler = (req, res, url) => {
    if (req.headers.authorization !== basic) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="hostile"' }).end();
      return true;
    }
    if (url.pathname === BLOB_PATH) {
      res.writeHead(307, { location: `http://${other.host}/storage/blob?sig=abc` }).end();
      return true;
    }
    return false;
  };
  other.handler = (_req, res) => {
    res.writeHead(200, { 'content-length': String(BLOB.length) }).end(BLOB);
    return true;
  };
  const c = new RegistryClient(reg.host, { credentials: { username: 'u', password: 'p' }, backoffMs: 1 });
  clients.push(c);
  const got = await collect(await c.repository('h/x').getBlob(DESC));
  assert.ok(got.equals(BLOB));
  assert.equal(reg.seen.find((s) => s.url === BLOB_PATH)?.headers.authorization, basic);
  assert.equal(other.seen.length, 1);
  assert.equal(other.seen[0].url, '/storage/blob?sig=abc');
  assert.equal(other.seen[0].headers.authorization, undefined);
});

test('a token realm on a foreign host is asked anonymously', async () => {
  other.handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"anon-token"}');
    return true;
  };
  const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
  reg.handler = (req, res, url) => {
    if (req.headers.authorization !== 'Bearer anon-token') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${other.host}/token",service="hostile"` }).end();
      return true;
    }
    if (url.pathname.startsWith('/v2/h/x/manifests/')) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
      return true;
    }
    return false;
  };
  const c = new RegistryClient(reg.host, { credentials: { username: 'u', password: 'secret' }, backoffMs: 1 });
  clients.push(c);
  assert.equal((await c.repository('h/x').getManifest('1')).digest, sha256(manifest));
  assert.ok(other.seen.length >= 1);
  for (const s of other.seen) {
    assert.equal(s.headers.authorization, undefined);
    assert.ok(!s.url.includes('account='));
  }
});

test('foreign layer URLs are fetched without credentials when the registry lacks the blob', async () => {
  reg.handler = (req, res) => {
    if (!req.headers.authorization) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
      return true;
    }
    return false;
  };
  other.handler = (_req, res) => {
    res.writeHead(200).end(BLOB);
    return true;
  };
  const c = new RegistryClient(reg.host, { credentials: { username: 'u', password: 'p' }, backoffMs: 1 });
  clients.push(c);
  const got = await collect(await c.repository('h/x').getBlob({ ...DESC, urls: [`http://${other.host}/foreign/layer.tgz`] }));
  assert.ok(got.equals(BLOB));
  assert.equal(other.seen[0].headers.authorization, undefined);
});

test('a push follows a relative Location and keeps its query', async () => {
  const bytes = Buffer.from('pushed bytes');
  const d = sha256(bytes);
  let received: Buffer | undefined;
  reg.handler = (req, res, url) => {
    if (req.method === 'HEAD' && url.pathname === `/v2/h/x/blobs/${d}`) {
      res.writeHead(404).end();
      return true;
    }
    if (req.method === 'POST' && url.pathname === '/v2/h/x/blobs/uploads/') {
      res.writeHead(202, { location: '/upload/abc?_state=s1' }).end();
      return true;
    }
    if (req.method === 'PUT' && url.pathname === '/upload/abc') {
      collect(req).then((b) => {
        received = b;
        res.writeHead(201, { location: `/v2/h/x/blobs/${d}` }).end();
      });
      return true;
    }
    return false;
  };
  const r = await client().repository('h/x').pushBlob({ digest: d, size: bytes.length }, () => Readable.from([bytes]));
  assert.equal(r.outcome, 'uploaded');
  const put = reg.seen.find((s) => s.method === 'PUT')!;
  const u = new URL(put.url, 'http://x');
  assert.equal(u.searchParams.get('_state'), 's1');
  assert.equal(u.searchParams.get('digest'), d);
  assert.equal(put.headers['content-length'], String(bytes.length));
  assert.ok(received?.equals(bytes));
});

test('an upload Location on another host gets the bytes but not the credentials', async () => {
  const bytes = Buffer.from('elsewhere');
  const d = sha256(bytes);
  reg.handler = (req, res, url) => {
    if (!req.headers.authorization) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
      return true;
    }
    if (req.method === 'HEAD') {
      res.writeHead(404).end();
      return true;
    }
    if (req.method === 'POST' && url.pathname === '/v2/h/x/blobs/uploads/') {
      res.writeHead(202, { location: `http://${other.host}/up/1?token=t` }).end();
      return true;
    }
    return false;
  };
  other.handler = (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(201).end());
    return true;
  };
  const c = new RegistryClient(reg.host, { credentials: { username: 'u', password: 'p' }, backoffMs: 1 });
  clients.push(c);
  assert.equal((await c.repository('h/x').pushBlob({ digest: d, size: bytes.length }, () => Readable.from([bytes]))).outcome, 'uploaded');
  assert.equal(other.seen.length, 1);
  assert.equal(other.seen[0].method, 'PUT');
  assert.equal(other.seen[0].headers.authorization, undefined);
  assert.ok(reg.seen.some((s) => s.method === 'POST' && s.headers.authorization));
});

test('tags page through Link headers', async () => {
  reg.handler = (_req, res, url) => {
    if (url.pathname !== '/v2/h/x/tags/list') return false;
    const last = url.searchParams.get('last');
    if (!last) res.writeHead(200, { link: '</v2/h/x/tags/list?n=2&last=b>; rel="next"' }).end('{"name":"h/x","tags":["a","b"]}');
    else if (last === 'b') res.writeHead(200, { link: `<http://${reg.host}/v2/h/x/tags/list?n=2&last=d>; rel="next"` }).end('{"name":"h/x","tags":["c","d"]}');
    else res.writeHead(200).end('{"name":"h/x","tags":["e"]}');
    return true;
  };
  assert.deepEqual(await client().repository('h/x').listTags({ pageSize: 2 }), ['a', 'b', 'c', 'd', 'e']);
});

test('a stalled download is cancelled by its signal', async () => {
  reg.handler = (_req, res, url) => {
    if (url.pathname !== BLOB_PATH) return false;
    res.writeHead(200, { 'content-length': String(BLOB.length) });
    res.write(BLOB.subarray(0, 100));
    return true;
  };
  const ac = new AbortController();
  const stream = await client().repository('h/x').getBlob(DESC, { signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  const t0 = Date.now();
  await assert.rejects(collect(stream), isKind('aborted'));
  assert.ok(Date.now() - t0 < 2000);
  await assert.rejects(client().repository('h/x').getManifest('1', { signal: AbortSignal.abort() }), isKind('aborted'));
});
