// The addon's directory-fd calls (native/extract.c), for extracting into a root that may hold
// hostile symlinks: every path resolved inside the root (openat2 RESOLVE_IN_ROOT), entries
// made and their metadata set relative to a directory fd, small files written in batches.
import { readFileSync } from 'node:fs';
import { native } from './sys.js';

/** An O_PATH fd of a directory, the root for openDirInRoot. Close with fs.closeSync. */
export function openRoot(dir: string): number {
  return native().openRoot(dir);
}

/**
 * An O_PATH fd of directory `rel` inside the root, resolved with openat2(RESOLVE_IN_ROOT):
 * absolute symlinks and ".." are confined to the root, as if chrooted. With `create`,
 * missing directories are made with mode 0755.
 */
export function openDirInRoot(rootFd: number, rel: string, create: boolean): number {
  return native().openDirInRoot(rootFd, rel, create);
}

/** Entry kinds of createAt, in the addon's numbering. */
export const NodeKind = { File: 0, Directory: 1, Symlink: 2, Hardlink: 3, Char: 4, Block: 5, Fifo: 6 } as const;
export type NodeKind = (typeof NodeKind)[keyof typeof NodeKind];

export interface CreateAtOptions {
  major?: number;
  minor?: number;
  /** Symlink target text. */
  link?: string;
  /** Hardlink source: a directory fd and a single name in it. */
  linkDirFd?: number;
  linkName?: string;
  /** File content written right away. */
  data?: Buffer;
}

/**
 * Creates `name` (one component) in dirFd with private permissions, failing with EEXIST if
 * the name is taken. A file's fd is returned open (write the rest, then setMetaAt closes
 * it); other kinds return -1.
 */
export function createAt(dirFd: number, name: string, kind: NodeKind, options: CreateAtOptions = {}): number {
  return native().createAt(
    dirFd,
    name,
    kind,
    options.major ?? 0,
    options.minor ?? 0,
    options.link ?? null,
    options.linkDirFd ?? -1,
    options.linkName ?? null,
    options.data ?? null,
  );
}

export interface Metadata {
  /** -1 keeps the owner. */
  uid: number;
  gid: number;
  /** Permission bits incl. setuid/setgid/sticky; -1 keeps them. Ignored for symlinks. */
  mode: number;
  /** Seconds since the epoch (atime and mtime); undefined keeps the times. */
  mtimeSec?: number;
  mtimeNsec?: number;
  /** Flat [name, value, name, value...] list, or null. */
  xattrs?: (string | Buffer)[] | null;
}

/**
 * Sets owner, then xattrs, then mode, then times of `name` in dirFd (in that order:
 * chown clears setuid bits and security.capability). `fd` (>= 0) is a file fd from
 * createAt, used and closed. Never follows a symlink.
 */
export function setMetaAt(dirFd: number, name: string, fd: number, isSymlink: boolean, meta: Metadata): void {
  native().setMetaAt(
    dirFd,
    name,
    fd,
    isSymlink,
    meta.uid,
    meta.gid,
    meta.mode,
    meta.mtimeSec,
    meta.mtimeNsec ?? 0,
    meta.xattrs ?? null,
  );
}

let umaskBits: number | undefined;

/** The process umask, read without changing it (process.umask() would set it twice). */
function currentUmask(): number {
  if (umaskBits === undefined) {
    const line = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    umaskBits = line ? Number.parseInt(line[1], 8) : 0o777;
  }
  return umaskBits;
}

/**
 * createAt + setMetaAt for a small file in one call (one crossing into C per file): made
 * O_EXCL, never through a symlink, written, owned, moded, timed and closed. EEXIST when
 * the name is taken.
 */
export function writeFileAt(dirFd: number, name: string, data: Buffer | null, meta: Metadata): void {
  native().writeFileAt(
    dirFd,
    name,
    data,
    meta.uid,
    meta.gid,
    meta.mode,
    meta.mtimeSec,
    meta.mtimeNsec ?? 0,
    meta.xattrs ?? null,
    currentUmask(),
  );
}

/** Numbers per file in a FileBatch: dirFd, uid, gid, mode, hasTime, sec, nsec, length. */
const FILE_STRIDE = 8;

