// The one conformance suite every StorageDriver passes (filesystem, in-memory, and the
// object-store drivers to come): call it from a test file with a factory.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import type { StorageDriver } from './driver.js';

async function readAll(s: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

const isNotFound = (e: any) => e?.kind === 'not-found';

export function driverSuite(name: string, make: () => Promise<{ driver: StorageDriver; cleanup(): Promise<void> }>): void {
  const withDriver = (title: string, body: (d: StorageDriver) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const { driver, cleanup } = await make();
      try {
        await body(driver);
      } finally {
        await cleanup();
      }
    });

  withDriver('putContent then getContent round-trips, overwrites, creates parents', async (d) => {
    await d.putContent('/a/b/c/link', 'one');
    assert.equal((await d.getContent('/a/b/c/link')).toString(), 'one');
    await d.putContent('/a/b/c/link', new Uint8Array([116, 119, 111]));
    assert.equal((await d.getContent('/a/b/c/link')).toString(), 'two');
  });

  withDriver('missing paths are not-found for every read', async (d) => {
    await assert.rejects(d.getContent('/nope'), isNotFound);
    await assert.rejects(d.reader('/nope'), isNotFound);
    await assert.rejects(d.stat('/nope'), isNotFound);
    await assert.rejects(d.list('/nope'), isNotFound);
    await assert.rejects(d.move('/nope', '/x'), isNotFound);
    await assert.rejects(d.delete('/nope'), isNotFound);
  });

  withDriver('paths that climb or are malformed are refused', async (d) => {
    for (const bad of ['', 'relative', '/a/../b', '/a/./b', '/a//b', '/a/b/', '/a b', '/a\n']) {
      await assert.rejects(d.putContent(bad, 'x'), (e: any) => e.kind === 'invalid-argument', bad);
    }
  });

  withDriver('reader streams from an offset and to an inclusive end', async (d) => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    await d.putContent('/big', data);
    assert.ok((await readAll(await d.reader('/big'))).equals(data));
    assert.ok((await readAll(await d.reader('/big', 1000))).equals(data.subarray(1000)));
    assert.ok((await readAll(await d.reader('/big', 10, { end: 19 }))).equals(data.subarray(10, 20)));
  });

  withDriver('copyTo, when offered, writes the exact range and refuses missing files', async (d) => {
    if (!d.copyTo) return;
    const data = Buffer.alloc(2 * 1024 * 1024 + 5);
    for (let i = 0; i < data.length; i++) data[i] = i % 253;
    await d.putContent('/copy/src', data);
    const { PassThrough } = await import('node:stream');
    const grab = async (offset: number, end: number) => {
      const sink = new PassThrough();
      const got = readAll(sink);
      await d.copyTo!('/copy/src', sink, offset, end);
      sink.end();
      return got;
    };
    assert.ok((await grab(0, data.length - 1)).equals(data));
    assert.ok((await grab(100, 600_000)).equals(data.subarray(100, 600_001)));
    await assert.rejects(d.copyTo('/copy/nope', new PassThrough(), 0, 1), isNotFound);
  });

  withDriver('writer writes, reports size, commits; append resumes', async (d) => {
    const w = await d.writer('/up/data', false);
    await w.write(Buffer.from('hello '));
    assert.equal(w.size, 6);
    await w.close();
    const w2 = await d.writer('/up/data', true);
    assert.equal(w2.size, 6);
    const big = Buffer.alloc(2 * 1024 * 1024 + 3, 1);
    await w2.write(Buffer.from('world'));
    await w2.write(big);
    assert.equal(w2.size, 11 + big.length);
    await w2.commit();
    const got = await d.getContent('/up/data');
    assert.equal(got.subarray(0, 11).toString(), 'hello world');
    assert.equal(got.length, 11 + big.length);
    assert.equal((await d.stat('/up/data')).size, 11 + big.length);
  });

  withDriver('writes of odd sizes across many appends keep every byte in place', async (d) => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 4099);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) % 256;
    // Pieces cross block and batch boundaries, and each session resumes mid-block.
    const cuts = [0, 1, 4095, 4097, 70_000, 1_048_576, 1_048_577, 1_200_003, 2_500_000, data.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const w = await d.writer('/odd/data', i > 0);
      assert.equal(w.size, cuts[i]);
      const mid = Math.floor((cuts[i] + cuts[i + 1]) / 2);
      await w.write(data.subarray(cuts[i], mid));
      await w.write(data.subarray(mid, cuts[i + 1]));
      assert.equal(w.size, cuts[i + 1]);
      if (i % 2) await w.close();
      else await w.commit();
    }
    assert.ok((await d.getContent('/odd/data')).equals(data));
    const nothing = await d.writer('/odd/data', true);
    await nothing.commit();
    assert.ok((await d.getContent('/odd/data')).equals(data), 'an append that writes nothing changes nothing');
  });

  withDriver('writer cancel removes the file', async (d) => {
    const w = await d.writer('/up/x', false);
    await w.write(Buffer.from('abc'));
    await w.cancel();
    await assert.rejects(d.stat('/up/x'), isNotFound);
  });

  withDriver('stat tells files from directories', async (d) => {
    await d.putContent('/dir/f', 'abc');
    const f = await d.stat('/dir/f');
    assert.equal(f.isDir, false);
    assert.equal(f.size, 3);
    assert.ok(f.modTime instanceof Date);
    assert.equal((await d.stat('/dir')).isDir, true);
  });

  withDriver('list returns sorted direct children as full paths', async (d) => {
    await d.putContent('/l/b', '1');
    await d.putContent('/l/a/x', '2');
    await d.putContent('/l/c/y/z', '3');
    assert.deepEqual(await d.list('/l'), ['/l/a', '/l/b', '/l/c']);
    assert.deepEqual(await d.list('/'), ['/l']);
  });

  withDriver('move renames files and trees, replacing the destination', async (d) => {
    await d.putContent('/m/src', 'new');
    await d.putContent('/n/dst', 'old');
    await d.move('/m/src', '/n/dst');
    assert.equal((await d.getContent('/n/dst')).toString(), 'new');
    await assert.rejects(d.stat('/m/src'), isNotFound);
    await d.putContent('/t/1/a', 'a');
    await d.move('/t/1', '/u/2');
    assert.equal((await d.getContent('/u/2/a')).toString(), 'a');
  });

  withDriver('delete removes a file or a whole tree, and nothing else', async (d) => {
    await d.putContent('/d/a/1', '1');
    await d.putContent('/d/a/2', '2');
    await d.putContent('/d/ab', '3');
    await d.delete('/d/a');
    await assert.rejects(d.stat('/d/a/1'), isNotFound);
    assert.equal((await d.getContent('/d/ab')).toString(), '3');
    await d.delete('/d/ab');
    await assert.rejects(d.getContent('/d/ab'), isNotFound);
  });

  withDriver('concurrent putContent to one path leaves one whole value', async (d) => {
    const values = Array.from({ length: 20 }, (_, i) => `value-${i}-${'x'.repeat(1000)}`);
    await Promise.all(values.map((v) => d.putContent('/race', v)));
    assert.ok(values.includes((await d.getContent('/race')).toString()));
    assert.deepEqual(await d.list('/'), ['/race']);
  });
}
