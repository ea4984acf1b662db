// Upload bodies read straight from the socket into the blob file (recvFile), hashed on the
// way: exact content and digest, chunked sessions that mix both paths, clients that leave
// or stall mid-body, and TLS, which keeps the stream paths.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { filesUnder, sha256, startRegistry, type TestRegistry } from './registry-helpers.js';

let reg: TestRegistry;
before(async () => {
  reg = await startRegistry({ storage: { durable: true } });
});
after(() => reg.close());

const big = randomBytes(24 * 1024 * 1024 + 77);
const bigDigest = sha256(big);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(method: string, url: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body ? { 'Content-Length': String(body.length), ...headers } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    // Written in pieces, as a client streaming a file does.
    if (body) for (let i = 0; i < body.length; i += 1 << 20) req.write(body.subarray(i, i + (1 << 20)));
    req.end();
  });
}

async function startSession(name: string): Promise<string> {
  const r = await request('POST', `${reg.url}/v2/${name}/blobs/uploads/`);
  assert.equal(r.status, 202);
  return r.headers.location!;
}

test('a streamed PATCH of a large body lands byte for byte; the digest is checked', async () => {
  const loc = await startSession('recv/one');
  const patch = await request('PATCH', `${reg.url}${loc}`, big, { 'Content-Type': 'application/octet-stream' });
  assert.equal(patch.status, 202);
  assert.equal(patch.headers.range, `0-${big.length - 1}`);
  assert.equal(patch.headers.connection, 'close', 'the body was taken off the parser');
  const put = await request('PUT', `${reg.url}${loc}?digest=${bigDigest}`);
  assert.equal(put.status, 201);
  const got = await request('GET', `${reg.url}/v2/recv/one/blobs/${bigDigest}`);
  assert.ok(got.body.equals(big));

  const wrong = await startSession('recv/one');
  assert.equal((await request('PATCH', `${reg.url}${wrong}`, big)).status, 202);
  const bad = await request('PUT', `${reg.url}${wrong}?digest=${sha256('something else')}`);
  assert.equal(bad.status, 400);
  assert.match(bad.body.toString(), /DIGEST_INVALID/);
});

test('a monolithic POST with digest and a PUT with the body take the same path', async () => {
  const data = big.subarray(5, 3 * 1024 * 1024 + 11);
  const d = sha256(data);
  const post = await request('POST', `${reg.url}/v2/recv/mono/blobs/uploads/?digest=${d}`, data);
  assert.equal(post.status, 201);
  assert.ok((await request('GET', `${reg.url}/v2/recv/mono/blobs/${d}`)).body.equals(data));
  const loc = await startSession('recv/put');
  const put = await request('PUT', `${reg.url}${loc}?digest=${d}`, data);
  assert.equal(put.status, 201);
  assert.ok((await request('GET', `${reg.url}/v2/recv/put/blobs/${d}`)).body.equals(data));
});

test('chunks of odd sizes resume mid-block, small ones through JS, and hash as one', async () => {
  const loc = await startSession('recv/chunks');
  // 100 KiB goes through JS; the others are taken from the socket and start mid-block.
  const cuts = [0, 100 * 1024 + 1, 1_048_576 + 3, 6_291_459, 6_400_000, big.length];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const r = await request('PATCH', `${reg.url}${loc}`, big.subarray(cuts[i], cuts[i + 1]), { 'Content-Range': `${cuts[i]}-${cuts[i + 1] - 1}` });
    assert.equal(r.status, 202, `chunk ${i}`);
    assert.equal(r.headers.range, `0-${cuts[i + 1] - 1}`);
  }
  assert.equal((await request('PUT', `${reg.url}${loc}?digest=${bigDigest}`)).status, 201);
  assert.ok((await request('GET', `${reg.url}/v2/recv/chunks/blobs/${bigDigest}`)).body.equals(big));
});

/** Sends a PATCH announcing `length` bytes, then only `send` of them; returns the socket. */
async function partialPatch(path: string, length: number, send: Buffer): Promise<net.Socket> {
  const u = new URL(reg.url);
  const sock = net.connect(Number(u.port), u.hostname);
  await new Promise((r) => sock.once('connect', r));
  sock.on('error', () => {});
  sock.write(`PATCH ${path} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Length: ${length}\r\n\r\n`);
  await new Promise<void>((r) => sock.write(send, () => r()));
  return sock;
}

