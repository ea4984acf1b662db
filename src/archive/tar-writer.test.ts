// TarWriter: ustar when it fits, pax when not, identical bytes for identical entries,
// size checks against header.size, and backpressure towards a slow reader.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import { type TarHeader, tarHeader } from './entry.js';
import { BLOCK, TYPEFLAG } from './tar-header.js';
import { readTar } from './tar-reader.js';
import { TarWriter } from './tar-writer.js';

async function drain(writer: TarWriter): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of writer) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function write(entries: [TarHeader, (Buffer | Readable)?][], options = {}): Promise<Buffer> {
  const writer = new TarWriter(options);
  const out = drain(writer);
  for (const [h, body] of entries) await writer.add(h, body);
  await writer.finish();
  return out;
}

function sample(): [TarHeader, Buffer?][] {
  return [
    [tarHeader({ name: 'app/', type: 'directory', mtime: 1_700_000_000.75 })],
    [
      tarHeader({
        name: `app/${'long-'.repeat(40)}name.txt`,
        type: 'file',
        size: 4,
        xattrs: new Map([
          ['user.b', Buffer.from('2')],
          ['user.a', Buffer.from('1')],
        ]),
      }),
      Buffer.from('data'),
    ],
    [tarHeader({ name: 'app/link', type: 'symlink', linkname: '/'.concat('x'.repeat(200)) })],
  ];
}

test('the same entries give the same bytes', async () => {
  const a = await write(sample());
  const b = await write(sample());
  assert.ok(a.equals(b));
  assert.ok(!a.includes(Buffer.from(String(process.pid))), 'no process id in the archive');
  assert.ok(a.includes(Buffer.from('PaxHeaders/long-long-')), 'pax headers have fixed names');
});

test('xattrs are written sorted, whatever order the map was filled in', async () => {
  const h1 = tarHeader({ name: 'f', type: 'file', xattrs: new Map([['user.b', Buffer.from('2')], ['user.a', Buffer.from('1')]]) });
  const h2 = tarHeader({ name: 'f', type: 'file', xattrs: new Map([['user.a', Buffer.from('1')], ['user.b', Buffer.from('2')]]) });
  assert.ok((await write([[h1, Buffer.alloc(0)]])).equals(await write([[h2, Buffer.alloc(0)]])));
});

test('plain entries need no pax header; the archive is headers, bodies and two zero blocks', async () => {
  const bytes = await write([[tarHeader({ name: 'a', type: 'file', size: 3 }), Buffer.from('abc')]]);
  assert.equal(bytes.length, 4 * BLOCK);
  assert.equal(bytes[TYPEFLAG], 0x30);
  assert.equal(bytes.subarray(257, 265).toString('latin1'), 'ustar\x0000');
  assert.ok(bytes.subarray(2 * BLOCK).equals(Buffer.alloc(2 * BLOCK)));
});

test('a name of up to 256 bytes is split into prefix and name without pax', async () => {
  const name = `${'p'.repeat(150)}/${'n'.repeat(99)}`;
  const bytes = await write([[tarHeader({ name, type: 'file' }), Buffer.alloc(0)]]);
  assert.equal(bytes[TYPEFLAG], 0x30, 'no pax header');
  for await (const e of readTar(Readable.from([bytes]))) assert.equal(e.header.name, name);
});

test('fractional mtimes are whole seconds unless preciseMtime is asked for', async () => {
  const h = tarHeader({ name: 'f', type: 'file', mtime: 1_700_000_000.25 });
  const plain = await write([[h, Buffer.alloc(0)]]);
  assert.equal(plain[TYPEFLAG], 0x30);
  for await (const e of readTar(Readable.from([plain]))) assert.equal(e.header.mtime, 1_700_000_000);
  const precise = await write([[h, Buffer.alloc(0)]], { preciseMtime: true });
  assert.equal(precise[TYPEFLAG], 0x78);
  assert.ok(precise.includes(Buffer.from('23 mtime=1700000000.25\n')));
  for await (const e of readTar(Readable.from([precise]))) assert.equal(e.header.mtime, 1_700_000_000.25);
});

test('negative mtimes, huge ids and long owner names travel as pax records', async () => {
  const h = tarHeader({ name: 'f', type: 'file', mtime: -5, uid: 2 ** 40, gid: 2 ** 22, uname: 'u'.repeat(40), gname: 'grüppe', devmajor: 0 });
  const [e] = await (async () => {
    const out = [];
    for await (const e of readTar(Readable.from([await write([[h, Buffer.alloc(0)]])]))) out.push(e.header);
    return out;
  })();
  assert.deepEqual(e, h);
});

