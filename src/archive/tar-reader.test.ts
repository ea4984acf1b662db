// readTar on hand-made archives: every header feature, the body/skip contract,
// backpressure, and one test per hostile or malformed input with its clear error.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import { type TarHeader, tarHeader } from './entry.js';
import { paxRecord } from './pax.js';
import { BLOCK, CHKSUM, computeChecksum, MAGIC, NAME, SIZE, TYPEFLAG, writeChecksum, writeOctal } from './tar-header.js';
import { readTar, type TarReaderEntry } from './tar-reader.js';
import { TarWriter } from './tar-writer.js';

interface RawFields {
  name?: string;
  type?: string;
  size?: number;
  sizeField?: Buffer;
  linkname?: string;
  magic?: 'ustar' | 'gnu' | 'v7';
}

/** One header block built by hand, so tests can say things a correct writer never would. */
function rawHeader(f: RawFields): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(f.name ?? 'file', NAME, 100, 'utf8');
  writeOctal(b, 100, 8, 0o644);
  writeOctal(b, 108, 8, 0);
  writeOctal(b, 116, 8, 0);
  if (f.sizeField) f.sizeField.copy(b, SIZE);
  else writeOctal(b, SIZE, 12, f.size ?? 0);
  writeOctal(b, 136, 12, 1_700_000_000);
  b.write(f.type ?? '0', TYPEFLAG, 1, 'latin1');
  if (f.linkname) b.write(f.linkname, 157, 100, 'utf8');
  const magic = f.magic ?? 'ustar';
  if (magic === 'ustar') b.write('ustar\x0000', MAGIC, 8, 'latin1');
  if (magic === 'gnu') b.write('ustar  \x00', MAGIC, 8, 'latin1');
  writeChecksum(b);
  return b;
}

function padded(body: Buffer): Buffer {
  const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
  return Buffer.concat([body, Buffer.alloc(pad)]);
}

function entryBytes(f: RawFields, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([rawHeader({ ...f, size: f.size ?? body.length }), padded(body)]);
}

const END = Buffer.alloc(2 * BLOCK);

/** A source that yields `bytes` in chunks of `chunk` bytes. */
function source(bytes: Buffer, chunk = 7_000): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at >= bytes.length) this.push(null);
      else {
        this.push(bytes.subarray(at, at + chunk));
        at += chunk;
      }
    },
  });
}

async function collect(input: Readable, options = {}): Promise<{ header: TarHeader; body: Buffer }[]> {
  const out = [];
  for await (const entry of readTar(input, options)) {
    const parts: Buffer[] = [];
    for await (const c of entry.body) parts.push(c as Buffer);
    out.push({ header: entry.header, body: Buffer.concat(parts) });
  }
  return out;
}