test('a client leaving mid-body keeps the bytes that came; the upload resumes and completes', async () => {
  const loc = await startSession('recv/leave');
  const sent = 3 * 1024 * 1024 + 1234;
  const sock = await partialPatch(loc, big.length, big.subarray(0, sent));
  await new Promise((r) => setTimeout(r, 200));
  sock.destroy();
  let have = -1;
  for (let i = 0; i < 50; i++) {
    const status = await request('GET', `${reg.url}${loc}`);
    if (status.status === 204) have = Number(status.headers.range!.split('-')[1]) + 1;
    if (have === sent) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(have, sent, 'every byte received is kept');
  // The server may still be closing the first request (416: receiving another chunk).
  let rest: Answer | undefined;
  for (let i = 0; i < 50 && rest?.status !== 202; i++) {
    if (rest) await new Promise((r) => setTimeout(r, 20));
    rest = await request('PATCH', `${reg.url}${loc}`, big.subarray(have), { 'Content-Range': `${have}-${big.length - 1}` });
    assert.ok(rest.status === 202 || rest.status === 416, `resume answered ${rest.status}`);
  }
  assert.equal(rest?.status, 202);
  assert.equal((await request('PUT', `${reg.url}${loc}?digest=${bigDigest}`)).status, 201);
  assert.ok((await request('GET', `${reg.url}/v2/recv/leave/blobs/${bigDigest}`)).body.equals(big));
});

test('stopping the server ends an upload stuck on a client that sends nothing more', async () => {
  const own = await startRegistry();
  const loc = (await (await fetch(`${own.url}/v2/recv/stuck/blobs/uploads/`, { method: 'POST' })).headers.get('location'))!;
  const u = new URL(own.url);
  const sock = net.connect(Number(u.port), u.hostname);
  await new Promise((r) => sock.once('connect', r));
  sock.on('error', () => {});
  sock.write(`PATCH ${loc} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Length: ${big.length}\r\n\r\n`);
  sock.write(big.subarray(0, 1024 * 1024));
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  await own.close();
  assert.ok(Date.now() - t0 < 5000, 'stop finished within its timeout');
  sock.destroy();
});

test('over TLS, large bodies both ways take the stream paths and stay exact', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-recv-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const own = await startRegistry({ tls: { certificate: cert, key } });
  const ca = await fs.readFile(cert);
  const tls = (method: string, url: string, body?: Buffer) =>
    new Promise<Answer>((resolve, reject) => {
      const req = https.request(url, { method, ca, headers: body ? { 'Content-Length': String(body.length) } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  try {
    const data = big.subarray(0, 5 * 1024 * 1024 + 3);
    const d = sha256(data);
    const post = await tls('POST', `${own.url}/v2/recv/tls/blobs/uploads/`);
    const patch = await tls('PATCH', `${own.url}${post.headers.location}`, data);
    assert.equal(patch.status, 202);
    assert.notEqual(patch.headers.connection, 'close', 'a TLS body is read by Node, to its end');
    assert.equal((await tls('PUT', `${own.url}${post.headers.location}?digest=${d}`)).status, 201);
    const got = await tls('GET', `${own.url}/v2/recv/tls/blobs/${d}`);
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(data));
  } finally {
    await own.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});

/** Sends a request head and part of its body on a raw socket, then leaves. */
async function leaveMidBody(base: string, head: string, send: Buffer): Promise<void> {
  const u = new URL(base);
  const sock = net.connect(Number(u.port), u.hostname);
  await new Promise((r) => sock.once('connect', r));
  sock.on('error', () => {});
  sock.write(`${head}Host: ${u.host}\r\n\r\n`);
  await new Promise<void>((r) => sock.write(send, () => r()));
  await new Promise((r) => setTimeout(r, 150));
  sock.destroy();
}

test('a client leaving mid-upload is logged as 499, not as an internal error; a session stays resumable, a monolithic upload is removed', async () => {
  const log = path.join(os.tmpdir(), `berth-reg-leave-${process.pid}.log`);
  const own = await startRegistry({ log: { access: log } });
  const stderr: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stderr.push(String(chunk));
    return (write as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    const post = await fetch(`${own.url}/v2/recv/gone/blobs/uploads/`, { method: 'POST' });
    const loc = post.headers.get('location')!;
    const sent = 2 * 1024 * 1024 + 5;
    // Content-Length: the body is read natively from the socket.
    await leaveMidBody(own.url, `PATCH ${loc} HTTP/1.1\r\nContent-Length: ${big.length}\r\n`, big.subarray(0, sent));
    // Chunked: the body goes through Node's parser.
    const post2 = await fetch(`${own.url}/v2/recv/gone/blobs/uploads/`, { method: 'POST' });
    const loc2 = post2.headers.get('location')!;
    await leaveMidBody(own.url, `PATCH ${loc2} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n`, Buffer.from('100000\r\n' + 'x'.repeat(4096)));
    // A monolithic upload: its id was never returned, so nothing could resume it.
    await leaveMidBody(own.url, `POST /v2/recv/gone/blobs/uploads/?digest=${bigDigest} HTTP/1.1\r\nContent-Length: ${big.length}\r\n`, big.subarray(0, sent));

    let sessions: string[] = [];
    for (let i = 0; i < 100; i++) {
      sessions = [...new Set((await filesUnder(path.join(own.root, 'v2', 'uploads'))).map((f) => f.split('/')[0]))];
      if (sessions.length === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(sessions.sort(), [loc, loc2].map((l) => l.slice(l.lastIndexOf('/') + 1)).sort(), 'only the two sessions remain');
    const status = await fetch(`${own.url}${loc}`);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), `0-${sent - 1}`, 'the session resumes where the client left');
  } finally {
    process.stderr.write = write;
    await own.close();
  }
  const lines = (await fs.readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  await fs.rm(log, { force: true });
  const left = lines.filter((l) => l.method !== 'GET' && l.status !== 202);
  assert.deepEqual(
    left.map((l) => [l.method, l.status]),
    [
      ['PATCH', 499],
      ['PATCH', 499],
      ['POST', 499],
    ],
  );
  assert.deepEqual(
    stderr.filter((s) => s.includes('internal error')),
    [],
  );
});
