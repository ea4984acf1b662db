// The streaming tar reader: ustar, POSIX pax (local and global), GNU long names and
// base-256 numbers, v7. Bounded work on hostile input; bodies stream with backpressure.
import type { Readable } from 'node:stream';
import { aborted, corrupt, invalidArgument, resourceExhausted, unsupported } from '../internal/errors.js';
import { ByteSource } from './byte-source.js';
import type { TarEntry, TarHeader } from './entry.js';
import { applyPax, mergeGlobal, type PaxRecords, parsePaxRecords } from './pax.js';
import {
  BLOCK,
  checksumMatches,
  DEV_LEN,
  DEVMAJOR,
  DEVMINOR,
  entryTypeOf,
  GID,
  GNAME,
  headerFormat,
  headerName,
  ID_LEN,
  isZeroBlock,
  LINKNAME,
  LINKNAME_LEN,
  MODE,
  MTIME,
  MTIME_LEN,
  OWNER_LEN,
  parseNumeric,
  parseString,
  quote,
  SIZE,
  SIZE_LEN,
  TYPEFLAG,
  UID,
  UNAME,
} from './tar-header.js';
import { checkSparseMap, paxSparse, readOldGnuSparse, readPax1Map, type SparseMap, SparseEntry } from './sparse.js';
import { ReaderEntry } from './tar-reader-entry.js';

export interface ReadTarOptions {
  /** Largest body a file entry may declare; larger is 'resource-exhausted'. Default: no limit (2^53). */
  maxEntrySize?: number;
  /** Largest pax extended header ('x' or 'g') body. Default 1 MiB. */
  maxPaxSize?: number;
  /** Most records in one pax header, and in the running global set. Default 10,000. */
  maxPaxRecords?: number;
  /** Longest name or link target (GNU 'L'/'K' bodies, pax path/linkpath), in bytes. Default 64 KiB. */
  maxNameLength?: number;
  /**
   * Largest real size of a GNU sparse file, whose holes the reader fills with zeros: a few
   * bytes of archive could otherwise promise terabytes. Default 8 GiB.
   */
  maxSparseSize?: number;
  /**
   * Read what follows the end-of-archive marker (zero padding, usually) to the end of the
   * stream, so a digest computed upstream completes. Default true. With false the reader
   * stops at the marker and leaves the source paused, not destroyed (bytes it had already
   * buffered past the marker are dropped).
   */
  drain?: boolean;
  /** Stops reading and destroys the source. */
  signal?: AbortSignal;
}

/** An entry as readTar yields it: a TarEntry plus a cheap way to take a small body whole. */
export interface TarReaderEntry extends TarEntry {
  /**
   * The whole body as one Buffer (a view of the source's chunk when it lies in one, so
   * small files cost no copy). Refuses with 'resource-exhausted', reading nothing, when the
   * body is larger than `maxBytes` (default 64 MiB). Use instead of `body`, not with it.
   */
  readAll(maxBytes?: number): Promise<Buffer>;
}

const DEFAULTS = {
  maxEntrySize: Number.MAX_SAFE_INTEGER,
  maxPaxSize: 1024 * 1024,
  maxPaxRecords: 10_000,
  maxNameLength: 64 * 1024,
  maxSparseSize: 8 * 1024 * 1024 * 1024,
};

const printable = quote;

/**
 * Reads a tar stream entry by entry. The iterator does not move on until the current
 * entry's body was read to its end or skipped (an untouched body is skipped for you when
 * you ask for the next entry). Leaving the loop early destroys the source. The end is two
 * zero blocks, or the end of the stream at a block boundary; what follows the end marker
 * is read and dropped so that a digesting stream upstream sees every byte.
 */
