// GNU sparse files through readTar: old GNU 'S' headers (with extension blocks), pax 1.0
// and 0.1 maps, holes filled with zeros; hostile maps each fail with a clear error.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import { paxRecord } from './pax.js';
import { BLOCK, MAGIC, writeChecksum, writeOctal } from './tar-header.js';
import { type ReadTarOptions, readTar } from './tar-reader.js';

const END = Buffer.alloc(2 * BLOCK);

function header(name: string, flag: string, size: number, gnu = false): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 100, 'utf8');
  writeOctal(b, 100, 8, 0o644);
  writeOctal(b, 108, 8, 0);
  writeOctal(b, 116, 8, 0);
  writeOctal(b, 124, 12, size);
  writeOctal(b, 136, 12, 1_700_000_000);
  b.write(flag, 156, 1, 'latin1');
  b.write(gnu ? 'ustar  \x00' : 'ustar\x0000', MAGIC, 8, 'latin1');
  return b;
}

function padded(body: Buffer): Buffer {
  return Buffer.concat([body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK)]);
}

/** An old GNU 'S' entry: runs in the header's four slots, the rest in extension blocks. */
function oldGnuSparse(name: string, runs: [number, number][], realSize: number, data: Buffer): Buffer {
  const h = header(name, 'S', data.length, true);
  const slot = (block: Buffer, at: number, [offset, length]: [number, number]) => {
    writeOctal(block, at, 12, offset);
    writeOctal(block, at + 12, 12, length);
  };
  runs.slice(0, 4).forEach((run, i) => {
    slot(h, 386 + i * 24, run);
  });
  writeOctal(h, 483, 12, realSize);
  const extensions: Buffer[] = [];
  for (let i = 4; i < runs.length; i += 21) {
    const ext = Buffer.alloc(BLOCK);
    runs.slice(i, i + 21).forEach((run, j) => {
      slot(ext, j * 24, run);
    });
    extensions.push(ext);
  }
  if (extensions.length > 0) h[482] = 1;
  extensions.forEach((ext, i) => {
    ext[504] = i < extensions.length - 1 ? 1 : 0;
  });
  writeChecksum(h);
  return Buffer.concat([h, ...extensions, padded(data)]);
}

function paxEntry(records: Buffer[], name: string, body: Buffer): Buffer {
  const pax = Buffer.concat(records);
  const x = header('PaxHeaders/x', 'x', pax.length);
  writeChecksum(x);
  const h = header(name, '0', body.length);
  writeChecksum(h);
  return Buffer.concat([x, padded(pax), h, padded(body)]);
}

function plain(name: string, body: Buffer): Buffer {
  const h = header(name, '0', body.length);
  writeChecksum(h);
  return Buffer.concat([h, padded(body)]);
}

/** The real file a sparse map describes. */
function expanded(runs: [number, number][], realSize: number, data: Buffer): Buffer {
  const out = Buffer.alloc(realSize);
  let at = 0;
  for (const [offset, length] of runs) {
    data.copy(out, offset, at, at + length);
    at += length;
  }
  return out;
}

async function entries(bytes: Buffer, options: ReadTarOptions = {}): Promise<{ name: string; size: number; body: Buffer }[]> {
  const out = [];
  for await (const e of readTar(Readable.from([bytes]), options)) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c as Buffer);
    out.push({ name: e.header.name, size: e.header.size, body: Buffer.concat(parts) });
  }
  return out;
}

async function rejects(bytes: Buffer, kind: string, message: RegExp, options: ReadTarOptions = {}): Promise<void> {
  await assert.rejects(entries(bytes, options), (e: unknown) => isBerthError(e) && e.kind === kind && message.test(e.message));
}

const RUNS: [number, number][] = [
  [1000, 5],
  [70_000, 3],
];
const DATA = Buffer.from('hellotop');

test("old GNU 'S': the holes come back as zeros and the next entry follows", async () => {
  const got = await entries(Buffer.concat([oldGnuSparse('disk.img', RUNS, 100_000, DATA), plain('next', Buffer.from('n')), END]));
  assert.equal(got[0].name, 'disk.img');
  assert.equal(got[0].size, 100_000);
  assert.ok(got[0].body.equals(expanded(RUNS, 100_000, DATA)));
  assert.equal(got[1].body.toString(), 'n');
});

test("old GNU 'S' with extension blocks (30 runs)", async () => {
  const runs: [number, number][] = Array.from({ length: 30 }, (_, i) => [i * 10_000, 4]);
  const data = Buffer.from('abcd'.repeat(30));
  const [entry] = await entries(Buffer.concat([oldGnuSparse('many', runs, 400_000, data), END]));
  assert.ok(entry.body.equals(expanded(runs, 400_000, data)));
});

