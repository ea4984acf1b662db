// The tar writer: a Readable of tar bytes fed by add(header, body). ustar when a header
// fits, pax records when it does not; the same entries always give the same bytes.
import { Readable } from 'node:stream';
import { aborted, corrupt, failedPrecondition, invalidArgument } from '../internal/errors.js';
import type { TarHeader } from './entry.js';
import { paxRecord } from './pax.js';
import {
  BLOCK,
  DEV_LEN,
  DEVMAJOR,
  DEVMINOR,
  GID,
  GNAME,
  ID_LEN,
  LINKNAME,
  LINKNAME_LEN,
  MAGIC,
  MAX_OCTAL_ID,
  MAX_OCTAL_SIZE,
  MODE,
  MTIME,
  MTIME_LEN,
  NAME,
  NAME_LEN,
  OWNER_LEN,
  PREFIX,
  PREFIX_LEN,
  SIZE,
  SIZE_LEN,
  TYPEFLAG,
  TYPEFLAG_OF,
  UID,
  UNAME,
  writeChecksum,
  writeOctal,
  writeString,
} from './tar-header.js';

export interface TarWriterOptions {
  /**
   * Keep sub-second mtimes as pax "mtime" records. Default false: whole seconds in the
   * header, as docker and containers/image write layers, so no pax header is needed.
   */
  preciseMtime?: boolean;
  /** Bytes buffered on the readable side before add() waits. Default 256 KiB. */
  highWaterMark?: number;
  /** Destroys the stream; pending and later add() calls fail with 'aborted'. */
  signal?: AbortSignal;
}

/** Output is gathered into batches this large, so 20,000 small files are not 40,000 pushes. */
const BATCH = 64 * 1024;
/** Chunks at least this large go out as they are, without a copy into the batch. */
const DIRECT = 16 * 1024;
/** Keys the writer itself derives from header fields; the same keys in header.pax are ignored. */
const DERIVED = new Set(['path', 'linkpath', 'size', 'uid', 'gid', 'uname', 'gname', 'mtime', 'SCHILY.devmajor', 'SCHILY.devminor']);
const ASCII = /^[\x01-\x7f]*$/;

function fitsField(value: string, max: number): boolean {
  return value.length <= max && ASCII.test(value);
}

/** prefix/name split of a ustar name, or undefined when no '/' makes both parts fit. */
function splitUstar(name: string): [string, string] | undefined {
  if (name.length > PREFIX_LEN + 1 + NAME_LEN || !ASCII.test(name)) return undefined;
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const rest = name.length - i - 1;
    if (rest > NAME_LEN) continue;
    if (i === 0 || i > PREFIX_LEN || rest === 0 || name.slice(i + 1) === '/') return undefined;
    return [name.slice(0, i), name.slice(i + 1)];
  }
  return undefined;
}

/** An ASCII stand-in for a field whose real value travels in a pax record. */
function asciiStandIn(value: string, max: number): string {
  return value.replace(/[^\x20-\x7e]/g, '_').slice(0, max);
}

/** The shortest decimal that reads back as the same number (pax times have no exponent). */
function formatTime(t: number): string {
  const shortest = String(t);
  if (!shortest.includes('e')) return shortest;
  const s = t.toFixed(9).replace(/\.?0+$/, '');
  return s === '-0' ? '0' : s;
}

function checkCount(value: number, field: string, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw invalidArgument(`cannot write tar entry ${name}: ${field} ${value} is not a non-negative integer`);
}

/**
 * Writes a tar stream. The writer is itself the Readable to pipe somewhere; add() resolves
 * once the entry's bytes are handed to the stream and waits while the reader side is full,
 * so memory stays bounded. Calls are serialised; finish() writes the end marker.
 */
export class TarWriter extends Readable {
  private readonly preciseMtime: boolean;
  private batch = Buffer.allocUnsafe(BATCH);
  private readonly scratch = Buffer.alloc(BLOCK);
  private used = 0;
  private queue: Promise<void> = Promise.resolve();
  private waiter: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  /**
   * Node called _read() and we have not pushed since. Node will not call it again until we
   * push, so drain() must not wait then, even if the buffer is full again (a consumer's
   * unshift() refills it without a push): that wait would never wake.
   */
  private readRequested = false;
  private failure: unknown;
  private finished = false;
  /** Bytes of tar written so far (after finish(): the archive's size). */
  bytesWritten = 0;

