// The tar entry as berth's tar reader yields it and its writer takes it: the contract
// between the archive format (src/archive) and its users (layers, docker-archive).
import type { Readable } from 'node:stream';

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarHeader {
  /** Path inside the archive as written (after PAX/GNU long-name resolution), never normalised here. */
  name: string;
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Body size in bytes (0 for everything but files). */
  size: number;
  /** Modification time in seconds since the epoch; may carry a fraction from PAX. */
  mtime: number;
  /** Target of a symlink, or the archive path a hardlink points at. */
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from PAX records SCHILY.xattr.* (and LIBARCHIVE.xattr.*). */
  xattrs: Map<string, Buffer>;
  /** Other PAX records, kept for callers that care (atime, ctime, comments). */
  pax: Record<string, string>;
}

export interface TarEntry {
  header: TarHeader;
  /**
   * The body of a file entry. The reader does not move on until the body has been read to
   * its end or `skip()` was called, so a consumer handles entries strictly one at a time.
   */
  body: Readable;
  /** Discards the rest of the body. */
  skip(): Promise<void>;
  /**
   * The whole body as one Buffer, cheaper than `body` for small files (readTar's entries
   * always have it; no copy when the body lies in one chunk of the source). Refuses with
   * 'resource-exhausted', reading nothing, when the body is over `maxBytes`.
   */
  readAll?(maxBytes?: number): Promise<Buffer>;
}

/** A header with defaults for everything a caller did not say. */
export function tarHeader(fields: Partial<TarHeader> & Pick<TarHeader, 'name' | 'type'>): TarHeader {
  return {
    mode: fields.type === 'directory' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 0,
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
    pax: {},
    ...fields,
  };
}
