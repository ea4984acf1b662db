// Mutated archives (flipped bytes, cut ends, spliced headers) from a fixed seed: each must
// end in entries or a BerthError, never a hang, a crash or a foreign error type.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import { tarHeader } from './entry.js';
import { readTar } from './tar-reader.js';
import { TarWriter } from './tar-writer.js';

function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

async function sample(): Promise<Buffer> {
  const writer = new TarWriter({ preciseMtime: true });
  const parts: Buffer[] = [];
  writer.on('data', (c: Buffer) => parts.push(c));
  const ended = new Promise((r) => writer.on('end', r));
  await writer.add(tarHeader({ name: 'dir/', type: 'directory' }));
  await writer.add(tarHeader({ name: `dir/${'long'.repeat(40)}`, type: 'file', size: 700, mtime: 1.5, uid: 3_000_000 }), Buffer.alloc(700, 7));
  await writer.add(tarHeader({ name: 'dir/x', type: 'file', size: 3, xattrs: new Map([['user.a', Buffer.from('b')]]) }), Buffer.from('abc'));
  await writer.add(tarHeader({ name: 'dir/l', type: 'symlink', linkname: 't'.repeat(120) }));
  await writer.finish();
  await ended;
  return Buffer.concat(parts);
}

test('1,500 mutated archives end in entries or a BerthError', async () => {
  const base = await sample();
  const next = random(20_260_101);
  const kinds = new Map<string, number>();
  for (let i = 0; i < 1500; i++) {
    const bytes = Buffer.from(base);
    const flips = 1 + Math.floor(next() * 8);
    for (let f = 0; f < flips; f++) {
      const at = Math.floor(next() * Math.min(bytes.length, 4 * 512));
      bytes[at] = Math.floor(next() * 256);
    }
    // Keep the checksums right half of the time, so the parser behind them is reached.
    if (next() < 0.5) {
      for (let off = 0; off + 512 <= bytes.length; off += 512) {
        const block = bytes.subarray(off, off + 512);
        if (!block.subarray(257, 262).equals(Buffer.from('ustar'))) continue;
        block.fill(0x20, 148, 156);
        let sum = 0;
        for (const b of block) sum += b;
        block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      }
    }
    const cut = next() < 0.3 ? Math.floor(next() * bytes.length) : bytes.length;
    const input = Readable.from([bytes.subarray(0, cut)]);
    try {
      for await (const entry of readTar(input, { maxEntrySize: 1 << 20 })) {
        if (next() < 0.5) await entry.readAll(1 << 20);
        else for await (const _ of entry.body);
      }
      kinds.set('ok', (kinds.get('ok') ?? 0) + 1);
    } catch (err) {
      assert.ok(isBerthError(err), `case ${i}: ${String(err)}`);
      assert.match(err.message, /^cannot read/);
      kinds.set(err.kind, (kinds.get(err.kind) ?? 0) + 1);
    }
  }
  assert.ok((kinds.get('ok') ?? 0) > 0 && kinds.size > 2, JSON.stringify([...kinds]));
});