test('sparse bodies by readAll, and untouched sparse bodies skipped', async () => {
  const bytes = Buffer.concat([oldGnuSparse('a', RUNS, 100_000, DATA), oldGnuSparse('b', RUNS, 100_000, DATA), plain('c', Buffer.from('c')), END]);
  const seen: string[] = [];
  for await (const e of readTar(Readable.from([bytes]))) {
    if (e.header.name === 'a') assert.ok((await e.readAll()).equals(expanded(RUNS, 100_000, DATA)));
    seen.push(e.header.name);
  }
  assert.deepEqual(seen, ['a', 'b', 'c']);
});

test('pax 1.0: the map opens the data', async () => {
  const map = padded(Buffer.from(`2\n1000\n5\n70000\n3\n`));
  const bytes = paxEntry(
    [paxRecord('GNU.sparse.major', '1'), paxRecord('GNU.sparse.minor', '0'), paxRecord('GNU.sparse.name', 'real/name.img'), paxRecord('GNU.sparse.realsize', '100000')],
    './GNUSparseFile.1/name.img',
    Buffer.concat([map, DATA]),
  );
  const [entry] = await entries(Buffer.concat([bytes, END]));
  assert.equal(entry.name, 'real/name.img');
  assert.ok(entry.body.equals(expanded(RUNS, 100_000, DATA)));
});

test('pax 0.1: the map is a record', async () => {
  const bytes = paxEntry([paxRecord('GNU.sparse.map', '1000,5,70000,3'), paxRecord('GNU.sparse.size', '100000'), paxRecord('GNU.sparse.name', 'x.img')], 'GNUSparseFile.0/x.img', DATA);
  const [entry] = await entries(Buffer.concat([bytes, END]));
  assert.equal(entry.name, 'x.img');
  assert.ok(entry.body.equals(expanded(RUNS, 100_000, DATA)));
});

test('hostile: sparse runs that overlap', async () => {
  await rejects(
    Buffer.concat([
      oldGnuSparse(
        'bad',
        [
          [100, 5],
          [102, 3],
        ],
        1000,
        DATA,
      ),
      END,
    ]),
    'invalid-argument',
    /sparse map of "bad" has overlapping or out-of-range runs/,
  );
});

test('hostile: sparse runs beyond the real size', async () => {
  await rejects(Buffer.concat([oldGnuSparse('bad', RUNS, 50_000, DATA), END]), 'invalid-argument', /out-of-range runs/);
});

test('hostile: sparse runs that do not add up to the stored data', async () => {
  await rejects(Buffer.concat([oldGnuSparse('bad', [[0, 3]], 1000, DATA), END]), 'invalid-argument', /lists 3 bytes of data, the entry stores 8/);
});

test('hostile: a sparse bomb (8 GiB of holes in a 2 KiB archive) is refused', async () => {
  const real = 0o77777777777;
  await rejects(Buffer.concat([oldGnuSparse('bomb', [[real - 8, 8]], real, DATA), END]), 'resource-exhausted', /sparse file "bomb" of 8589934591 bytes exceeds the limit of 1073741824/, {
    maxSparseSize: 1 << 30,
  });
});

test('hostile: a pax 1.0 map claiming a million runs', async () => {
  const bytes = paxEntry(
    [paxRecord('GNU.sparse.major', '1'), paxRecord('GNU.sparse.minor', '0'), paxRecord('GNU.sparse.realsize', '100')],
    'x',
    padded(Buffer.from('1000000\n0\n')),
  );
  await rejects(Buffer.concat([bytes, END]), 'resource-exhausted', /more than 100000 runs/);
});

test('hostile: a pax 1.0 map that is not numbers', async () => {
  const bytes = paxEntry([paxRecord('GNU.sparse.major', '1'), paxRecord('GNU.sparse.minor', '0'), paxRecord('GNU.sparse.realsize', '100')], 'x', padded(Buffer.from('1\nzero\n')));
  await rejects(Buffer.concat([bytes, END]), 'invalid-argument', /sparse map of "x" is malformed/);
});

test('hostile: extension blocks cut short', async () => {
  const runs: [number, number][] = Array.from({ length: 30 }, (_, i) => [i * 10, 1]);
  const full = oldGnuSparse('cut', runs, 1000, Buffer.alloc(30, 1));
  await rejects(full.subarray(0, BLOCK + 100), 'invalid-argument', /truncated sparse map of "cut"/);
});

test('hostile: pax sparse format 0.0 is refused clearly', async () => {
  const bytes = paxEntry([paxRecord('GNU.sparse.offset', '0'), paxRecord('GNU.sparse.numbytes', '8'), paxRecord('GNU.sparse.size', '8')], 'old', DATA);
  await rejects(Buffer.concat([bytes, END]), 'unsupported', /pax format 0.0/);
});
