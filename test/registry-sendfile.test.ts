// Blob bodies served with sendfile(2) on plain TCP (through a native buffer for clients on this
// host): byte-exact bodies and ranges, the connection kept alive for the next request, and
// clients that stall or leave mid-body.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { sendFileRange, sendfileTarget } from '../src/registry/driver/sendfile.js';
import { pushBlob, startRegistry, type TestRegistry } from './registry-helpers.js';

let reg: TestRegistry;
const big = randomBytes(24 * 1024 * 1024 + 13);
let digest: string;
before(async () => {
  reg = await startRegistry();
  digest = await pushBlob(reg.url, 'send/file', big);
});
after(() => reg.close());

const openFds = async () => (await fs.readdir('/proc/self/fd')).length;

/** GET through an agent; resolves with the body and whether the socket was reused. */
function get(agent: http.Agent, url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; reused: boolean; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), reused: req.reusedSocket, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Sends a GET on a raw socket and returns it, unread. */
async function rawGet(url: string): Promise<net.Socket> {
  const u = new URL(url);
  const sock = net.connect(Number(u.port), u.hostname);
  await new Promise((r) => sock.once('connect', r));
  sock.write(`GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
  return sock;
}

for (const copy of [false, true]) test(`sendfileTarget takes plain TCP responses only; sendFileRange (${copy ? 'copy' : 'sendfile'}) sends an exact range or reports a short file`, async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-sendfile-'));
  const file = path.join(dir, 'f');
  await fs.writeFile(file, big);
  const results: (boolean | string)[] = [];
  const server = http.createServer(async (req, res) => {
    const [start, end] = (req.url!.slice(1).split('-') as string[]).map(Number);
    const fh = await fs.open(file, 'r');
    try {
      assert.equal(sendfileTarget(res), res);
      res.writeHead(200, { 'Content-Length': end - start + 1 });
      results.push(await sendFileRange(res, fh.fd, start, end, file, undefined, copy));
      res.end();
    } catch (e) {
      results.push((e as { kind?: string }).kind ?? String(e));
      res.destroy();
    } finally {
      await fh.close();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    assert.equal(sendfileTarget(new (await import('node:stream')).PassThrough()), undefined);
    const whole = await get(agent, `${base}/0-${big.length - 1}`);
    assert.ok(whole.body.equals(big));
    const part = await get(agent, `${base}/1000-5000000`);
    assert.ok(part.body.equals(big.subarray(1000, 5000001)));
    assert.ok(part.reused, 'the connection survives a sendfile body');
    await assert.rejects(get(agent, `${base}/${big.length - 10}-${big.length + 99}`));
    assert.deepEqual(results, [true, true, 'corrupt']);
  } finally {
    agent.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a blob GET is byte-exact, ranges are exact, and the connection serves the next requests', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const blob = `${reg.url}/v2/send/file/blobs/${digest}`;
    const whole = await get(agent, blob);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-length'], String(big.length));
    assert.ok(whole.body.equals(big));
    const part = await get(agent, blob, { Range: 'bytes=123-4567890' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 123-4567890/${big.length}`);
    assert.ok(part.body.equals(big.subarray(123, 4567891)));
    assert.ok(part.reused);
    const tail = await get(agent, blob, { Range: 'bytes=-100000' });
    assert.ok(tail.body.equals(big.subarray(big.length - 100000)));
    const ping = await get(agent, `${reg.url}/v2/`);
    assert.equal(ping.status, 200);
    assert.ok(ping.reused, 'a plain request follows on the same connection');
    const again = await get(agent, blob);
    assert.ok(again.body.equals(big) && again.reused);
  } finally {
    agent.destroy();
  }
});

test('clients that leave mid-body or stall and leave do not hurt the server or leak descriptors', async () => {
  const blob = `${reg.url}/v2/send/file/blobs/${digest}`;
  const warm = new http.Agent({ keepAlive: false });
  assert.ok((await get(warm, blob)).body.equals(big));
  const before = await openFds();
  // Reads a little, then resets.
  const leaver = await rawGet(blob);
  await new Promise((r) => leaver.once('data', r));
  leaver.resetAndDestroy();
  // Reads nothing (the socket buffer fills, the server waits for writability), then closes.
  const staller = await rawGet(blob);
  await new Promise((r) => setTimeout(r, 300));
  staller.destroy();
  // Many at once, gone after their first bytes.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const s = await rawGet(blob);
      await new Promise((r) => s.once('data', r));
      s.destroy();
    }),
  );
  const after = await get(warm, blob);
  assert.ok(after.body.equals(big), 'the server still serves whole blobs');
  for (let i = 0; i < 50 && (await openFds()) > before; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok((await openFds()) <= before, 'every socket and file descriptor was released');
});

test('stopping the server ends a response stuck on a client that does not read', async () => {
  const own = await startRegistry();
  const d = await pushBlob(own.url, 'send/stuck', big);
  const staller = await rawGet(`${own.url}/v2/send/stuck/blobs/${d}`);
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  await own.close();
  assert.ok(Date.now() - t0 < 5000, 'stop finished within its timeout');
  staller.destroy();
});
