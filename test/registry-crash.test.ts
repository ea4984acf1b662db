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

test('kill -9 mid-upload and mid-commit: its temp files are gone after the next start, no blob under a digest it lacks', async () => {
  const one = await spawnRegistry(['--root', root]);
  const d = await (async () => {
    const b = Buffer.from('a committed layer');
    const r = await fetch(`${one.url}/v2/crash/temps/blobs/uploads/?digest=${sha256(b)}`, { method: 'POST', body: bytes(b) });
    assert.equal(r.status, 201);
    return sha256(b);
  })();
  const pending = fetch(`${one.url}/v2/crash/temps/blobs/uploads/?digest=${digest}`, { method: 'POST', body: stalledBody(data.subarray(0, 1024 * 1024)), duplex: 'half' } as RequestInit).catch((e) => e);
  await new Promise((r) => setTimeout(r, 300));
  process.kill(one.pid, 'SIGKILL');
  await one.stop();
  await pending;
  // What a kill at other moments leaves: a link being written, an upload's info being
  // written, an upload renamed away by its delete, a blob dir made just before the rename of
  // its verified data, under the digest of different bytes.
  const v2 = path.join(root, 'v2');
  const hex = d.slice(7);
  const uploads = (await fs.readdir(path.join(v2, 'uploads'))).filter((n) => !n.startsWith('.'));
  const leftovers = [
    `repositories/crash/temps/_layers/sha256/${hex}/.link.tmp-0123456789ab`,
    `uploads/${uploads[0]}/.info.tmp-0123456789ab`,
    'uploads/.5d8e2b1c-0000-4000-8000-000000000000.tmp-0123456789ab/data',
    `repositories/crash/temps/_manifests/tags/.v1.tmp-abcdef012345/current/link`,
  ];
  for (const f of leftovers) {
    await fs.mkdir(path.dirname(path.join(v2, f)), { recursive: true });
    await fs.writeFile(path.join(v2, f), 'partial');
  }
  await fs.mkdir(path.join(v2, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7)), { recursive: true });
  // uploads.maxAge of 1ms makes every temp file old enough to be a leftover at start.

  const config = path.join(root, '..', `${path.basename(root)}-temps.yaml`);
  await fs.writeFile(config, `root: ${root}\nuploads:\n  maxAge: 1ms\n`);
  const two = await spawnRegistry(['--config', config]);
  try {
    let left: string[] = [];
    for (let i = 0; i < 100; i++) {
      left = (await filesUnder(v2)).filter((f) => f.includes('.tmp-') || f.startsWith('uploads/'));
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(left, [], 'no temp file and no expired upload is left');
    assert.equal((await fetch(`${two.url}/v2/crash/temps/blobs/${digest}`, { method: 'HEAD' })).status, 404, 'the half-sent blob is not visible');
    assert.equal((await fetch(`${two.url}/v2/crash/temps/blobs/${d}`, { method: 'HEAD' })).status, 200, 'the committed blob stays');
    assert.equal((await fetch(`${two.url}/v2/crash/temps/blobs/uploads/?digest=${digest}`, { method: 'POST', body: bytes(data) })).status, 201);
    assert.equal(sha256(Buffer.from(await (await fetch(`${two.url}/v2/crash/temps/blobs/${digest}`)).arrayBuffer())), digest);
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
