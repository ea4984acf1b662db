// Compression: sniffing without losing bytes, gzip and zstd round trips (zstd made by the
// real zstd CLI), refusals of bzip2/xz, corrupt input, and bounded output on bombs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isBerthError } from '../internal/errors.js';
import { compressGzip, compressZstd, decompress, detectCompression, peek } from './compression.js';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts, { objectMode: false });
}

const TEXT = Buffer.from('berth '.repeat(50_000));

test('detectCompression knows the magic numbers', () => {
  assert.equal(detectCompression(Buffer.from([0x1f, 0x8b, 8])), 'gzip');
  assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
  assert.equal(detectCompression(Buffer.from([0x5e, 0x2a, 0x4d, 0x18])), 'zstd');
  assert.equal(detectCompression(Buffer.from('BZh91AY')), 'bzip2');
  assert.equal(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])), 'xz');
  assert.equal(detectCompression(Buffer.from('etc/passwd')), 'none');
  assert.equal(detectCompression(Buffer.alloc(0)), 'none');
});

test('peek hands back every byte, even when the first chunks are tiny', async () => {
  const text = TEXT.subarray(0, 3000);
  for (const size of [1, 2, 5, 1000]) {
    const { head, stream } = await peek(chunked(text, size), 6);
    assert.equal(head.toString(), 'berth ');
    assert.ok((await bytesOf(stream)).equals(text), `chunks of ${size}`);
  }
});

test('peek on a stream shorter than the magic', async () => {
  const { head, stream } = await peek(Readable.from([Buffer.from('ab')]), 6);
  assert.equal(head.toString(), 'ab');
  assert.equal((await bytesOf(stream)).toString(), 'ab');
  const empty = await peek(Readable.from([]), 6);
  assert.equal(empty.head.length, 0);
  assert.equal((await bytesOf(empty.stream)).length, 0);
});

test('a plain stream comes back as it is', async () => {
  const { format, stream } = await decompress(chunked(TEXT, 3000));
  assert.equal(format, 'none');
  assert.ok((await bytesOf(stream)).equals(TEXT));
});

test('gzip round trip through compressGzip and decompress', async () => {
  const gz = new PassThrough();
  const compressing = pipeline(chunked(TEXT, 10_000), compressGzip(), gz);
  const { format, stream } = await decompress(gz);
  assert.equal(format, 'gzip');
  assert.ok((await bytesOf(stream)).equals(TEXT));
  await compressing;
});

test('compressGzip: the same bytes whatever the concurrency, read by the gzip CLI, empty input valid', async () => {
  const input = Buffer.alloc(3_500_000);
  for (let i = 0; i < input.length; i++) input[i] = (i * 31 + (i >> 10)) & 0xff;
  const gz = async (concurrency: number, bytes: Buffer) => {
    const parts: Buffer[] = [];
    await pipeline(chunked(bytes, 100_000), compressGzip(1, { concurrency }), new Writable({
        write: (c: Buffer, _e, cb) => {
          parts.push(c);
          cb();
        },
      }),);
    return Buffer.concat(parts);
  };
  const one = await gz(1, input);
  assert.ok(one.equals(await gz(4, input)));
  assert.ok(execFileSync('gzip', ['-dc'], { input: one, maxBuffer: 1 << 30 }).equals(input));
  assert.equal(execFileSync('gzip', ['-dc'], { input: await gz(2, Buffer.alloc(0)) }).length, 0);
});

test('gzip with several members (as pigz writes) reads through', async () => {
  const two = Buffer.concat([gzipSync(Buffer.from('first ')), gzipSync(Buffer.from('second'))]);
  const { stream } = await decompress(chunked(two, 7));
  assert.equal((await bytesOf(stream)).toString(), 'first second');
});

