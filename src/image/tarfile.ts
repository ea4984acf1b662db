// Random access to the members of a tar file on disk, for archive formats whose index may
// come last (docker-archive's manifest.json, oci-archive's index.json).
//
// The file is read, not spooled: a first pass keeps only small JSON members (under 4 MiB
// each, 64 MiB in all) and the names, sizes and first bytes of the rest; opening any other
// member is another pass that streams just that member. Nothing is written to disk and
// nothing needs cleaning up; the cost is one sequential read of the bytes before a member.
import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type EntryType, readTar } from '../archive/index.js';
import { type Digest, Digester } from '../digest/digest.js';
import { BerthError, invalidArgument, notFound, resourceExhausted } from '../internal/errors.js';
import { MAX_MANIFEST_SIZE } from './fields.js';
import type { ReadOptions } from './handles.js';
import type { Compression } from './mediatype.js';
import { once } from './source-handles.js';

/** Total bytes of JSON members kept from the first pass. */
const MAX_BUFFERED = 64 * 1024 * 1024;
const MAX_LINK_HOPS = 16;
/**
 * Reads larger than 64 KiB would make a skipping pass ~4x faster, but readTar (archive area)
 * stalls on bodies when its source hands out chunks above 64 KiB (a _read arriving while its
 * pump is finishing is dropped): keep fs's default until that is fixed there.
 */
const READ_CHUNK = 64 * 1024;

export interface TarMember {
  name: string;
  type: EntryType;
  size: number;
  /** Resolved target name for symlinks and hardlinks. */
  link?: string;
  /** The whole body, for small JSON members. */
  body?: Buffer;
  /** Compression the first bytes show. */
  compression?: Compression;
  /** sha256 of the body, when the scan was asked to hash this member. */
  digest?: Digest;
}

export interface TarFileOptions {
  /** Whether a member (not kept as JSON) should be hashed during the scan, given its name and compression. */
  hash?: (name: string, compression: Compression) => boolean;
}

/** What the first bytes of a member say about its compression. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * A name inside an archive in one canonical spelling ("./a//b" -> "a/b"). Names that climb
 * out of the archive ("../x", "/etc/x") are refused: they never name anything berth reads.
 */
export function archiveName(name: string): string {
  const parts: string[] = [];
  if (name === '' || name.startsWith('/') || name.includes('\0')) throw badName(name);
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (parts.length === 0) throw badName(name);
      parts.pop();
    } else parts.push(p);
  }
  if (parts.length === 0) throw badName(name);
  return parts.join('/');
}

function badName(name: string) {
  return invalidArgument(`invalid archive member "${name.slice(0, 200)}": not a path inside the archive`);
}

export class TarFile {
  readonly file: string;
  readonly label: string;
  private readonly options: TarFileOptions;

  constructor(file: string, label: string, options: TarFileOptions = {}) {
    this.file = file;
    this.label = label;
    this.options = options;
  }

  /** Every member by canonical name, after one pass over the file. */
  readonly members = once(async (): Promise<Map<string, TarMember>> => {
    const members = new Map<string, TarMember>();
    let buffered = 0;
    try {
      for await (const entry of readTar(createReadStream(this.file, { highWaterMark: READ_CHUNK }))) {
        const { header } = entry;
        let name: string;
        try {
          name = archiveName(header.name);
        } catch {
          continue; // hostile names never match anything we look up
        }
        const m: TarMember = { name, type: header.type, size: header.size };
        if (header.type === 'symlink' || header.type === 'hardlink') {
          try {
            m.link = archiveName(header.type === 'symlink' ? `${name}/../${header.linkname.replace(/^\/+/, '')}` : header.linkname);
          } catch {
            continue; // a link out of the archive stands for nothing we read
          }
        } else if (header.type === 'file') {
          const maybeJson = header.size <= MAX_MANIFEST_SIZE && (name.endsWith('.json') || !name.includes('/') || name.startsWith('blobs/'));
          if (maybeJson) {
            const body = await entry.readAll(MAX_MANIFEST_SIZE);
            m.compression = sniffCompression(body);
            if (body[0] === 0x7b /* { */ || body[0] === 0x5b /* [ */) {
              buffered += body.byteLength;
              if (buffered > MAX_BUFFERED) throw resourceExhausted(`cannot read ${this.label}: more than ${MAX_BUFFERED} bytes of JSON members`);
              m.body = Buffer.from(body);
            } else if (this.options.hash?.(name, m.compression)) {
              const d = new Digester();
              d.update(body);
              m.digest = d.digest();
            }
          } else {
            let hasher: Digester | undefined;
            for await (const chunk of entry.body) {
              if (m.compression === undefined) {
                m.compression = sniffCompression(chunk as Buffer);
                if (this.options.hash?.(name, m.compression)) hasher = new Digester();
                else break; // the reader skips the rest without handing it out
              }
              hasher?.update(chunk as Buffer);
            }
            if (hasher) m.digest = hasher.digest();
          }
        }
        members.set(name, m);
      }
    } catch (err) {
      throw BerthError.wrap(err, `cannot read ${this.label}`);
    }
    return members;
  });

  /** The regular file a name stands for, following symlinks and hardlinks; undefined if none. */
  async find(name: string): Promise<TarMember | undefined> {
    const members = await this.members();
    let m = members.get(name);
    for (let hops = 0; m?.link !== undefined; hops++) {
      if (hops > MAX_LINK_HOPS) throw invalidArgument(`cannot read ${this.label}: too many links from ${name}`);
      m = members.get(m.link);
    }
    return m?.type === 'file' ? m : undefined;
  }

  async get(name: string): Promise<TarMember> {
    const m = await this.find(name);
    if (!m) throw notFound(`cannot read ${this.label}: no file "${name}" in the archive`);
    return m;
  }

  /** Streams one member's body (from memory when the scan kept it). */
  async open(name: string, options: ReadOptions = {}): Promise<Readable> {
    const m = await this.get(name);
    const out = new PassThrough({ highWaterMark: 256 * 1024 });
    if (m.body) {
      out.end(m.body);
      return out;
    }
    const run = async () => {
      for await (const entry of readTar(createReadStream(this.file, { highWaterMark: READ_CHUNK }), { signal: options.signal })) {
        let entryName: string;
        try {
          entryName = archiveName(entry.header.name);
        } catch {
          continue;
        }
        if (entryName === m.name && entry.header.type === 'file') {
          await pipeline(entry.body, out);
          return;
        }
      }
      throw notFound(`cannot read ${this.label}: "${m.name}" vanished from the archive`);
    };
    run().catch((err) => out.destroy(err instanceof BerthError ? err : BerthError.wrap(err, `cannot read ${m.name} in ${this.label}`)));
    return out;
  }
}
