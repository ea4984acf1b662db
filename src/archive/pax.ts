// POSIX pax extended header records ("%d %s=%s\n"): parsing with bounded work, applying
// them to a header (path, sizes, ids, times, xattrs), and encoding them deterministically.
import { invalidArgument, resourceExhausted } from '../internal/errors.js';
import type { TarHeader } from './entry.js';

/** Raw record values by key; values stay bytes because xattr values are binary. */
export type PaxRecords = Map<string, Buffer>;

/**
 * Parses one extended header body into `into` (later records override earlier ones).
 * Every record's length is checked against what is left, so a hostile length cannot make
 * the parser look past the body; the count is bounded by `maxRecords`.
 */
export function parsePaxRecords(body: Buffer, entry: string, maxRecords: number, into: PaxRecords): void {
  let pos = 0;
  let count = 0;
  while (pos < body.length) {
    // Some writers pad the body with NULs; a NUL where a record would start ends the list.
    if (body[pos] === 0) break;
    let i = pos;
    let length = 0;
    while (i < body.length && body[i] >= 0x30 && body[i] <= 0x39) {
      length = length * 10 + (body[i] - 0x30);
      if (++i - pos > 10) break;
    }
    const digits = i - pos;
    if (digits === 0 || digits > 10 || body[i] !== 0x20) {
      throw invalidArgument(`cannot read tar: extended header of ${entry}: malformed record at byte ${pos}`);
    }
    if (length > body.length - pos || length < digits + 4) {
      throw invalidArgument(`cannot read tar: extended header of ${entry}: absurd record length ${length} at byte ${pos} (${body.length - pos} bytes left)`);
    }
    const end = pos + length - 1; // the newline
    if (body[end] !== 0x0a) throw invalidArgument(`cannot read tar: extended header of ${entry}: record at byte ${pos} does not end in a newline`);
    const eq = body.indexOf(0x3d, i + 1);
    if (eq === -1 || eq >= end || eq === i + 1) {
      throw invalidArgument(`cannot read tar: extended header of ${entry}: record at byte ${pos} has no keyword`);
    }
    if (++count > maxRecords) throw resourceExhausted(`cannot read tar: extended header of ${entry}: more than ${maxRecords} records`);
    into.set(body.toString('utf8', i + 1, eq), body.subarray(eq + 1, end));
    pos += length;
  }
}

/** Merges a global header's records into the running global set; an empty value deletes. */
export function mergeGlobal(global: PaxRecords, records: PaxRecords, maxRecords: number): void {
  for (const [key, value] of records) {
    if (value.length === 0) global.delete(key);
    else global.set(key, value);
  }
  if (global.size > maxRecords) throw resourceExhausted(`cannot read tar: global extended headers hold more than ${maxRecords} records`);
}

const DECIMAL = /^\d{1,16}$/;
const TIME = /^-?\d{1,16}(?:\.\d{1,9}\d*)?$/;

function decimal(key: string, value: string, entry: string): number {
  if (!DECIMAL.test(value)) throw invalidArgument(`cannot read tar: extended header of ${entry}: ${key} "${value.slice(0, 40)}" is not a decimal number`);
  const n = Number(value);
  if (n > Number.MAX_SAFE_INTEGER) throw invalidArgument(`cannot read tar: extended header of ${entry}: ${key} ${value} is too large`);
  return n;
}

function noNul(key: string, value: string, entry: string): string {
  if (value.includes('\0')) throw invalidArgument(`cannot read tar: extended header of ${entry}: ${key} contains a NUL byte`);
  return value;
}

/**
 * Applies records (global first, then the entry's own) to a header parsed from its block.
 * An empty value means "use the header block's field", as POSIX says.
 */
export function applyPax(header: TarHeader, records: PaxRecords, entry: string): void {
  for (const [key, raw] of records) {
    if (raw.length === 0) continue;
    if (key.startsWith('SCHILY.xattr.')) {
      const name = key.slice(13);
      if (name === '' || name.includes('\0')) throw invalidArgument(`cannot read tar: extended header of ${entry}: bad xattr name`);
      header.xattrs.set(name, raw);
      continue;
    }
    if (key.startsWith('LIBARCHIVE.xattr.')) {
      let name: string;
      try {
        name = decodeURIComponent(key.slice(17));
      } catch {
        throw invalidArgument(`cannot read tar: extended header of ${entry}: bad xattr name ${key.slice(0, 80)}`);
      }
      if (name === '' || name.includes('\0')) throw invalidArgument(`cannot read tar: extended header of ${entry}: bad xattr name`);
      // SCHILY records win where both exist: GNU tar and bsdtar write identical pairs.
      if (!records.has(`SCHILY.xattr.${name}`)) header.xattrs.set(name, Buffer.from(raw.toString('latin1'), 'base64'));
      continue;
    }
    if (key.startsWith('GNU.sparse.')) continue; // read by sparse.ts
    const value = raw.toString('utf8');
    switch (key) {
      case 'path':
        header.name = noNul(key, value, entry);
        break;
      case 'linkpath':
        header.linkname = noNul(key, value, entry);
        break;
      case 'size':
        header.size = decimal(key, value, entry);
        break;
      case 'uid':
        header.uid = decimal(key, value, entry);
        break;
      case 'gid':
        header.gid = decimal(key, value, entry);
        break;
      case 'uname':
        header.uname = value;
        break;
      case 'gname':
        header.gname = value;
        break;
      case 'SCHILY.devmajor':
        header.devmajor = decimal(key, value, entry);
        break;
      case 'SCHILY.devminor':
        header.devminor = decimal(key, value, entry);
        break;
      case 'mtime':
        if (!TIME.test(value)) throw invalidArgument(`cannot read tar: extended header of ${entry}: mtime "${value.slice(0, 40)}" is not a time`);
        header.mtime = Number(value);
        break;
      default:
        header.pax[key] = value;
    }
  }
}

function digitsOf(n: number): number {
  return String(n).length;
}

/** One record "%d key=value\n", its length counting its own digits. */
export function paxRecord(key: string, value: Buffer | string): Buffer {
  const valueBytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const keyBytes = Buffer.byteLength(key, 'utf8');
  const rest = keyBytes + valueBytes.length + 3; // space, '=', newline
  let length = rest + digitsOf(rest);
  if (digitsOf(length) !== length - rest) length = rest + digitsOf(length);
  const out = Buffer.allocUnsafe(length);
  let at = out.write(`${length} ${key}=`, 0, 'utf8');
  at += valueBytes.copy(out, at);
  out[at] = 0x0a;
  return out;
}
