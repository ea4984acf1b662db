// Regression: a consumer that peeks (read() then unshift()) must not stall the writer.
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
