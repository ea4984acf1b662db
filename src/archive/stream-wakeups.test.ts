// Regressions: lost wake-ups between the tar streams and their consumers (peek, slow sinks).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decompress } from './compression.js';
import { tarHeader } from './entry.js';
import { readTar } from './tar-reader.js';
import { TarWriter } from './tar-writer.js';

test('a TarWriter read through decompress() (peek + unshift) delivers a 4 MiB body', async () => {
  const writer = new TarWriter();
  const body = Buffer.alloc(4 << 20, 7);
  const writing = (async () => {
    await writer.add(tarHeader({ name: 'big.bin', type: 'file', size: body.length }), body);
    await writer.add(tarHeader({ name: 'after', type: 'file', size: 1 }), Buffer.from('x'));
    await writer.finish();
  })();
  const { stream } = await decompress(writer);
  const sizes: number[] = [];
  for await (const entry of readTar(stream)) {
    let n = 0;
    for await (const chunk of entry.body) n += (chunk as Buffer).length;
    sizes.push(n);
  }
  await writing;
  assert.deepEqual(sizes, [body.length, 1]);
});

test('readTar delivers a whole 8 MiB body from 1 MiB input chunks to a slow consumer', async () => {
  const { Readable, Writable } = await import('node:stream');
  const { pipeline } = await import('node:stream/promises');
  const writer = new TarWriter();
  const body = Buffer.alloc(8 << 20, 3);
  const writing = (async () => {
    await writer.add(tarHeader({ name: 'big', type: 'file', size: body.length }), body);
    await writer.finish();
  })();
  const parts: Buffer[] = [];
  for await (const c of writer) parts.push(c as Buffer);
  await writing;
  const tar = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let i = 0; i < tar.length; i += 1 << 20) chunks.push(tar.subarray(i, i + (1 << 20)));
  let n = 0;
  for await (const entry of readTar(Readable.from(chunks))) {
    await pipeline(
      entry.body,
      new Writable({
        write(c: Buffer, _e, cb) {
          n += c.length;
          setImmediate(cb);
        },
      }),
    );
  }
  assert.equal(n, body.length);
});
