// The 512-byte tar header block: field offsets, numeric fields (octal and GNU base-256),
// checksums and magic. Reader and writer share it so they agree byte for byte.
import { invalidArgument } from '../internal/errors.js';
import type { EntryType } from './entry.js';

export const BLOCK = 512;

// Field offsets and lengths of the ustar header (POSIX.1-1988, pax(1)).
export const NAME = 0;
export const NAME_LEN = 100;
export const MODE = 100;
export const UID = 108;
export const GID = 116;
export const ID_LEN = 8;
export const SIZE = 124;
export const SIZE_LEN = 12;
export const MTIME = 136;
export const MTIME_LEN = 12;
export const CHKSUM = 148;
export const CHKSUM_LEN = 8;
export const TYPEFLAG = 156;
export const LINKNAME = 157;
export const LINKNAME_LEN = 100;
export const MAGIC = 257;
export const VERSION = 263;
export const UNAME = 265;
export const GNAME = 297;
export const OWNER_LEN = 32;
export const DEVMAJOR = 329;
export const DEVMINOR = 337;
export const DEV_LEN = 8;
export const PREFIX = 345;
export const PREFIX_LEN = 155;

/** Largest values the octal fields hold (digits = field length - 1, then a NUL). */
export const MAX_OCTAL_ID = 0o7777777;
export const MAX_OCTAL_SIZE = 0o77777777777;

export type HeaderFormat = 'ustar' | 'gnu' | 'v7';

/** "ustar\0" "00" is POSIX ustar/pax; "ustar " " \0" is GNU (old GNU); anything else v7. */
export function headerFormat(block: Uint8Array): HeaderFormat {
  if (block[MAGIC] !== 0x75 || block[MAGIC + 1] !== 0x73 || block[MAGIC + 2] !== 0x74 || block[MAGIC + 3] !== 0x61 || block[MAGIC + 4] !== 0x72) return 'v7';
  if (block[MAGIC + 5] === 0) return 'ustar';
  if (block[MAGIC + 5] === 0x20 && block[VERSION] === 0x20) return 'gnu';
  return 'v7';
}

const ZERO_BLOCK = Buffer.alloc(BLOCK);

export function isZeroBlock(block: Buffer): boolean {
  return block.equals(ZERO_BLOCK);
}

/**
 * Checks the header checksum. Historic tars summed signed chars, so both the unsigned and
 * the signed sum are accepted, as GNU tar and Go's archive/tar do.
 */
export function checksumMatches(block: Uint8Array): boolean {
  const stored = parseOctalLoose(block, CHKSUM, CHKSUM_LEN);
  if (stored === -1) return false;
  let unsigned = 8 * 0x20;
  for (let i = 0; i < CHKSUM; i++) unsigned += block[i];
  for (let i = CHKSUM + CHKSUM_LEN; i < BLOCK; i++) unsigned += block[i];
  if (stored === unsigned) return true;
  // Only old or odd writers get here: count the bytes a signed sum would see as negative.
  let high = 0;
  for (let i = 0; i < BLOCK; i++) if (block[i] >= 0x80 && (i < CHKSUM || i >= CHKSUM + CHKSUM_LEN)) high++;
  return stored === unsigned - 256 * high;
}

/** The unsigned checksum of a block whose checksum field is still spaces or zeros. */
export function computeChecksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= CHKSUM && i < CHKSUM + CHKSUM_LEN ? 0x20 : block[i];
  return sum;
}

/** Octal digits between optional spaces/NULs; -1 when anything else is there. */
function parseOctalLoose(buf: Uint8Array, off: number, len: number): number {
  let i = off;
  const end = off + len;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  while (i < end && buf[i] >= 0x30 && buf[i] <= 0x37) {
    value = value * 8 + (buf[i] - 0x30);
    i++;
    digits++;
  }
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) i++;
  return i === end && digits > 0 ? value : -1;
}

