import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { Digester, digestHex, digestOf, EMPTY_SHA256, isDigest, parseDigest } from './digest.js';
import { DigestingStream, VerifyingStream } from './verify.js';

test('parseDigest accepts registered algorithms with exact lengths', () => {
  assert.equal(parseDigest(EMPTY_SHA256), EMPTY_SHA256);
  assert.equal(digestHex(EMPTY_SHA256).length, 64);
  const s512 = `sha512:${'a'.repeat(128)}`;
  assert.equal(parseDigest(s512), s512);
});

test('parseDigest rejects malformed digests with the reason', () => {
  for (const bad of ['', 'sha256', 'sha256:', `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, `sha512:${'a'.repeat(64)}`, ':abc', `sha256:${'a'.repeat(64)}\n`]) {
    assert.throws(() => parseDigest(bad), (e: any) => e.kind === 'invalid-argument', bad);
  }
  assert.throws(() => parseDigest(`md5:${'a'.repeat(32)}`), (e: any) => e.kind === 'unsupported');
  assert.equal(isDigest('nope'), false);
});

test('digestOf and Digester agree', () => {
  const d = new Digester();
  d.update(Buffer.from('hello '));
  d.update(Buffer.from('world'));
  assert.equal(d.digest(), digestOf('hello world'));
  assert.equal(digestOf(''), EMPTY_SHA256);
});

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

test('VerifyingStream passes matching content', async () => {
  const v = new VerifyingStream({ size: 11, digest: digestOf('hello world') });
  await pipeline(Readable.from([Buffer.from('hello '), Buffer.from('world')]), v, sink());
  assert.equal(v.digest, digestOf('hello world'));
});

test('VerifyingStream fails on a lying digest, a short body and a long body', async () => {
  await assert.rejects(
    pipeline(Readable.from([Buffer.from('hello')]), new VerifyingStream({ digest: digestOf('other') }), sink()),
    (e: any) => e.kind === 'corrupt' && /does not match its digest/.test(e.message),
  );
  await assert.rejects(
    pipeline(Readable.from([Buffer.from('hel')]), new VerifyingStream({ size: 5 }), sink()),
    (e: any) => e.kind === 'corrupt' && /truncated/.test(e.message),
  );
  await assert.rejects(
    pipeline(Readable.from([Buffer.from('hello!')]), new VerifyingStream({ size: 5, what: 'blob x' }), sink()),
    (e: any) => e.kind === 'corrupt' && /blob x is larger/.test(e.message),
  );
});

test('DigestingStream measures', async () => {
  const d = new DigestingStream();
  await pipeline(Readable.from([Buffer.from('abc')]), d, sink());
  assert.equal(d.digest, digestOf('abc'));
  assert.equal(d.size, 3);
});
