// GNU sparse files: the old GNU 'S' header with its extension blocks, and the pax 1.0 and
// 0.1 maps. The entry's body is the stored data with the holes filled back in as zeros.
import { finished } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { failedPrecondition, invalidArgument, resourceExhausted, unsupported } from '../internal/errors.js';
import type { ByteSource } from './byte-source.js';
import type { TarHeader } from './entry.js';
import type { PaxRecords } from './pax.js';
import { BLOCK, parseNumeric, quote } from './tar-header.js';
import type { ReaderEntry } from './tar-reader-entry.js';
import type { TarReaderEntry } from './tar-reader.js';

/** Data runs of a sparse file: [offset in the real file, length], in order. */
export type SparseMap = [number, number][];

/** Most runs one sparse file may list (the map is read before any of its data). */
export const MAX_SPARSE_RUNS = 100_000;
const HOLE_CHUNK = 64 * 1024;

export function checkSparseMap(map: SparseMap, realSize: number, stored: number, name: string): void {
  let end = 0;
  let sum = 0;
  for (const [offset, length] of map) {
    if (offset < end || offset + length > realSize) throw invalidArgument(`cannot read tar: sparse map of ${quote(name)} has overlapping or out-of-range runs`);
    end = offset + length;
    sum += length;
  }
  if (sum !== stored) throw invalidArgument(`cannot read tar: sparse map of ${quote(name)} lists ${sum} bytes of data, the entry stores ${stored}`);
}

/** Runs from 24-byte (offset, numbytes) slots, stopping at the first empty slot. */
function readSlots(block: Buffer, from: number, count: number, name: string, map: SparseMap): boolean {
  for (let i = 0; i < count; i++) {
    const at = from + i * 24;
    if (block[at] === 0) return false;
    map.push([parseNumeric(block, at, 12, 'sparse offset', name), parseNumeric(block, at + 12, 12, 'sparse length', name)]);
    if (map.length > MAX_SPARSE_RUNS) throw resourceExhausted(`cannot read tar: sparse map of ${quote(name)} has more than ${MAX_SPARSE_RUNS} runs`);
  }
  return true;
}

/** The map of an old GNU 'S' header: four slots in the header, 21 in each extension block. */
export async function readOldGnuSparse(block: Buffer, input: ByteSource, name: string, stored: number): Promise<{ map: SparseMap; realSize: number }> {
  const map: SparseMap = [];
  readSlots(block, 386, 4, name, map);
  let extended = block[482] !== 0;
  const realSize = parseNumeric(block, 483, 12, 'sparse real size', name);
  while (extended) {
    const ext = await input.read(BLOCK);
    if (ext.length < BLOCK) throw invalidArgument(`cannot read tar: truncated sparse map of ${quote(name)}`);
    readSlots(ext, 0, 21, name, map);
    extended = ext[504] !== 0;
  }
  checkSparseMap(map, realSize, stored, name);
  return { map, realSize };
}

function decimal(value: string | undefined, what: string, name: string): number {
  if (value === undefined || !/^\d{1,16}$/.test(value)) throw invalidArgument(`cannot read tar: ${what} of sparse file ${quote(name)} is missing or not a number`);
  return Number(value);
}

export interface PaxSparse {
  name: string;
  realSize: number;
  /** The map when the pax records hold it (0.1); for 1.0 it opens the entry's data. */
  map: SparseMap | undefined;
}

/** Which GNU sparse format pax records describe; undefined when the entry is not sparse. */
export function paxSparse(records: PaxRecords | undefined, fallbackName: string): PaxSparse | undefined {
  if (records === undefined) return undefined;
  const get = (key: string) => records.get(key)?.toString('utf8');
  const major = get('GNU.sparse.major');
  const minor = get('GNU.sparse.minor');
  const mapRecord = get('GNU.sparse.map');
  const name = get('GNU.sparse.name') ?? fallbackName;
  if (major === '1' && minor === '0') return { name, realSize: decimal(get('GNU.sparse.realsize'), 'real size', name), map: undefined };
  if (mapRecord !== undefined) {
    const numbers = mapRecord === '' ? [] : mapRecord.split(',').map((n) => decimal(n, 'sparse map', name));
    if (numbers.length % 2 !== 0) throw invalidArgument(`cannot read tar: sparse map of ${quote(name)} has an odd number of fields`);
    if (numbers.length / 2 > MAX_SPARSE_RUNS) throw resourceExhausted(`cannot read tar: sparse map of ${quote(name)} has more than ${MAX_SPARSE_RUNS} runs`);
    const map: SparseMap = [];
    for (let i = 0; i < numbers.length; i += 2) map.push([numbers[i], numbers[i + 1]]);
    return { name, realSize: decimal(get('GNU.sparse.size'), 'real size', name), map };
  }
  for (const key of records.keys()) {
    if (key.startsWith('GNU.sparse.')) throw unsupported(`cannot read tar: ${quote(name)} is a GNU sparse file in pax format 0.0; only formats 0.1 and 1.0 are supported`);
  }
  return undefined;
}