/**
 * Small files gathered in columns for one call on a worker thread: crossing into C costs
 * a few N-API calls per batch instead of ten per file, and no array per file is made.
 * Bodies are copied back to back into `pool`, a buffer the caller reuses between batches
 * (a fresh large buffer per batch costs more in page faults than the copies).
 */
export class FileBatch {
  private nums = new Float64Array(FILE_STRIDE * 256);
  private readonly names: string[] = [];
  private xattrs: [number, (string | Buffer)[]][] | null = null;
  /** Bytes of file data gathered. */
  bytes = 0;

  constructor(pool: Buffer) {
    this.pool = pool;
  }

  /** The body pool (a bigger one than given when the batch outgrew it). */
  pool: Buffer;

  get length(): number {
    return this.names.length;
  }

  add(dirFd: number, name: string, data: Buffer | null, uid: number, gid: number, mode: number, mtimeSec: number, mtimeNsec: number, xattrs: (string | Buffer)[] | null): void {
    const i = this.names.length;
    if ((i + 1) * FILE_STRIDE > this.nums.length) {
      const grown = new Float64Array(this.nums.length * 2);
      grown.set(this.nums);
      this.nums = grown;
    }
    const length = data === null ? 0 : data.length;
    if (length > 0) {
      if (this.bytes + length > this.pool.length) {
        const grown = Buffer.allocUnsafe(Math.max(this.pool.length * 2, this.bytes + length));
        this.pool.copy(grown, 0, 0, this.bytes);
        this.pool = grown;
      }
      (data as Buffer).copy(this.pool, this.bytes);
      this.bytes += length;
    }
    const at = i * FILE_STRIDE;
    const nums = this.nums;
    nums[at] = dirFd;
    nums[at + 1] = uid;
    nums[at + 2] = gid;
    nums[at + 3] = mode;
    nums[at + 4] = 1;
    nums[at + 5] = mtimeSec;
    nums[at + 6] = mtimeNsec;
    nums[at + 7] = length;
    this.names.push(name);
    if (xattrs !== null) (this.xattrs ??= []).push([i, xattrs]);
  }

  /** The directory fd and name of file i. */
  where(i: number): [dirFd: number, name: string] {
    return [this.nums[i * FILE_STRIDE], this.names[i]];
  }

  /**
   * Writes every file in order on a worker thread (a failed one leaves no file); resolves to null
   * when all were written, else one errno code (or null) per file. The pool must stay
   * untouched until then.
   */
  write(): Promise<(string | null)[] | null> {
    const nums = this.nums.subarray(0, this.names.length * FILE_STRIDE);
    return native().writeFilesPacked(nums, this.names.join('\0'), this.pool.subarray(0, this.bytes), this.xattrs, currentUmask());
  }

  /** File i alone, on this thread (writeFileAt). */
  writeOne(i: number): void {
    const at = i * FILE_STRIDE;
    const nums = this.nums;
    let offset = 0;
    // Bodies are back to back in order: the offset of file i is the sum of those before.
    for (let j = 0; j < i; j++) offset += nums[j * FILE_STRIDE + 7];
    const data = this.pool.subarray(offset, offset + nums[at + 7]);
    const xattrs = this.xattrs?.find(([index]) => index === i)?.[1] ?? null;
    writeFileAt(nums[at], this.names[i], data, { uid: nums[at + 1], gid: nums[at + 2], mode: nums[at + 3], mtimeSec: nums[at + 5], mtimeNsec: nums[at + 6], xattrs });
  }
}

/** The S_IFMT bits of `name` in dirFd (not following symlinks), or 0 if it does not exist. */
export function typeAt(dirFd: number, name: string): number {
  return native().typeAt(dirFd, name);
}

/** unlinkat(2): removes a non-directory, or an empty directory when isDir. */
export function unlinkAt(dirFd: number, name: string, isDir: boolean): void {
  native().unlinkAt(dirFd, name, isDir);
}

/** The path through /proc that reaches `name` inside the directory of an fd, for path-only APIs. */
export function procPath(dirFd: number, name = ''): string {
  return name ? `/proc/self/fd/${dirFd}/${name}` : `/proc/self/fd/${dirFd}`;
}