export async function* readTar(source: Readable, options: ReadTarOptions = {}): AsyncGenerator<TarReaderEntry, void, undefined> {
  const limits = {
    maxEntrySize: options.maxEntrySize ?? DEFAULTS.maxEntrySize,
    maxPaxSize: options.maxPaxSize ?? DEFAULTS.maxPaxSize,
    maxPaxRecords: options.maxPaxRecords ?? DEFAULTS.maxPaxRecords,
    maxNameLength: options.maxNameLength ?? DEFAULTS.maxNameLength,
    maxSparseSize: options.maxSparseSize ?? DEFAULTS.maxSparseSize,
  };
  const { signal } = options;
  const input = new ByteSource(source, 'tar');
  const onAbort = () => source.destroy(aborted('cannot read tar: aborted'));
  if (signal?.aborted) {
    source.destroy();
    throw aborted('cannot read tar: aborted');
  }
  signal?.addEventListener('abort', onAbort, { once: true });

  const global: PaxRecords = new Map();
  let local: PaxRecords | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let current: ReaderEntry | SparseEntry | undefined;
  let clean = false;

  /** The body of a pax or GNU long-name header, read whole after its size was bounded. */
  const readMeta = async (size: number, what: string): Promise<Buffer> => {
    const body = await input.read(size);
    if (body.length < size) throw corrupt(`cannot read tar: truncated ${what}: got ${body.length} of ${size} bytes`);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if ((await input.skip(pad)) < pad) throw corrupt(`cannot read tar: truncated ${what}: padding cut short`);
    return body;
  };

  const readLongName = async (size: number, label: string, kind: string): Promise<string> => {
    if (size > limits.maxNameLength + 1) {
      throw resourceExhausted(`cannot read tar: GNU long ${kind} of ${size} bytes after ${label} exceeds the limit of ${limits.maxNameLength}`);
    }
    const body = await readMeta(size, `GNU long ${kind} after ${label}`);
    let end = body.indexOf(0);
    if (end === -1) end = body.length;
    for (let i = end; i < body.length; i++) {
      if (body[i] !== 0) throw invalidArgument(`cannot read tar: GNU long ${kind} after ${label} contains a NUL byte`);
    }
    const value = body.toString('utf8', 0, end);
    if (value === '') throw invalidArgument(`cannot read tar: empty GNU long ${kind} after ${label}`);
    return value;
  };

  let lastName = '(start of archive)';
  try {
    for (;;) {
      const at = input.offset;
      const block = input.available >= BLOCK ? input.take(BLOCK) : await input.read(BLOCK);
      if (block.length === 0) break;
      if (block.length < BLOCK) throw corrupt(`cannot read tar: truncated header at byte ${at} (after ${printable(lastName)}): got ${block.length} of ${BLOCK} bytes`);
      if (isZeroBlock(block)) {
        if (options.drain !== false) await input.drain();
        break;
      }
      if (!checksumMatches(block)) {
        throw corrupt(`cannot read tar: bad header checksum at byte ${at}${at === 0 ? ' (not a tar archive?)' : ` (after ${printable(lastName)})`}`);
      }
      const format = headerFormat(block);
      const flag = block[TYPEFLAG];
      const blockName = headerName(block, format);
      const rawName = longName ?? blockName;
      const size = parseNumeric(block, SIZE, SIZE_LEN, 'size', rawName);

      switch (flag) {
        case 0x78: // 'x' pax extended header for the next entry
        case 0x58: // 'X' Solaris' older spelling of the same
        case 0x67: {
          // 'g' pax global header
          const label = printable(rawName);
          const what = flag === 0x67 ? 'global extended header' : `extended header ${label}`;
          if (size > limits.maxPaxSize) throw resourceExhausted(`cannot read tar: ${what} of ${size} bytes exceeds the limit of ${limits.maxPaxSize}`);
          const body = await readMeta(size, what);
          if (flag === 0x67) {
            const records: PaxRecords = new Map();
            parsePaxRecords(body, label, limits.maxPaxRecords, records);
            mergeGlobal(global, records, limits.maxPaxRecords);
          } else {
            local ??= new Map();
            parsePaxRecords(body, label, limits.maxPaxRecords, local);
          }
          continue;
        }
        case 0x4c: // 'L' GNU long name for the next entry
          longName = await readLongName(size, printable(lastName), 'name');
          continue;
        case 0x4b: // 'K' GNU long link target for the next entry
          longLink = await readLongName(size, printable(lastName), 'link name');
          continue;
      }

      let type = flag === 0x53 ? 'file' : entryTypeOf(flag); // 'S': old GNU sparse file
      if (type === undefined) {
        const shown = flag >= 0x20 && flag < 0x7f ? String.fromCharCode(flag) : `\\x${flag.toString(16).padStart(2, '0')}`;
        throw unsupported(`cannot read tar: ${printable(rawName)} has unsupported type flag '${shown}'`);
      }
      const linkname = parseString(block, LINKNAME, LINKNAME_LEN);
      const hasOwnerNames = format !== 'v7';
      const header: TarHeader = {
        name: longName ?? blockName,
        type,
        mode: parseNumeric(block, MODE, ID_LEN, 'mode', rawName) & 0o7777,
        uid: parseNumeric(block, UID, ID_LEN, 'uid', rawName),
        gid: parseNumeric(block, GID, ID_LEN, 'gid', rawName),
        size: type === 'file' ? size : 0,
        mtime: parseNumeric(block, MTIME, MTIME_LEN, 'mtime', rawName),
        linkname: longLink ?? linkname,
        uname: hasOwnerNames ? parseString(block, UNAME, OWNER_LEN) : '',
        gname: hasOwnerNames ? parseString(block, GNAME, OWNER_LEN) : '',
        devmajor: type === 'char' || type === 'block' ? parseNumeric(block, DEVMAJOR, DEV_LEN, 'devmajor', rawName) : 0,
        devminor: type === 'char' || type === 'block' ? parseNumeric(block, DEVMINOR, DEV_LEN, 'devminor', rawName) : 0,
        xattrs: new Map(),
        pax: {},
      };
      if (global.size > 0) applyPax(header, global, printable(rawName));
      if (local !== undefined) applyPax(header, local, printable(rawName));
      // Old tars (v7, and '\0' in general) mark a directory only by its trailing slash.
      if (flag === 0 && type === 'file' && header.name.endsWith('/')) {
        type = header.type = 'directory';
        header.size = 0;
      }
      if (type !== 'file') header.size = 0;
      // A sparse file stores only its data runs; header.size becomes the real size.
      let stored = header.size;
      let map: SparseMap | undefined;
      if (flag === 0x53) {
        ({ map, realSize: header.size } = await readOldGnuSparse(block, input, header.name, stored));
      } else if (type === 'file') {
        const pax = paxSparse(local, header.name);
        if (pax !== undefined) {
          header.name = pax.name;
          if (pax.map === undefined) {
            const opening = await readPax1Map(input, pax.name, stored, limits.maxPaxSize);
            map = opening.map;
            stored -= opening.bytes;
          } else {
            map = pax.map;
          }
          checkSparseMap(map, pax.realSize, stored, pax.name);
          header.size = pax.realSize;
        }
      }
      if (map !== undefined && header.size > limits.maxSparseSize) {
        throw resourceExhausted(`cannot read tar: sparse file ${printable(header.name)} of ${header.size} bytes exceeds the limit of ${limits.maxSparseSize}`);
      }
      validate(header, limits);
      local = undefined;
      longName = undefined;
      longLink = undefined;
      lastName = header.name;

      const raw = new ReaderEntry(header, input, type === 'file' ? stored : 0);
      const entry = map === undefined ? raw : new SparseEntry(header, raw, map);
      current = entry;
      yield entry;
      await entry.finish();
      current = undefined;
      if (signal?.aborted) throw aborted('cannot read tar: aborted');
    }
    if (longName !== undefined || longLink !== undefined || local !== undefined) {
      throw corrupt(`cannot read tar: the archive ends after an extended header (after ${printable(lastName)})`);
    }
    clean = true;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (clean) {
      input.release();
    } else {
      current?.abandon();
      input.destroy();
    }
  }
}