  constructor(options: TarWriterOptions = {}) {
    super({ highWaterMark: options.highWaterMark ?? 256 * 1024 });
    this.preciseMtime = options.preciseMtime ?? false;
    const signal = options.signal;
    if (signal !== undefined) {
      const onAbort = () => this.destroy(aborted('cannot write tar: aborted'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      this.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }

  /** The tar bytes (the writer itself), for callers that prefer a named stream. */
  get stream(): Readable {
    return this;
  }

  /**
   * Appends an entry. A file's body (a Readable or bytes) must be exactly header.size
   * bytes, else the stream fails with 'corrupt'. Other types take no body. Do not change
   * a Uint8Array body after passing it: large ones are handed on without a copy.
   */
  add(header: TarHeader, body?: Readable | Uint8Array): Promise<void> {
    return this.enqueue(() => this.writeEntry(header, body));
  }

  /** Writes the end-of-archive marker (two zero blocks) and ends the stream. */
  finish(): Promise<void> {
    return this.enqueue(async () => {
      this.finished = true;
      this.reserve(2 * BLOCK).fill(0);
      await this.flush();
      this.push(null);
    });
  }

  override _read(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    this.readRequested = true;
    waiter?.resolve();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.failure ??= err ?? aborted('cannot write tar: the stream was destroyed');
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
    cb(err);
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => {
      if (this.failure !== undefined) throw this.failure;
      if (this.finished) throw failedPrecondition('cannot write tar: the archive is already finished');
      return step();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async writeEntry(header: TarHeader, body: Readable | Uint8Array | undefined): Promise<void> {
    try {
      await this.writeChecked(header, body);
    } catch (err) {
      // add() owns the body: a refused entry must not leave a file descriptor open.
      if (body instanceof Readable && !body.destroyed) body.destroy();
      throw err;
    }
  }

  private async writeChecked(header: TarHeader, body: Readable | Uint8Array | undefined): Promise<void> {
    const { records, block } = this.encodeHeader(header);
    const size = header.type === 'file' ? header.size : 0;
    if (header.type !== 'file' && body instanceof Readable) {
      // An entry copied from readTar passes its (empty) body along: accept it when empty.
      for await (const chunk of body) {
        if ((chunk as Uint8Array).length > 0) throw invalidArgument(`cannot write tar entry ${header.name}: a ${header.type} has no body`);
      }
    } else if (header.type !== 'file' && body !== undefined && !(body instanceof Readable) && body.length > 0) {
      throw invalidArgument(`cannot write tar entry ${header.name}: a ${header.type} has no body`);
    }
    if (size > 0 && body === undefined) throw invalidArgument(`cannot write tar entry ${header.name}: a file of ${size} bytes needs a body`);
    if (body instanceof Uint8Array && body.length !== size) {
      throw corrupt(`cannot write tar entry ${header.name}: the body is ${body.length} bytes, the header says ${size}`);
    }
    // Nothing is written above this line, so a refused header leaves the stream usable.
    try {
      if (records.length > 0) await this.writePax(header, records);
      await this.writeBytes(block);
      if (size > 0 && body instanceof Uint8Array) await this.writeBytes(body);
      else if (body instanceof Readable && header.type === 'file') await this.writeStream(header.name, size, body);
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (pad > 0) this.reserve(pad).fill(0);
      await this.drain();
    } catch (err) {
      // Part of the entry may be out already: the archive cannot be continued.
      this.destroy(err as Error);
      throw err;
    }
  }

  /** The ustar header block, and the pax records for what it cannot hold. */
  private encodeHeader(header: TarHeader): { records: Buffer[]; block: Buffer } {
    const { name, linkname, type } = header;
    if (typeof name !== 'string' || name === '') throw invalidArgument('cannot write tar entry: empty name');
    if (name.includes('\0')) throw invalidArgument(`cannot write tar entry ${JSON.stringify(name)}: the name contains a NUL byte`);
    if (linkname.includes('\0')) throw invalidArgument(`cannot write tar entry ${name}: the link target contains a NUL byte`);
    const flag = TYPEFLAG_OF[type];
    if (flag === undefined) throw invalidArgument(`cannot write tar entry ${name}: unknown type ${String(type)}`);
    if ((type === 'symlink' || type === 'hardlink') && linkname === '') throw invalidArgument(`cannot write tar entry ${name}: a ${type} needs a target`);
    const size = type === 'file' ? header.size : 0;
    for (const [field, value] of [
      ['mode', header.mode],
      ['uid', header.uid],
      ['gid', header.gid],
      ['size', size],
      ['devmajor', header.devmajor],
      ['devminor', header.devminor],
    ] as const) {
      checkCount(value, field, name);
    }
    if (!Number.isFinite(header.mtime)) throw invalidArgument(`cannot write tar entry ${name}: mtime ${header.mtime} is not a time`);

    const records: Buffer[] = [];
    // One scratch block per writer: it is copied into the batch before the next header.
    const block = this.scratch.fill(0);
    if (fitsField(name, NAME_LEN)) {
      writeString(block, NAME, NAME_LEN, name);
    } else {
      const split = splitUstar(name);
      if (split !== undefined) {
        writeString(block, PREFIX, PREFIX_LEN, split[0]);
        writeString(block, NAME, NAME_LEN, split[1]);
      } else {
        records.push(paxRecord('path', name));
        writeString(block, NAME, NAME_LEN, asciiStandIn(name, NAME_LEN));
      }
    }
    if (fitsField(linkname, LINKNAME_LEN)) {
      writeString(block, LINKNAME, LINKNAME_LEN, linkname);
    } else {
      records.push(paxRecord('linkpath', linkname));
      writeString(block, LINKNAME, LINKNAME_LEN, asciiStandIn(linkname, LINKNAME_LEN));
    }
    writeOctal(block, MODE, ID_LEN, header.mode & 0o7777);
    for (const [field, key, off] of [
      [header.uid, 'uid', UID],
      [header.gid, 'gid', GID],
    ] as const) {
      if (field > MAX_OCTAL_ID) records.push(paxRecord(key, String(field)));
      writeOctal(block, off, ID_LEN, field > MAX_OCTAL_ID ? 0 : field);
    }
    if (size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(size)));
    writeOctal(block, SIZE, SIZE_LEN, size > MAX_OCTAL_SIZE ? 0 : size);
    const seconds = Math.floor(header.mtime);
    const outOfRange = seconds < 0 || seconds > MAX_OCTAL_SIZE;
    if (outOfRange || (this.preciseMtime && seconds !== header.mtime)) {
      records.push(paxRecord('mtime', formatTime(this.preciseMtime ? header.mtime : seconds)));
    }
    writeOctal(block, MTIME, MTIME_LEN, outOfRange ? 0 : seconds);
    block[TYPEFLAG] = flag;
    block.write('ustar\x0000', MAGIC, 8, 'latin1');
    for (const [value, key, off] of [
      [header.uname, 'uname', UNAME],
      [header.gname, 'gname', GNAME],
    ] as const) {
      if (fitsField(value, OWNER_LEN)) writeString(block, off, OWNER_LEN, value);
      else records.push(paxRecord(key, value));
    }
    for (const [value, key, off] of [
      [header.devmajor, 'SCHILY.devmajor', DEVMAJOR],
      [header.devminor, 'SCHILY.devminor', DEVMINOR],
    ] as const) {
      if (value > MAX_OCTAL_ID) records.push(paxRecord(key, String(value)));
      writeOctal(block, off, DEV_LEN, value > MAX_OCTAL_ID ? 0 : value);
    }
    // Sorted, so the bytes do not depend on the order a Map or object was filled in.
    for (const key of [...header.xattrs.keys()].sort()) {
      if (key === '' || key.includes('=') || key.includes('\0')) throw invalidArgument(`cannot write tar entry ${name}: xattr name ${JSON.stringify(key)} cannot be written`);
      records.push(paxRecord(`SCHILY.xattr.${key}`, header.xattrs.get(key)!));
    }
    for (const key of Object.keys(header.pax).sort()) {
      if (DERIVED.has(key) || key.startsWith('SCHILY.xattr.')) continue;
      if (key === '' || key.includes('=') || key.includes('\0')) throw invalidArgument(`cannot write tar entry ${name}: pax key ${JSON.stringify(key)} cannot be written`);
      records.push(paxRecord(key, header.pax[key]));
    }
    writeChecksum(block);
    return { records, block };
  }

  /** The 'x' header carrying `records` for the entry that follows. */
  private async writePax(header: TarHeader, records: Buffer[]): Promise<void> {
    const body = Buffer.concat(records);
    const trimmed = header.name.replace(/\/+$/, '');
    const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
    const block = Buffer.alloc(BLOCK);
    writeString(block, NAME, NAME_LEN, `PaxHeaders/${asciiStandIn(base, NAME_LEN - 11)}`);
    writeOctal(block, MODE, ID_LEN, 0o644);
    writeOctal(block, UID, ID_LEN, 0);
    writeOctal(block, GID, ID_LEN, 0);
    writeOctal(block, SIZE, SIZE_LEN, body.length);
    const seconds = Math.floor(header.mtime);
    writeOctal(block, MTIME, MTIME_LEN, seconds < 0 || seconds > MAX_OCTAL_SIZE ? 0 : seconds);
    block[TYPEFLAG] = 0x78; // 'x'
    block.write('ustar\x0000', MAGIC, 8, 'latin1');
    writeOctal(block, DEVMAJOR, DEV_LEN, 0);
    writeOctal(block, DEVMINOR, DEV_LEN, 0);
    writeChecksum(block);
    await this.writeBytes(block);
    await this.writeBytes(body);
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (pad > 0) this.reserve(pad).fill(0);
  }

  private async writeStream(name: string, size: number, body: Readable): Promise<void> {
    let got = 0;
    try {
      for await (const piece of body) {
        const chunk: Uint8Array = typeof piece === 'string' ? Buffer.from(piece) : piece;
        got += chunk.length;
        if (got > size) throw corrupt(`cannot write tar entry ${name}: the body is longer than the ${size} bytes its header says`);
        await this.writeBytes(chunk);
      }
    } catch (err) {
      body.destroy();
      throw err;
    }
    if (got < size) throw corrupt(`cannot write tar entry ${name}: the body ended after ${got} of ${size} bytes`);
  }

  /** A region of the batch for the caller to fill (it may push a full batch first). */
  private reserve(n: number): Buffer {
    if (this.used + n > this.batch.length) {
      this.pushBatch();
      if (n > this.batch.length) this.batch = Buffer.allocUnsafe(n);
    }
    const region = this.batch.subarray(this.used, this.used + n);
    this.used += n;
    return region;
  }

  private async writeBytes(bytes: Uint8Array): Promise<void> {
    if (bytes.length >= DIRECT) {
      this.pushBatch();
      this.bytesWritten += bytes.length;
      this.readRequested = false;
      this.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      await this.drain();
      return;
    }
    if (this.used + bytes.length > this.batch.length) {
      this.pushBatch();
      await this.drain();
    }
    this.batch.set(bytes, this.used);
    this.used += bytes.length;
  }

  private pushBatch(): void {
    if (this.used === 0) return;
    const out = this.batch.subarray(0, this.used);
    this.bytesWritten += this.used;
    this.batch = Buffer.allocUnsafe(BATCH);
    this.used = 0;
    this.readRequested = false;
    this.push(out);
  }

  private async flush(): Promise<void> {
    this.pushBatch();
    await this.drain();
  }

  /** Waits while the readable side holds a high-water mark's worth; _read() wakes it. */
  private drain(): Promise<void> | undefined {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.readableLength < this.readableHighWaterMark || this.readRequested) return undefined;
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }
}