/**
 * A numeric field: octal ASCII (leading/trailing spaces and NULs allowed, empty means 0) or
 * GNU base-256 (first byte 0x80 positive, 0xff negative). Negative or garbage values and
 * values beyond 2^53 are refused: no tar field has a use for them here.
 */
export function parseNumeric(buf: Uint8Array, off: number, len: number, field: string, entry: string): number {
  const first = buf[off];
  if (first & 0x80) {
    if (first === 0xff) throw invalidArgument(`cannot read tar: header of ${quote(entry)}: ${field} is negative`);
    let value = first & 0x7f;
    for (let i = off + 1; i < off + len; i++) {
      value = value * 256 + buf[i];
      if (value > Number.MAX_SAFE_INTEGER) throw invalidArgument(`cannot read tar: header of ${quote(entry)}: ${field} is too large`);
    }
    return value;
  }
  let i = off;
  const end = off + len;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) i++;
  let value = 0;
  while (i < end && buf[i] >= 0x30 && buf[i] <= 0x37) {
    value = value * 8 + (buf[i] - 0x30);
    i++;
  }
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) i++;
  if (i !== end) {
    const raw = Buffer.from(buf.subarray(off, end)).toString('latin1').replace(/[^\x20-\x7e]/g, '?');
    throw invalidArgument(`cannot read tar: header of ${quote(entry)}: ${field} "${raw}" is not an octal number`);
  }
  return value;
}

/** A name as error messages show it: quoted, escaped, cut at 200 characters. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}...` : s);
}

/** A NUL-terminated string field. */
export function parseString(buf: Buffer, off: number, len: number): string {
  let end = off;
  const max = off + len;
  while (end < max && buf[end] !== 0) end++;
  if (end === off) return '';
  return buf.toString('utf8', off, end);
}

/** The entry's name as its header alone gives it (ustar prefix joined), before PAX or GNU long names. */
export function headerName(block: Buffer, format: HeaderFormat): string {
  const name = parseString(block, NAME, NAME_LEN);
  if (format !== 'ustar' || block[PREFIX] === 0) return name;
  return `${parseString(block, PREFIX, PREFIX_LEN)}/${name}`;
}

/** Type flags of entries that have a body or no body; others are extensions or unknown. */
export function entryTypeOf(flag: number): EntryType | undefined {
  switch (flag) {
    case 0x30: // '0'
    case 0: // '\0' (v7)
    case 0x37: // '7' contiguous file: a plain file everywhere that matters
      return 'file';
    case 0x31:
      return 'hardlink';
    case 0x32:
      return 'symlink';
    case 0x33:
      return 'char';
    case 0x34:
      return 'block';
    case 0x35:
      return 'directory';
    case 0x36:
      return 'fifo';
    default:
      return undefined;
  }
}

export const TYPEFLAG_OF: Record<EntryType, number> = {
  file: 0x30,
  hardlink: 0x31,
  symlink: 0x32,
  char: 0x33,
  block: 0x34,
  directory: 0x35,
  fifo: 0x36,
};

/** Writes `value` as zero-padded octal filling len-1 digits, then a NUL. */
export function writeOctal(buf: Uint8Array, off: number, len: number, value: number): void {
  let v = Math.floor(value);
  for (let i = off + len - 2; i >= off; i--) {
    buf[i] = 0x30 + (v % 8);
    v = Math.floor(v / 8);
  }
  buf[off + len - 1] = 0;
}

/** Writes an ASCII/UTF-8 string that the caller checked fits. */
export function writeString(buf: Buffer, off: number, len: number, value: string): void {
  if (value.length > 0) buf.write(value, off, len, 'utf8');
}

/** Writes the checksum as six octal digits, NUL, space (the historic layout every tar reads). */
export function writeChecksum(block: Buffer): void {
  block.fill(0x20, CHKSUM, CHKSUM + CHKSUM_LEN);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  writeOctal(block, CHKSUM, 7, sum);
  block[CHKSUM + 7] = 0x20;
}
