// A registry killed with SIGKILL in the middle of uploads: no blob ever appears under a
// digest it does not have, the server comes back clean, uploads resume or expire.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { bytes, filesUnder, sha256, spawnRegistry } from './registry-helpers.js';

let root: string;
before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-reg-crash-'));
});
after(() => fs.rm(root, { recursive: true, force: true }));

/** Starts a streamed request body that sends `first` and then stalls. */
function stalledBody(first: Buffer): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(ctrl) {
      ctrl.enqueue(new Uint8Array(first));
    },
  });
}

const data = Buffer.alloc(3 * 1024 * 1024);
for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 256;
const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;

test('kill -9 during a chunked upload: nothing visible, resumable after restart', async () => {
  const one = await spawnRegistry(['--root', root]);
  const post = await fetch(`${one.url}/v2/crash/app/blobs/uploads/`, { method: 'POST' });
  const loc = post.headers.get('location')!;
  const first = 1024 * 1024;
  const r1 = await fetch(`${one.url}${loc}`, { method: 'PATCH', body: bytes(data.subarray(0, first)), headers: { 'Content-Range': `0-${first - 1}` } });
  assert.equal(r1.status, 202);
  // The second chunk is on the wire when the server dies.
  const pending = fetch(`${one.url}${loc}`, { method: 'PATCH', body: stalledBody(data.subarray(first, first + 512 * 1024)), duplex: 'half' } as RequestInit).catch((e) => e);
  await new Promise((r) => setTimeout(r, 300));
  process.kill(one.pid, 'SIGKILL');
  await one.stop();
  assert.ok((await pending) instanceof Error);
  assert.deepEqual(await filesUnder(path.join(root, 'v2', 'blobs')), [], 'no blob exists before the upload completes');

  const two = await spawnRegistry(['--root', root]);
  try {
    assert.equal((await fetch(`${two.url}/v2/crash/app/blobs/${digest}`, { method: 'HEAD' })).status, 404);
    const status = await fetch(`${two.url}${loc}`);
    assert.equal(status.status, 204);
    const have = Number(status.headers.get('range')!.split('-')[1]) + 1;
    assert.ok(have >= first && have <= first + 512 * 1024, `resumes at ${have}`);
    const rest = await fetch(`${two.url}${loc}`, { method: 'PATCH', body: bytes(data.subarray(have)), headers: { 'Content-Range': `${have}-${data.length - 1}` } });
    assert.equal(rest.status, 202);
    const put = await fetch(`${two.url}${loc}?digest=${digest}`, { method: 'PUT' });
    assert.equal(put.status, 201);
    const got = Buffer.from(await (await fetch(`${two.url}/v2/crash/app/blobs/${digest}`)).arrayBuffer());
    assert.equal(sha256(got), digest);
  } finally {
    await two.stop();
  }
});

test('kill -9 during a monolithic upload: no blob, and the orphan upload expires', async () => {
  const other = Buffer.alloc(2 * 1024 * 1024, 9);
  const d = sha256(other);
  const one = await spawnRegistry(['--root', root]);
  const pending = fetch(`${one.url}/v2/crash/mono/blobs/uploads/?digest=${d}`, { method: 'POST', body: stalledBody(other.subarray(0, 1024 * 1024)), duplex: 'half' } as RequestInit).catch((e) => e);
  await new Promise((r) => setTimeout(r, 300));
  process.kill(one.pid, 'SIGKILL');
  await one.stop();
  await pending;
  const blobs = await filesUnder(path.join(root, 'v2', 'blobs'));
  assert.ok(!blobs.some((f) => f.includes(d.slice(7))), 'the half-sent blob is not in the store');
  assert.ok((await filesUnder(path.join(root, 'v2', 'uploads'))).length > 0, 'its upload is left to expire');

  const config = path.join(root, '..', `${path.basename(root)}.yaml`);
  await fs.writeFile(config, `root: ${root}\nuploads:\n  maxAge: 1ms\n`);
  const two = await spawnRegistry(['--config', config]);
  try {
    assert.equal((await fetch(`${two.url}/v2/crash/mono/blobs/${d}`, { method: 'HEAD' })).status, 404);
    assert.deepEqual(await filesUnder(path.join(root, 'v2', 'uploads')), [], 'expired at start-up');
    assert.equal((await fetch(`${two.url}/v2/crash/mono/blobs/uploads/?digest=${d}`, { method: 'POST', body: bytes(other) })).status, 201);
  } finally {
    await two.stop();
    await fs.rm(config, { force: true });
  }
});

test('SIGTERM stops the server cleanly', async () => {
  const one = await spawnRegistry(['--root', root]);
  assert.equal((await fetch(`${one.url}/v2/`)).status, 200);
  one.child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => one.child.once('exit', (c) => resolve(c)));
  assert.equal(code, 0);
});