test('zstd made by the zstd CLI, several frames, tiny chunks', async () => {
  const one = execFileSync('zstd', ['-q', '-c', '-3'], { input: TEXT });
  const two = execFileSync('zstd', ['-q', '-c', '--no-check'], { input: Buffer.from('tail') });
  const { format, stream } = await decompress(chunked(Buffer.concat([one, two]), 333));
  assert.equal(format, 'zstd');
  assert.ok((await bytesOf(stream)).equals(Buffer.concat([TEXT, Buffer.from('tail')])));
});

test('peeking at decompressed zstd (read + unshift) does not stall the decoder', async () => {
  const big = Buffer.alloc(6 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) & 0xff;
  const zst = execFileSync('zstd', ['-q', '-c', '-1'], { input: big, maxBuffer: 1 << 30 });
  const { stream } = await decompress(chunked(zst, 64 * 1024));
  const peeked = await peek(stream, 6);
  assert.ok((await bytesOf(peeked.stream)).equals(big));
});

test('hostile: corrupt gzip is a corrupt error', async () => {
  const gz = gzipSync(TEXT);
  gz.fill(0x55, 20, 60);
  const { stream } = await decompress(chunked(gz, 100));
  await assert.rejects(bytesOf(stream), (e: unknown) => isBerthError(e, 'corrupt') && /cannot decompress gzip/.test(e.message));
});

test('hostile: truncated gzip is a corrupt error', async () => {
  const gz = gzipSync(TEXT).subarray(0, 200);
  const { stream } = await decompress(chunked(gz, 100));
  await assert.rejects(bytesOf(stream), (e: unknown) => isBerthError(e, 'corrupt'));
});

test('hostile: truncated zstd is a corrupt error', async () => {
  const zst = execFileSync('zstd', ['-q', '-c'], { input: TEXT }).subarray(0, 40);
  const { stream } = await decompress(chunked(zst, 10));
  await assert.rejects(bytesOf(stream), (e: unknown) => isBerthError(e, 'corrupt') && /cannot decompress zstd/.test(e.message));
});

test('hostile: bzip2 and xz are refused clearly and the source destroyed', async () => {
  for (const [magic, name] of [
    [Buffer.from('BZh91AY&SY'), 'bzip2'],
    [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 4]), 'xz'],
  ] as const) {
    const src = Readable.from([magic]);
    await assert.rejects(decompress(src), (e: unknown) => isBerthError(e, 'unsupported') && e.message.includes(`${name} compressed layers are not supported`));
    assert.ok(src.destroyed);
  }
});

test('hostile: a zstd bomb is decompressed with backpressure, not all at once', async () => {
  // 256 MiB of zeros is a few KiB of zstd; a reader that stops after 1 MiB must not make 256 MiB.
  const bomb = execFileSync('bash', ['-c', 'head -c 268435456 /dev/zero | zstd -q -c -19']);
  assert.ok(bomb.length < 64 * 1024);
  const { stream } = await decompress(chunked(bomb, 64 * 1024));
  let got = 0;
  for await (const c of stream) {
    got += (c as Buffer).length;
    if (got > 1024 * 1024) break;
  }
  const before = process.memoryUsage().arrayBuffers;
  assert.ok(before < 64 * 1024 * 1024, `${before} bytes of buffers after reading 1 MiB of a bomb`);
});

test('a source error reaches the decompressed stream', async () => {
  const src = new PassThrough();
  src.write(gzipSync(TEXT).subarray(0, 100));
  const { stream } = await decompress(src);
  src.destroy(new Error('connection reset'));
  await assert.rejects(bytesOf(stream), /connection reset/);
});

test('zstd -19 multi-frame with skippable frames, read in chunks big and small', async () => {
  const one = execFileSync('zstd', ['-q', '-c', '-19'], { input: TEXT });
  const skippable = Buffer.concat([Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 5, 0, 0, 0]), Buffer.from('skip!')]);
  const two = execFileSync('zstd', ['-q', '-c', '-1', '--no-check'], { input: Buffer.from('tail') });
  const all = Buffer.concat([skippable, one, skippable, two, skippable]);
  for (const size of [7, 64 * 1024, all.length]) {
    const { format, stream } = await decompress(chunked(all, size));
    assert.equal(format, 'zstd');
    assert.ok((await bytesOf(stream)).equals(Buffer.concat([TEXT, Buffer.from('tail')])), `chunks of ${size}`);
  }
});