test('a Buffer body of the wrong length is refused before anything is written', async () => {
  const writer = new TarWriter();
  const out = drain(writer);
  await assert.rejects(writer.add(tarHeader({ name: 'f', type: 'file', size: 10 }), Buffer.from('short')), (e: unknown) => {
    return isBerthError(e, 'corrupt') && /body is 5 bytes, the header says 10/.test(e.message);
  });
  await writer.add(tarHeader({ name: 'g', type: 'file', size: 2 }), Buffer.from('ok'));
  await writer.finish();
  const names = [];
  for await (const e of readTar(Readable.from([await out]))) names.push(e.header.name);
  assert.deepEqual(names, ['g']);
});

test('a stream body shorter than header.size fails the archive', async () => {
  const writer = new TarWriter();
  writer.on('error', () => {});
  writer.resume();
  await assert.rejects(writer.add(tarHeader({ name: 'f', type: 'file', size: 10 }), Readable.from([Buffer.from('abc')])), /body ended after 3 of 10 bytes/);
  assert.ok(writer.destroyed);
  await assert.rejects(writer.add(tarHeader({ name: 'g', type: 'file' })), /body ended after 3 of 10 bytes/);
});

test('a stream body longer than header.size fails the archive and is destroyed', async () => {
  const writer = new TarWriter();
  writer.on('error', () => {});
  writer.resume();
  const body = Readable.from([Buffer.alloc(6), Buffer.alloc(6)]);
  await assert.rejects(writer.add(tarHeader({ name: 'f', type: 'file', size: 10 }), body), (e: unknown) => isBerthError(e, 'corrupt'));
  assert.ok(body.destroyed);
});

test('bad headers are refused with invalid-argument', async () => {
  const writer = new TarWriter();
  for (const [h, re] of [
    [tarHeader({ name: 'a\0b', type: 'file' }), /name contains a NUL byte/],
    [tarHeader({ name: '', type: 'file' }), /empty name/],
    [tarHeader({ name: 'l', type: 'symlink' }), /a symlink needs a target/],
    [tarHeader({ name: 'f', type: 'file', uid: -1 }), /uid -1 is not a non-negative integer/],
    [tarHeader({ name: 'f', type: 'file', xattrs: new Map([['a=b', Buffer.alloc(0)]]) }), /xattr name "a=b" cannot be written/],
  ] as const) {
    await assert.rejects(writer.add(h, Buffer.alloc(0)), (e: unknown) => isBerthError(e, 'invalid-argument') && re.test(e.message));
  }
  await assert.rejects(writer.add(tarHeader({ name: 'd', type: 'directory' }), Buffer.from('x')), /a directory has no body/);
  await assert.rejects(writer.add(tarHeader({ name: 'f', type: 'file', size: 1 })), /needs a body/);
});

test('add() waits while the reader side is full (backpressure)', async () => {
  const writer = new TarWriter({ highWaterMark: 64 * 1024 });
  const size = 32 * 1024 * 1024;
  let produced = 0;
  const body = new Readable({
    read() {
      if (produced >= size) this.push(null);
      else {
        produced += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024));
      }
    },
  });
  const adding = writer.add(tarHeader({ name: 'big', type: 'file', size }), body);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(produced < 2 * 1024 * 1024, `the writer pulled ${produced} bytes with nobody reading`);
  const out = drain(writer);
  await adding;
  await writer.finish();
  assert.equal((await out).length, BLOCK + size + 2 * BLOCK);
});

test('many small files are batched into few large chunks', async () => {
  const writer = new TarWriter();
  const chunks: number[] = [];
  const done = (async () => {
    for await (const c of writer) chunks.push((c as Buffer).length);
  })();
  for (let i = 0; i < 2000; i++) await writer.add(tarHeader({ name: `f${i}`, type: 'file', size: 10 }), Buffer.alloc(10));
  await writer.finish();
  await done;
  assert.ok(chunks.length < 50, `${chunks.length} chunks`);
  assert.equal(
    chunks.reduce((a, b) => a + b, 0),
    2000 * 2 * BLOCK + 2 * BLOCK,
  );
});

test('add() after finish() is refused', async () => {
  const writer = new TarWriter();
  writer.resume();
  await writer.finish();
  await assert.rejects(writer.add(tarHeader({ name: 'late', type: 'file' })), (e: unknown) => isBerthError(e, 'failed-precondition'));
});

test('an aborted signal fails pending adds', async () => {
  const controller = new AbortController();
  const writer = new TarWriter({ signal: controller.signal, highWaterMark: 1024 });
  writer.on('error', () => {});
  const adding = writer.add(tarHeader({ name: 'f', type: 'file', size: 1 << 20 }), Buffer.alloc(1 << 20));
  controller.abort();
  await assert.rejects(adding, (e: unknown) => isBerthError(e, 'aborted'));
});
