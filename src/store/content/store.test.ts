import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { type Digest, digestOf } from '../../digest/digest.js';
import { StoreLayout } from '../layout.js';
import { ContentStore } from './store.js';

async function fresh(options = {}) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-content-'));
  const layout = new StoreLayout(path.join(dir, 'root'), path.join(dir, 'run'));
  const store = new ContentStore(layout, options);
  await store.open();
  return { dir, layout, store, done: () => fs.rm(dir, { recursive: true, force: true }) };
}

async function text(r: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

test('a write is invisible until commit, then readable by digest', async () => {
  const { store, layout, done } = await fresh();
  try {
    const d = digestOf('hello world');
    const w = await store.writer('ref-1', { expected: { digest: d, size: 11 } });
    await w.write(Buffer.from('hello '));
    assert.equal(await store.exists(d), false);
    assert.deepEqual(await fs.readdir(path.join(layout.blobsDir, 'sha256')), []);
    await w.write(Buffer.from('world'));
    assert.deepEqual(await w.commit(), { digest: d, size: 11 });
    assert.equal(await text(await store.reader(d)), 'hello world');
    assert.equal(await text(await store.reader(d, { offset: 6 })), 'world');
    assert.equal((await store.info(d)).size, 11);
    assert.deepEqual(await fs.readdir(layout.ingestDir), []);
    const walked: string[] = [];
    for await (const i of store.walk()) walked.push(i.digest);
    assert.deepEqual(walked, [d]);
    assert.equal((await store.readBlob(d)).toString(), 'hello world');
  } finally {
    await done();
  }
});

test('commit refuses a wrong digest and a wrong size, and publishes nothing', async () => {
  const { store, layout, done } = await fresh();
  try {
    const w = await store.writer('bad', { expected: { digest: digestOf('other'), size: 5 } });
    await w.write(Buffer.from('hello'));
    await assert.rejects(w.commit(), (e: any) => e.kind === 'corrupt' && /does not match its digest/.test(e.message));
    const w2 = await store.writer('short', { expected: { size: 9 } });
    await w2.write(Buffer.from('hello'));
    await assert.rejects(w2.commit(), (e: any) => e.kind === 'corrupt' && /size 5 does not match the expected 9/.test(e.message));
    const w3 = await store.writer('long', { expected: { size: 2 } });
    await assert.rejects(w3.write(Buffer.from('hello')), (e: any) => e.kind === 'corrupt' && /larger/.test(e.message));
    await w3.abort();
    assert.deepEqual(await fs.readdir(path.join(layout.blobsDir, 'sha256')), []);
    assert.deepEqual(await fs.readdir(layout.ingestDir), []);
  } finally {
    await done();
  }
});

test('an interrupted write resumes at its offset under the same ref', async () => {
  const { store, done } = await fresh();
  try {
    const body = 'abcdefghij'.repeat(1000);
    const d = digestOf(body);
    const w = await store.writer('resume', { expected: { digest: d, size: body.length } });
    await w.write(Buffer.from(body.slice(0, 4000)));
    await w.close();
    assert.deepEqual(
      (await store.ingests()).map((i) => [i.ref, i.offset]),
      [['resume', 4000]],
    );
    const again = await store.writer('resume', { expected: { digest: d, size: body.length } });
    assert.equal(again.offset, 4000);
    await again.copyFrom(Readable.from([Buffer.from(body.slice(4000))]));
    assert.equal((await again.commit()).digest, d);
    // A writer with other expectations starts over instead of resuming foreign bytes.
    const w3 = await store.writer('resume2', { expected: { size: 3 } });
    await w3.write(Buffer.from('ab'));
    await w3.close();
    const w4 = await store.writer('resume2', { expected: { digest: digestOf('xyz'), size: 3 } });
    assert.equal(w4.offset, 0);
    await w4.abort();
  } finally {
    await done();
  }
});

test('committing present content is a no-op success; opening a writer for it says already-exists', async () => {
  const { store, done } = await fresh();
  try {
    const d = digestOf('same');
    const a = await store.writer('a', { expected: { digest: d } });
    const b = await store.writer('b', { expected: { digest: d } });
    await a.write(Buffer.from('same'));
    await b.write(Buffer.from('same'));
    await a.commit();
    assert.deepEqual(await b.commit(), { digest: d, size: 4 });
    await assert.rejects(store.writer('c', { expected: { digest: d } }), (e: any) => e.kind === 'already-exists');
    const info = await store.ingest('d', Readable.from([Buffer.from('never read')]), { expected: { digest: d } });
    assert.equal(info.size, 4);
  } finally {
    await done();
  }
});

test('two writers of one ref: the second waits, or fails at once with aborted', async () => {
  const { store, done } = await fresh();
  try {
    const d = digestOf('payload');
    const first = await store.writer('same-ref', { expected: { digest: d } });
    await assert.rejects(store.writer('same-ref', { wait: false }), (e: any) => e.kind === 'aborted' && /ref locked/.test(e.message));
    const waiting = store.writer('same-ref', { expected: { digest: d } });
    await first.write(Buffer.from('payload'));
    await first.commit();
    await assert.rejects(waiting, (e: any) => e.kind === 'already-exists');
  } finally {
    await done();
  }
});

test('delete, not-found and malformed digests', async () => {
  const { store, done } = await fresh();
  try {
    const info = await store.ingest('x', Readable.from([Buffer.from('bye')]));
    await store.delete(info.digest);
    await assert.rejects(store.info(info.digest), (e: any) => e.kind === 'not-found');
    await assert.rejects(store.reader(info.digest), (e: any) => e.kind === 'not-found');
    await assert.rejects(store.delete(info.digest), (e: any) => e.kind === 'not-found');
    await assert.rejects(store.info('sha256:../../etc/passwd' as Digest), (e: any) => e.kind === 'invalid-argument');
  } finally {
    await done();
  }
});

test('open removes unheld ingests that are expired or malformed, keeps fresh ones', async () => {
  const { layout, store, done } = await fresh();
  try {
    const w = await store.writer('keep', {});
    await w.write(Buffer.from('part'));
    await w.close();
    const junk = path.join(layout.ingestDir, 'f'.repeat(64));
    await fs.mkdir(junk);
    await fs.writeFile(path.join(junk, 'data'), 'x');
    await fs.utimes(path.join(junk, 'data'), new Date(0), new Date(0));
    await new ContentStore(layout).open();
    assert.deepEqual((await store.ingests()).map((i) => i.ref), ['keep']);
    assert.equal((await fs.readdir(layout.ingestDir)).length, 1);
    await new ContentStore(layout, { ingestExpiryMs: 0 }).open();
    assert.deepEqual(await fs.readdir(layout.ingestDir), []);
  } finally {
    await done();
  }
});

test('a verified source is stored without a second hash; a failing one leaves no blob', async () => {
  const { store, layout, done } = await fresh();
  try {
    const { VerifyingStream } = await import('../../digest/verify.js');
    const { pipeline } = await import('node:stream');
    const d = digestOf('verified bytes');
    const good = pipeline(Readable.from([Buffer.from('verified '), Buffer.from('bytes')]), new VerifyingStream({ digest: d, size: 14 }), () => {});
    const info = await store.ingest('ref-v', good, { expected: { digest: d, size: 14 }, sourceVerified: true });
    assert.equal(info.digest, d);
    assert.equal(await text(await store.reader(d)), 'verified bytes');

    // Same length, other bytes: the verifier fails before the end, so nothing is committed.
    const claimed = digestOf('other content!');
    const bad = pipeline(Readable.from([Buffer.from('lying content!')]), new VerifyingStream({ digest: claimed, size: 14 }), () => {});
    await assert.rejects(store.ingest('ref-bad', bad, { expected: { digest: claimed, size: 14 }, sourceVerified: true }), (e: any) => e.kind === 'corrupt');
    assert.equal(await store.exists(claimed), false);
    assert.deepEqual((await fs.readdir(path.join(layout.blobsDir, 'sha256'))).sort(), [d.slice(7)]);
  } finally {
    await done();
  }
});

test('sourceVerified needs the expected digest and size; unhashed bytes need a vouched digest to commit', async () => {
  const { store, done } = await fresh();
  try {
    await assert.rejects(store.ingest('ref-x', Readable.from([Buffer.from('x')]), { sourceVerified: true }), (e: any) => e.kind === 'failed-precondition');
    const d = digestOf('abc');
    const w = await store.writer('ref-y', { expected: { digest: d, size: 3 } });
    await w.write(Buffer.from('abc'), { hash: false });
    await assert.rejects(w.commit(), (e: any) => e.kind === 'failed-precondition' && /unhashed/.test(e.message));
    assert.equal(await store.exists(d), false);
  } finally {
    await done();
  }
});