test('compressZstd output is read by zstd -d, and at every level back by decompress', async () => {
  const big = Buffer.alloc(3 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 10)) & 0xff;
  for (const level of [1, 3, 19]) {
    const zst = new PassThrough();
    const done = bytesOf(zst);
    await pipeline(chunked(big, 100_000), compressZstd(level), zst);
    const packed = await done;
    assert.equal(detectCompression(packed), 'zstd');
    const cli = execFileSync('zstd', ['-q', '-d', '-c'], { input: packed, maxBuffer: 1 << 30 });
    assert.ok(cli.equals(big), `zstd -d reads level ${level}`);
    const { stream } = await decompress(chunked(packed, 5000));
    assert.ok((await bytesOf(stream)).equals(big));
  }
  const empty = new PassThrough();
  const emptyDone = bytesOf(empty);
  await pipeline(Readable.from([]), compressZstd(), empty);
  assert.equal(execFileSync('zstd', ['-q', '-d', '-c'], { input: await emptyDone }).length, 0);
});

test('hostile: corrupt zstd is a corrupt error', async () => {
  const zst = execFileSync('zstd', ['-q', '-c'], { input: TEXT });
  zst.fill(0x55, 12, 40);
  const { stream } = await decompress(chunked(zst, 100));
  await assert.rejects(bytesOf(stream), (e: unknown) => isBerthError(e, 'corrupt') && /cannot decompress zstd/.test(e.message));
});

test('hostile: zstd with garbage after a valid frame is a corrupt error', async () => {
  const zst = Buffer.concat([execFileSync('zstd', ['-q', '-c'], { input: TEXT }), Buffer.from('garbage!')]);
  const { stream } = await decompress(chunked(zst, 64 * 1024));
  await assert.rejects(bytesOf(stream), (e: unknown) => isBerthError(e, 'corrupt') && /cannot decompress zstd/.test(e.message));
});

test('hostile: zstd cut at a block boundary (no last block) is a truncated corrupt error', async () => {
  const zst = execFileSync('zstd', ['-q', '-c', '--no-check', '-B65536'], { input: TEXT });
  const { stream } = await decompress(chunked(zst.subarray(0, zst.length - 3), 64 * 1024));
  await assert.rejects(bytesOf(stream), (e: unknown) => isBerthError(e, 'corrupt') && /truncated|cannot decompress zstd/.test(e.message));
});

test('compressZstd gives the same bytes however the input is cut (layer digests are reproducible)', async () => {
  const big = Buffer.alloc(2 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 13 + (i >> 9)) & 0xff;
  const outputs: Buffer[] = [];
  for (const size of [999, 64 * 1024, 300_000, big.length]) {
    const zst = new PassThrough();
    const done = bytesOf(zst);
    await pipeline(chunked(big, size), compressZstd(), zst);
    outputs.push(await done);
  }
  for (const out of outputs.slice(1)) assert.ok(out.equals(outputs[0]));
});

test('an abort while the first bytes are awaited (a stalled source) ends decompress at once, the source destroyed', async () => {
  const stalled = new PassThrough();
  const controller = new AbortController();
  const pending = decompress(stalled, { signal: controller.signal });
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(pending, (e: unknown) => isBerthError(e, 'aborted'));
  assert.ok(stalled.destroyed);
});

test('an abort after detection ends a plain stream too, not only a decompressing one', async () => {
  const src = new PassThrough();
  src.write(Buffer.alloc(600, 1));
  const controller = new AbortController();
  const { format, stream } = await decompress(src, { signal: controller.signal });
  assert.equal(format, 'none');
  const reading = (async () => {
    for await (const _ of stream);
  })();
  controller.abort();
  await assert.rejects(reading, (e: unknown) => isBerthError(e, 'aborted'));
});