async function rejects(bytes: Buffer, kind: string, message: RegExp, options = {}): Promise<void> {
  const src = source(bytes);
  await assert.rejects(collect(src, options), (err: unknown) => {
    assert.ok(isBerthError(err), `not a BerthError: ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    assert.match(err.message, message);
    return true;
  });
  assert.ok(src.destroyed, 'the source is destroyed after a failure');
}

async function written(entries: [TarHeader, Buffer?][]): Promise<Buffer> {
  const writer = new TarWriter();
  const parts: Buffer[] = [];
  writer.on('data', (c: Buffer) => parts.push(c));
  const ended = new Promise((r) => writer.on('end', r));
  for (const [h, body] of entries) await writer.add(h, body);
  await writer.finish();
  await ended;
  return Buffer.concat(parts);
}

test('round trip of every entry type through TarWriter and readTar', async () => {
  const headers: [TarHeader, Buffer?][] = [
    [tarHeader({ name: 'etc/', type: 'directory', mode: 0o755, mtime: 1_700_000_000 })],
    [tarHeader({ name: 'etc/passwd', type: 'file', size: 5, uid: 1, gid: 2, uname: 'u', gname: 'g', mode: 0o4755 }), Buffer.from('root\n')],
    [tarHeader({ name: 'etc/link', type: 'symlink', linkname: 'passwd' })],
    [tarHeader({ name: 'etc/hard', type: 'hardlink', linkname: 'etc/passwd' })],
    [tarHeader({ name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 })],
    [tarHeader({ name: 'dev/loop0', type: 'block', devmajor: 7, devminor: 0 })],
    [tarHeader({ name: 'run/fifo', type: 'fifo' })],
    [tarHeader({ name: `deep/${'a'.repeat(300)}/f`, type: 'file', size: 1, uid: 5_000_000, gid: 9_000_000 }), Buffer.from('x')],
    [tarHeader({ name: 'caps', type: 'file', xattrs: new Map([['security.capability', Buffer.from([1, 0, 0, 2, 0xff])]]), size: 0 }), Buffer.alloc(0)],
    [tarHeader({ name: 'ünïcödé', type: 'symlink', linkname: `${'t'.repeat(200)}` })],
  ];
  const entries = await collect(source(await written(headers)));
  assert.equal(entries.length, headers.length);
  for (let i = 0; i < headers.length; i++) {
    assert.deepEqual(entries[i].header, headers[i][0]);
    assert.deepEqual(entries[i].body, headers[i][1] ?? Buffer.alloc(0));
  }
});

test('bodies spanning many chunks arrive whole, in order, for every chunk size', async () => {
  const body = Buffer.alloc(70_001);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;
  const bytes = await written([
    [tarHeader({ name: 'a', type: 'file', size: body.length }), body],
    [tarHeader({ name: 'b', type: 'file', size: 3 }), Buffer.from('end')],
  ]);
  for (const chunk of [1, 511, 512, 513, 4096, 1 << 20]) {
    const entries = await collect(source(bytes, chunk));
    assert.ok(entries[0].body.equals(body), `chunk ${chunk}`);
    assert.equal(entries[1].body.toString(), 'end');
  }
});

test('a small body read with for-await still ends and closes', async () => {
  const bytes = await written([[tarHeader({ name: 'a', type: 'file', size: 3 }), Buffer.from('abc')]]);
  for await (const entry of readTar(source(bytes))) {
    const parts: Buffer[] = [];
    await Promise.all([finished(entry.body), (async () => {
      for await (const c of entry.body) parts.push(c as Buffer);
    })()]);
    assert.equal(Buffer.concat(parts).toString(), 'abc');
    assert.ok(entry.body.destroyed, 'closed after its end');
  }
});

test('readAll returns small bodies whole and refuses bodies over its limit', async () => {
  const bytes = await written([
    [tarHeader({ name: 'small', type: 'file', size: 5 }), Buffer.from('hello')],
    [tarHeader({ name: 'big', type: 'file', size: 2000 }), Buffer.alloc(2000, 1)],
    [tarHeader({ name: 'after', type: 'file', size: 2 }), Buffer.from('ok')],
  ]);
  const seen: string[] = [];
  for await (const entry of readTar(source(bytes, 100))) {
    if (entry.header.name === 'big') {
      await assert.rejects(entry.readAll(1000), (e: unknown) => isBerthError(e, 'resource-exhausted'));
      continue; // the untouched body is skipped for us
    }
    seen.push(`${entry.header.name}=${(await entry.readAll()).toString()}`);
  }
  assert.deepEqual(seen, ['small=hello', 'after=ok']);
});

test('the iterator waits for a body being read; skip() and untouched bodies move on', async () => {
  const bytes = await written([
    [tarHeader({ name: 'a', type: 'file', size: 100_000 }), Buffer.alloc(100_000, 1)],
    [tarHeader({ name: 'b', type: 'file', size: 100_000 }), Buffer.alloc(100_000, 2)],
    [tarHeader({ name: 'c', type: 'file', size: 100_000 }), Buffer.alloc(100_000, 3)],
    [tarHeader({ name: 'd', type: 'file', size: 1 }), Buffer.from('d')],
  ]);
  const iterator = readTar(source(bytes, 4096))[Symbol.asyncIterator]();
  const a = (await iterator.next()).value as TarReaderEntry;
  let got = 0;
  a.body.on('data', (c: Buffer) => {
    got += c.length;
  });
  const b = (await iterator.next()).value as TarReaderEntry;
  assert.equal(got, 100_000, 'a was read to its end before b came');
  assert.equal(b.header.name, 'b');
  await b.skip();
  const c = (await iterator.next()).value as TarReaderEntry;
  assert.equal(c.header.name, 'c');
  const d = (await iterator.next()).value as TarReaderEntry; // c untouched: skipped
  assert.equal((await d.readAll()).toString(), 'd');
  assert.equal((await iterator.next()).done, true);
});

test('a body asked for after the reader moved on fails instead of reading the wrong bytes', async () => {
  const bytes = await written([
    [tarHeader({ name: 'a', type: 'file', size: 3 }), Buffer.from('aaa')],
    [tarHeader({ name: 'b', type: 'file', size: 3 }), Buffer.from('bbb')],
  ]);
  const entries: TarReaderEntry[] = [];
  for await (const entry of readTar(source(bytes))) entries.push(entry);
  await assert.rejects(
    (async () => {
      for await (const _ of entries[0].body);
    })(),
    (e: unknown) => isBerthError(e, 'failed-precondition'),
  );
  await assert.rejects(entries[1].readAll(), (e: unknown) => isBerthError(e, 'failed-precondition'));
});

test('a consumer that destroys a body half-way can still go on to the next entry', async () => {
  const bytes = await written([
    [tarHeader({ name: 'a', type: 'file', size: 300_000 }), Buffer.alloc(300_000, 1)],
    [tarHeader({ name: 'b', type: 'file', size: 1 }), Buffer.from('b')],
  ]);
  const names: string[] = [];
  for await (const entry of readTar(source(bytes, 4096))) {
    names.push(entry.header.name);
    if (entry.header.name === 'a') {
      for await (const _ of entry.body) break; // destroys the body
    }
  }
  assert.deepEqual(names, ['a', 'b']);
});

test('leaving the loop early destroys the source', async () => {
  const bytes = await written([
    [tarHeader({ name: 'a', type: 'file', size: 1 }), Buffer.from('a')],
    [tarHeader({ name: 'b', type: 'file', size: 1 }), Buffer.from('b')],
  ]);
  const src = source(bytes, 600);
  for await (const _ of readTar(src)) break;
  assert.ok(src.destroyed);
});

test('a big body streams with backpressure: the source is not read far ahead of the consumer', async () => {
  const size = 64 * 1024 * 1024;
  let produced = 0;
  const header = rawHeader({ name: 'big', size });
  const src = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (produced === 0) {
        this.push(header);
        produced = 1;
        return;
      }
      if (produced - 1 >= size) {
        this.push(END);
        this.push(null);
        return;
      }
      this.push(Buffer.alloc(64 * 1024));
      produced += 64 * 1024;
    },
  });
  for await (const entry of readTar(src)) {
    let consumed = 0;
    let maxAhead = 0;
    for await (const chunk of entry.body) {
      consumed += (chunk as Buffer).length;
      maxAhead = Math.max(maxAhead, produced - consumed);
      if (consumed < 4 * 1024 * 1024) await new Promise((r) => setImmediate(r));
    }
    assert.equal(consumed, size);
    assert.ok(maxAhead < 2 * 1024 * 1024, `read ${maxAhead} bytes ahead of the consumer`);
  }
});

test('pax: global headers apply to later entries, local ones override, LIBARCHIVE xattrs decode', async () => {
  const globalBody = Buffer.concat([paxRecord('uname', 'everyone'), paxRecord('comment', 'made by hand')]);
  const localBody = Buffer.concat([
    paxRecord('path', 'renamed/by/pax'),
    paxRecord('uname', 'me'),
    paxRecord('mtime', '1700000000.123456789'),
    paxRecord('LIBARCHIVE.xattr.user.x%3Dy', Buffer.from('value').toString('base64')),
    paxRecord('SCHILY.xattr.user.bin', Buffer.from([0, 1, 2, 0xff])),
    paxRecord('atime', '1.5'),
  ]);
  const bytes = Buffer.concat([
    entryBytes({ name: 'pax_global_header', type: 'g' }, globalBody),
    entryBytes({ name: 'PaxHeaders/x', type: 'x' }, localBody),
    entryBytes({ name: 'short' }, Buffer.from('1')),
    entryBytes({ name: 'second' }, Buffer.from('2')),
    END,
  ]);
  const [first, second] = await collect(source(bytes));
  assert.equal(first.header.name, 'renamed/by/pax');
  assert.equal(first.header.uname, 'me');
  assert.equal(first.header.mtime, Number('1700000000.123456789'));
  assert.deepEqual(first.header.xattrs.get('user.x=y'), Buffer.from('value'));
  assert.deepEqual(first.header.xattrs.get('user.bin'), Buffer.from([0, 1, 2, 0xff]));
  assert.deepEqual(first.header.pax, { comment: 'made by hand', atime: '1.5' });
  assert.equal(second.header.name, 'second');
  assert.equal(second.header.uname, 'everyone');
  assert.equal(second.header.mtime, 1_700_000_000);
});

test('GNU long names and base-256 numbers', async () => {
  const name = `gnu/${'n'.repeat(500)}`;
  const target = `/${'t'.repeat(300)}`;
  const big = Buffer.alloc(12);
  big[0] = 0x80;
  big.writeUIntBE(3, 6, 6); // a base-256 size of 3
  const uid = Buffer.alloc(8);
  uid[0] = 0x80;
  uid.writeUIntBE(5_000_000, 2, 6);
  const header = rawHeader({ name: 'trunc', sizeField: big, magic: 'gnu' });
  uid.copy(header, 108);
  header.fill(0x20, CHKSUM, CHKSUM + 8);
  writeChecksum(header);
  const bytes = Buffer.concat([
    entryBytes({ name: '././@LongLink', type: 'L', magic: 'gnu' }, Buffer.from(`${name}\0`)),
    entryBytes({ name: '././@LongLink', type: 'K', magic: 'gnu' }, Buffer.from(`${target}\0`)),
    header,
    padded(Buffer.from('abc')),
    END,
  ]);
  const [entry] = await collect(source(bytes));
  assert.equal(entry.header.name, name);
  assert.equal(entry.header.linkname, target);
  assert.equal(entry.header.uid, 5_000_000);
  assert.equal(entry.body.toString(), 'abc');
});

test('v7 archives: no magic, a trailing slash makes a directory, no owner names', async () => {
  const bytes = Buffer.concat([entryBytes({ name: 'dir/', type: '\0', magic: 'v7' }), entryBytes({ name: 'dir/f', type: '\0', magic: 'v7' }, Buffer.from('v7')), END]);
  const entries = await collect(source(bytes));
  assert.deepEqual(
    entries.map((e) => [e.header.name, e.header.type, e.body.toString()]),
    [
      ['dir/', 'directory', ''],
      ['dir/f', 'file', 'v7'],
    ],
  );
});

test("type '7' (contiguous) reads as a file", async () => {
  const [entry] = await collect(source(Buffer.concat([entryBytes({ name: 'c', type: '7' }, Buffer.from('x')), END])));
  assert.equal(entry.header.type, 'file');
  assert.equal(entry.body.toString(), 'x');
});

test('the end: two zero blocks, one zero block, a block boundary, an empty stream; trailing bytes are drained', async () => {
  const one = entryBytes({ name: 'a' }, Buffer.from('a'));
  for (const bytes of [Buffer.concat([one, END]), Buffer.concat([one, Buffer.alloc(BLOCK)]), one, Buffer.concat([one, END, Buffer.alloc(9 * 1024)])]) {
    const src = source(bytes, 1000);
    const entries = await collect(src);
    assert.equal(entries.length, 1);
    assert.ok(src.readableEnded, 'the whole source was read');
  }
  assert.deepEqual(await collect(source(Buffer.alloc(0))), []);
});

test('drain: false stops at the end marker and leaves the rest of the source alone', async () => {
  const src = new Readable({ read() {} });
  src.push(Buffer.concat([entryBytes({ name: 'a' }, Buffer.from('a')), END]));
  // The stream never ends: only a reader that stops at the marker can finish.
  const entries = await collect(src, { drain: false });
  assert.equal(entries.length, 1);
  assert.ok(!src.destroyed);
  src.destroy();
});

test('a header checksummed with signed bytes is accepted', async () => {
  const b = rawHeader({ name: 'caf\u00e9' });
  b.fill(0x20, CHKSUM, CHKSUM + 8);
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) signed += b[i] >= 0x80 ? b[i] - 256 : b[i];
  assert.notEqual(signed, computeChecksum(b));
  writeOctal(b, CHKSUM, 7, signed);
  b[CHKSUM + 7] = 0x20;
  const [entry] = await collect(source(Buffer.concat([b, END])));
  assert.equal(entry.header.name, 'café');
});

// Hostile and malformed archives: each one fails fast with a clear error and its kind.

test('hostile: bad header checksum', async () => {
  const b = entryBytes({ name: 'a' }, Buffer.from('a'));
  b[NAME] = 0x62;
  await rejects(Buffer.concat([b, END]), 'corrupt', /cannot read tar: bad header checksum at byte 0/);
});

test('hostile: bad checksum on a later header names the entry before it', async () => {
  const b = entryBytes({ name: 'second' });
  b[NAME] = 0x53;
  await rejects(Buffer.concat([entryBytes({ name: 'first' }), b, END]), 'corrupt', /bad header checksum at byte 512 \(after "first"\)/);
});

test('hostile: truncated header', async () => {
  await rejects(Buffer.concat([entryBytes({ name: 'a' }), Buffer.alloc(100, 1)]), 'corrupt', /truncated header at byte 512.*got 100 of 512 bytes/);
});

test('hostile: truncated body', async () => {
  const bytes = entryBytes({ name: 'usr/bin/x' }, Buffer.alloc(5000, 1)).subarray(0, BLOCK + 3000);
  await rejects(bytes, 'corrupt', /cannot read tar: truncated body of usr\/bin\/x: got 3000 of 5000 bytes/);
});

test('hostile: truncated body taken with readAll', async () => {
  const bytes = entryBytes({ name: 'x' }, Buffer.alloc(5000, 1)).subarray(0, BLOCK + 100);
  const src = source(bytes);
  await assert.rejects(
    (async () => {
      for await (const e of readTar(src)) await e.readAll();
    })(),
    /truncated body of x: got 100 of 5000 bytes/,
  );
  assert.ok(src.destroyed);
});

test('hostile: pax header larger than the limit (pax bomb)', async () => {
  const header = rawHeader({ name: 'PaxHeaders/bomb', type: 'x', size: 64 * 1024 * 1024 });
  await rejects(Buffer.concat([header, Buffer.alloc(4096)]), 'resource-exhausted', /extended header "PaxHeaders\/bomb" of 67108864 bytes exceeds the limit of 1048576/);
});

test('hostile: global pax header larger than the limit', async () => {
  const header = rawHeader({ name: 'g', type: 'g', size: 2000 });
  await rejects(Buffer.concat([header, Buffer.alloc(2048)]), 'resource-exhausted', /global extended header of 2000 bytes exceeds the limit of 1000/, { maxPaxSize: 1000 });
});

test('hostile: pax record with an absurd length', async () => {
  const body = Buffer.from('99999999 path=x\n');
  await rejects(Buffer.concat([entryBytes({ name: 'p', type: 'x' }, body), entryBytes({ name: 'a' }), END]), 'invalid-argument', /absurd record length 99999999/);
});

test('hostile: pax record length with too many digits', async () => {
  const body = Buffer.from(`${'9'.repeat(40)} path=x\n`);
  await rejects(Buffer.concat([entryBytes({ name: 'p', type: 'x' }, body), entryBytes({ name: 'a' }), END]), 'invalid-argument', /malformed record at byte 0/);
});

test('hostile: too many pax records', async () => {
  const body = Buffer.concat(Array.from({ length: 20_001 }, (_, i) => paxRecord(`k${i}`, '')));
  await rejects(Buffer.concat([entryBytes({ name: 'p', type: 'x' }, body), entryBytes({ name: 'a' }), END]), 'resource-exhausted', /more than 10000 records/);
});

test('hostile: pax record without a keyword or newline', async () => {
  await rejects(Buffer.concat([entryBytes({ name: 'p', type: 'x' }, Buffer.from('8 =abcd\n')), entryBytes({ name: 'a' }), END]), 'invalid-argument', /has no keyword/);
  await rejects(Buffer.concat([entryBytes({ name: 'p', type: 'x' }, Buffer.from('9 path=ab')), entryBytes({ name: 'a' }), END]), 'invalid-argument', /does not end in a newline/);
});

test('hostile: pax size that is not a number', async () => {
  const body = paxRecord('size', '12abc');
  await rejects(Buffer.concat([entryBytes({ name: 'p', type: 'x' }, body), entryBytes({ name: 'a' }), END]), 'invalid-argument', /size "12abc" is not a decimal number/);
});

test('hostile: entry size over the caller limit (absurd size)', async () => {
  const size = Buffer.alloc(12);
  size[0] = 0x80;
  size.writeUIntBE(2 ** 47, 6, 6);
  await rejects(Buffer.concat([rawHeader({ name: 'huge', sizeField: size }), END]), 'resource-exhausted', /"huge" is 140737488355328 bytes, over the limit of 1000000/, {
    maxEntrySize: 1_000_000,
  });
});

test('hostile: base-256 size beyond 2^53', async () => {
  const size = Buffer.alloc(12, 0xfe);
  size[0] = 0x80;
  await rejects(Buffer.concat([rawHeader({ name: 'huge', sizeField: size }), END]), 'invalid-argument', /size is too large/);
});

test('hostile: negative base-256 numeric field', async () => {
  const size = Buffer.alloc(12, 0xff);
  await rejects(Buffer.concat([rawHeader({ name: 'neg', sizeField: size }), END]), 'invalid-argument', /header of "neg": size is negative/);
});

test('hostile: garbage in an octal field', async () => {
  const size = Buffer.from('12x4\0\0\0\0\0\0\0\0');
  await rejects(Buffer.concat([rawHeader({ name: 'junk', sizeField: size }), END]), 'invalid-argument', /size "12x4.*" is not an octal number/);
});

test('hostile: NUL inside a pax path', async () => {
  const body = paxRecord('path', 'a\0b');
  await rejects(Buffer.concat([entryBytes({ name: 'p', type: 'x' }, body), entryBytes({ name: 'a' }), END]), 'invalid-argument', /path contains a NUL byte/);
});

test('hostile: NUL inside a GNU long name', async () => {
  await rejects(
    Buffer.concat([entryBytes({ name: '././@LongLink', type: 'L', magic: 'gnu' }, Buffer.from('evil\0/../../etc/passwd\0')), entryBytes({ name: 'a' }), END]),
    'invalid-argument',
    /GNU long name after .* contains a NUL byte/,
  );
});

test('hostile: GNU long name over the limit', async () => {
  const header = rawHeader({ name: '././@LongLink', type: 'L', size: 1 << 30, magic: 'gnu' });
  await rejects(Buffer.concat([header, Buffer.alloc(4096)]), 'resource-exhausted', /GNU long name of 1073741824 bytes .* exceeds the limit of 65536/);
});

test('hostile: pax path over the name limit', async () => {
  const body = paxRecord('path', 'p'.repeat(5000));
  await rejects(Buffer.concat([entryBytes({ name: 'p', type: 'x' }, body), entryBytes({ name: 'a' }), END]), 'resource-exhausted', /name of 5000 bytes exceeds the limit of 4096/, {
    maxNameLength: 4096,
  });
});

test('hostile: unknown type flag names the entry', async () => {
  await rejects(Buffer.concat([entryBytes({ name: 'weird/thing', type: 'Z' }), END]), 'unsupported', /"weird\/thing" has unsupported type flag 'Z'/);
});

test('hostile: an archive that ends after an extended header', async () => {
  await rejects(Buffer.concat([entryBytes({ name: 'p', type: 'x' }, paxRecord('path', 'x')), END]), 'corrupt', /ends after an extended header/);
});

test('hostile: symlink without a target', async () => {
  await rejects(Buffer.concat([entryBytes({ name: 'l', type: '2' }), END]), 'invalid-argument', /symlink "l" has no target/);
});

test('a source that already ended or was destroyed does not hang the reader', async () => {
  const ended = Readable.from([]);
  for await (const _ of ended);
  assert.deepEqual(await collect(ended), []);
  const destroyed = source(Buffer.alloc(1024));
  destroyed.destroy();
  await assert.rejects(collect(destroyed), (e: unknown) => isBerthError(e, 'aborted'));
});

test('a name of exactly 100 bytes fills the field without a NUL', async () => {
  const name = `${'d'.repeat(49)}/${'f'.repeat(50)}`;
  assert.equal(name.length, 100);
  const [entry] = await collect(source(await written([[tarHeader({ name, type: 'file' }), Buffer.alloc(0)]])));
  assert.equal(entry.header.name, name);
});

test('a source error reaches the consumer as a BerthError', async () => {
  const src = new Readable({
    read() {
      this.destroy(Object.assign(new Error('disk on fire'), { code: 'EIO' }));
    },
  });
  await assert.rejects(collect(src), /cannot read tar: disk on fire/);
});

test('an aborted signal stops the reader', async () => {
  const controller = new AbortController();
  const bytes = Buffer.concat([entryBytes({ name: 'a' }, Buffer.from('a')), entryBytes({ name: 'b' }, Buffer.from('b')), END]);
  const src = source(bytes, 512);
  await assert.rejects(
    (async () => {
      for await (const _ of readTar(src, { signal: controller.signal })) controller.abort();
    })(),
    (e: unknown) => isBerthError(e, 'aborted'),
  );
  assert.ok(src.destroyed);
});