/**
 * The map that opens a pax 1.0 sparse file's data: decimal numbers, one per line (the
 * count, then offset and length pairs), padded to a block. Returns the map and the bytes
 * it took, which are not part of the file.
 */
export async function readPax1Map(input: ByteSource, name: string, stored: number, maxBytes: number): Promise<{ map: SparseMap; bytes: number }> {
  const numbers: number[] = [];
  let want = 1;
  let bytes = 0;
  let line = '';
  while (numbers.length < want) {
    if (bytes + BLOCK > Math.min(stored, maxBytes)) throw resourceExhausted(`cannot read tar: sparse map of ${quote(name)} is larger than its entry or ${maxBytes} bytes`);
    const block = await input.read(BLOCK);
    if (block.length < BLOCK) throw invalidArgument(`cannot read tar: truncated sparse map of ${quote(name)}`);
    bytes += BLOCK;
    for (let i = 0; i < BLOCK && numbers.length < want; i++) {
      const c = block[i];
      if (c === 0x0a) {
        numbers.push(decimal(line, 'sparse map', name));
        if (numbers.length === 1) {
          if (numbers[0] > MAX_SPARSE_RUNS) throw resourceExhausted(`cannot read tar: sparse map of ${quote(name)} has more than ${MAX_SPARSE_RUNS} runs`);
          want = 1 + 2 * numbers[0];
        }
        line = '';
      } else if (c >= 0x30 && c <= 0x39 && line.length < 17) {
        line += String.fromCharCode(c);
      } else {
        throw invalidArgument(`cannot read tar: sparse map of ${quote(name)} is malformed`);
      }
    }
  }
  const map: SparseMap = [];
  for (let i = 1; i < numbers.length; i += 2) map.push([numbers[i], numbers[i + 1]]);
  return { map, bytes };
}


async function* expand(stored: Readable, map: SparseMap, realSize: number): AsyncGenerator<Buffer> {
  const it = stored[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let carry: Buffer | undefined;
  let pos = 0;
  const holes = function* (n: number) {
    for (let left = n; left > 0; left -= HOLE_CHUNK) yield Buffer.alloc(Math.min(left, HOLE_CHUNK));
  };
  try {
    for (const [offset, length] of map) {
      yield* holes(offset - pos);
      let left = length;
      while (left > 0) {
        if (carry === undefined || carry.length === 0) {
          const next = await it.next();
          if (next.done) return; // the stored body reported its own truncation
          carry = next.value;
        }
        const piece: Buffer = carry.subarray(0, left);
        carry = carry.subarray(piece.length);
        left -= piece.length;
        yield piece;
      }
      pos = offset + length;
    }
    yield* holes(realSize - pos);
  } finally {
    await it.return?.();
  }
}

/** A sparse file entry: header.size is the real size; the body has the holes filled in. */
export class SparseEntry implements TarReaderEntry {
  readonly header: TarHeader;
  private readonly stored: ReaderEntry;
  private readonly map: SparseMap;
  private stream: Readable | undefined;

  constructor(header: TarHeader, stored: ReaderEntry, map: SparseMap) {
    this.header = header;
    this.stored = stored;
    this.map = map;
  }

  get body(): Readable {
    this.stream ??= Readable.from(expand(this.stored.body, this.map, this.header.size), { objectMode: false });
    return this.stream;
  }

  async readAll(maxBytes = 64 * 1024 * 1024): Promise<Buffer> {
    if (this.stream !== undefined) throw failedPrecondition(`cannot read the body of ${this.header.name}: it was already streamed`);
    if (this.header.size > maxBytes) throw resourceExhausted(`cannot read the body of ${this.header.name}: ${this.header.size} bytes is over the limit of ${maxBytes}`);
    const out = Buffer.alloc(this.header.size);
    let at = 0;
    for await (const chunk of this.body) at += (chunk as Buffer).copy(out, at);
    return out;
  }

  async skip(): Promise<void> {
    if (this.stream !== undefined && !this.stream.destroyed) this.stream.destroy();
    await this.stored.skip();
  }

  /** Called by the reader before it moves on. */
  async finish(): Promise<void> {
    if (this.stream !== undefined) await finished(this.stream).catch(() => {});
    await this.stored.finish();
  }

  abandon(): void {
    this.stream?.destroy();
    this.stored.abandon();
  }
}