function validate(header: TarHeader, limits: typeof DEFAULTS): void {
  const { name, linkname } = header;
  if (name === '') throw invalidArgument('cannot read tar: an entry has an empty name');
  if (name.includes('\0')) throw invalidArgument(`cannot read tar: name ${printable(name)} contains a NUL byte`);
  if (linkname.includes('\0')) throw invalidArgument(`cannot read tar: link target of ${printable(name)} contains a NUL byte`);
  // A UTF-8 byte is at most 3 per UTF-16 unit: most names are cleared without counting.
  if (name.length * 3 > limits.maxNameLength && Buffer.byteLength(name) > limits.maxNameLength) {
    throw resourceExhausted(`cannot read tar: name of ${Buffer.byteLength(name)} bytes exceeds the limit of ${limits.maxNameLength}`);
  }
  if (linkname.length * 3 > limits.maxNameLength && Buffer.byteLength(linkname) > limits.maxNameLength) {
    throw resourceExhausted(`cannot read tar: link target of ${printable(name)} exceeds the limit of ${limits.maxNameLength} bytes`);
  }
  if ((header.type === 'symlink' || header.type === 'hardlink') && linkname === '') {
    throw invalidArgument(`cannot read tar: ${header.type} ${printable(name)} has no target`);
  }
  if (header.size > limits.maxEntrySize) {
    throw resourceExhausted(`cannot read tar: ${printable(name)} is ${header.size} bytes, over the limit of ${limits.maxEntrySize}`);
  }
}
