// Typed access to berth's native addon (native/: one C file a concern; berth_native.c makes
// the module): the Linux system calls Node lacks. All calls are synchronous except the *Async
// ones, sendFile and spawnWait's exit; failures throw errors with errno codes.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { getSystemErrorName } from 'node:util';
import { failedPrecondition } from './errors.js';
import { projectRoot } from './paths.js';

/** The raw addon; every function here is documented on its typed wrapper below. */
interface Native {
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  lgetxattr(path: string, name: string): Buffer | undefined;
  llistxattr(path: string): string[];
  lremovexattr(path: string, name: string): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  lutimes(path: string, sec: number, nsec: number): void;
  flock(fd: number, op: number, nonblock: boolean): boolean;
  flockAsync(fd: number, op: number): Promise<void>;
  openRoot(path: string): number;
  openDirInRoot(rootFd: number, rel: string, create: boolean): number;
  createAt(
    dirFd: number,
    name: string,
    kind: number,
    major: number,
    minor: number,
    link: string | null,
    linkDirFd: number,
    linkName: string | null,
    data: Buffer | null,
  ): number;
  setMetaAt(
    dirFd: number,
    name: string,
    fd: number,
    isSymlink: boolean,
    uid: number,
    gid: number,
    mode: number,
    mtimeSec: number | undefined,
    mtimeNsec: number,
    xattrs: (string | Buffer)[] | null,
  ): void;
  writeFileAt(
    dirFd: number,
    name: string,
    data: Buffer | null,
    uid: number,
    gid: number,
    mode: number,
    mtimeSec: number | undefined,
    mtimeNsec: number,
    xattrs: (string | Buffer)[] | null,
    umask: number,
  ): void;
  writeFilesPacked(
    nums: Float64Array,
    names: string,
    data: Buffer,
    xattrs: [number, (string | Buffer)[]][] | null,
    umask: number,
  ): Promise<(string | null)[] | null>;
  typeAt(dirFd: number, name: string): number;
  unlinkAt(dirFd: number, name: string, isDir: boolean): void;
  removeTree(path: string): void;
  zstdCreate(compress: boolean, level: number): object;
  zstdProcess(stream: object, input: Buffer, end: boolean): ZstdStep;
  zstdProcessAsync(stream: object, input: Buffer, end: boolean): Promise<ZstdStep>;
  sendfileAsync(id: number, socketFd: number, fileFd: number, offset: number, length: number, copy: number): Promise<number>;
  sendfileCancel(id: number): void;
  alignedBuffer(size: number, align: number): Buffer;
  recvFileAsync(
    id: number,
    socketFd: number,
    fileFd: number,
    fileOffset: number,
    stage: Buffer,
    stageLen: number,
    length: number,
    hash: object | null,
  ): Promise<[received: number, stageLen: number, fileOffset: number, errno: number, eof: number]>;
  sha256Create(): object;
  sha256Update(state: object, data: Uint8Array): void;
  sha256Digest(state: object): string;
  spawn(file: string, argv: string[], fds: number[], cwd: string | null, env: string[] | null): [pid: number, exited: Promise<[code: number, signal: number]>];
  memfd(name: string): number;
  pipe(): [readFd: number, writeFd: number];
  readLine(fd: number, max: number): Promise<Buffer>;
  [constant: string]: unknown;
}

let loaded: Native | undefined;

/** The addon itself, loaded on first use (for the typed wrappers here and in spawn.ts). */
export function native(): Native {
  if (loaded) return loaded;
  const file = path.join(projectRoot(), 'native', 'build', 'Release', 'berth_native.node');
  try {
    // process.dlopen, not require(): the path is absolute and known, so the module loader's
    // resolution (stat calls, its caches) has nothing to add to a start.
    const mod = { exports: {} as Native };
    process.dlopen(mod, file);
    loaded = mod.exports;
  } catch (err) {
    throw failedPrecondition(`cannot load the native addon ${file}: ${(err as Error).message} (run scripts/build.sh)`, {
      cause: err,
    });
  }
  return loaded;
}

/** File type bits for mknod's mode (the values of <sys/stat.h>). */
export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFBLK = 0o060000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

/** mount(2) flags and umount2(2) flags, as the kernel defines them. */
export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_REMOUNT = 32;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_PRIVATE = 1 << 18;
export const MS_SLAVE = 1 << 19;
export const MS_SHARED = 1 << 20;
export const MNT_FORCE = 1;
export const MNT_DETACH = 2;

/** Creates a device node or fifo; `mode` includes S_IFCHR, S_IFBLK or S_IFIFO. */
export function mknod(file: string, mode: number, major: number, minor: number): void {
  native().mknod(file, mode, major, minor);
}

/** Sets an extended attribute on `file` itself (a symlink is not followed). */
export function lsetxattr(file: string, name: string, value: Buffer): void {
  native().lsetxattr(file, name, value);
}

/** An extended attribute of `file` itself, or undefined when it is not set. */
export function lgetxattr(file: string, name: string): Buffer | undefined {
  return native().lgetxattr(file, name);
}

/** Names of the extended attributes of `file` itself (those this process may see). */
export function llistxattr(file: string): string[] {
  return native().llistxattr(file);
}

export function lremovexattr(file: string, name: string): void {
  native().lremovexattr(file, name);
}

/** mount(2). `source`, `fstype` and `data` may be empty for bind mounts and remounts. */
export function mount(source: string, target: string, fstype: string, flags: number, data: string): void {
  native().mount(source || null, target, fstype || null, flags, data || null);
}

/** umount2(2); flags such as MNT_DETACH. */
export function umount2(target: string, flags = 0): void {
  native().umount2(target, flags);
}

/** Sets atime and mtime of `file` itself (never a symlink's target), with nanoseconds. */
export function lutimes(file: string, seconds: number, nanoseconds = 0): void {
  native().lutimes(file, seconds, nanoseconds);
}

export type FlockOp = 'sh' | 'ex' | 'un';
const FLOCK_OPS: Record<FlockOp, number> = { sh: 1, ex: 2, un: 8 };

/**
 * flock(2) on an open fd: 'sh' shared, 'ex' exclusive, 'un' release. With nonblock, returns
 * false instead of waiting when another open file description holds a conflicting lock.
 */
export function flock(fd: number, op: FlockOp, nonblock: boolean): boolean {
  return native().flock(fd, FLOCK_OPS[op], nonblock);
}

/** A blocking flock that waits on a worker thread, leaving the event loop free. */
export function flockAsync(fd: number, op: FlockOp): Promise<void> {
  return native().flockAsync(fd, FLOCK_OPS[op]);
}

// ---- directory-fd calls for extracting into a root that may hold hostile symlinks ----------

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

/** The addon's own values of the constants above, for a test that they agree. */
export function nativeConstants(): Record<string, unknown> {
  return native();
}

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

/**
 * rm -rf of `target` in system calls only (directories opened relative to their parent,
 * O_NOFOLLOW; a symlink is removed, not followed); a missing target is fine. Throws ELOOP for
 * a tree deeper than 256 levels (one fd per level is held), other errno errors as they come.
 */
export function removeTreeNative(target: string): void {
  native().removeTree(target);
}

/** The path through /proc that reaches `name` inside the directory of an fd, for path-only APIs. */
export function procPath(dirFd: number, name = ''): string {
  return name ? `/proc/self/fd/${dirFd}/${name}` : `/proc/self/fd/${dirFd}`;
}

/**
 * One bounded step of a zstd stream: the output (at most 4 MiB), how many input bytes were
 * used, whether more output may come without more input, and (decompressing) whether the
 * input stopped inside a frame.
 */
export type ZstdStep = [output: Buffer[], used: number, more: boolean, frameOpen: boolean];

/**
 * A libzstd stream (ZSTD_DCtx or ZSTD_CCtx). Call step() or stepAsync() with the input not
 * yet used until it is all used and `more` is false; with `end` set, a compressor finishes
 * its frame. Errors carry code 'EZSTD' and libzstd's message. One step at a time.
 */
export class ZstdCoder {
  private readonly handle: object;

  constructor(compress: boolean, level = 3) {
    this.handle = native().zstdCreate(compress, level);
  }

  /** One step on this thread (for small inputs). */
  step(input: Buffer, end: boolean): ZstdStep {
    return native().zstdProcess(this.handle, input, end);
  }

  /** One step on libuv's thread pool (for big inputs: the event loop stays free). */
  stepAsync(input: Buffer, end: boolean): Promise<ZstdStep> {
    return native().zstdProcessAsync(this.handle, input, end);
  }
}

let nextSendfileId = 1;

/**
 * Copies `length` bytes of the file at `fileFd` from `offset` to the (non-blocking) socket
 * `socketFd` with sendfile(2), off the event loop; resolves with the bytes sent, fewer only
 * when the file ended first. Nothing else may write to the socket until it settles. An abort
 * stops it with an ECANCELED error; a closed peer rejects with EPIPE or ECONNRESET. With
 * `copy`, the bytes go through a 256 KiB buffer (read, then write) instead of sendfile: for a
 * reader on this host, which then copies from memory its CPU cache holds rather than from cold
 * page-cache pages.
 */
export function sendFile(socketFd: number, fileFd: number, offset: number, length: number, options: { signal?: AbortSignal; copy?: boolean } = {}): Promise<number> {
  return cancellable((id) => native().sendfileAsync(id, socketFd, fileFd, offset, length, options.copy ? 1 : 0), options.signal);
}

/** Runs a socket job under a fresh id that an abort of `signal` cancels. */
function cancellable<T>(start: (id: number) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  const id = nextSendfileId;
  nextSendfileId = nextSendfileId >= 0x7fffffff ? 1 : nextSendfileId + 1;
  const done = start(id);
  if (!signal) return done;
  const cancel = () => native().sendfileCancel(id);
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  return done.finally(() => signal.removeEventListener('abort', cancel));
}

/** Where a recvFile stopped: all counts are exact even when it failed. */
export interface RecvFileResult {
  /** Bytes read from the socket. */
  received: number;
  /** Bytes now at the start of the stage (not yet written). */
  stageLen: number;
  /** File offset of stage[0]. */
  fileOffset: number;
  /** Error code (EPIPE, ECANCELED, ...) when it failed, '' when not. */
  code: string;
  /** The peer closed before `length` bytes came. */
  eof: boolean;
}

/**
 * Reads `length` bytes from the (non-blocking) socket `socketFd` into `stage` after its first
 * `stageLen` bytes, feeding them to `hash`, and writes the stage to `fileFd` at `fileOffset`
 * whenever it is full, off the event loop (the stage's size and fileOffset must suit the
 * file's O_DIRECT alignment if it has one). Nothing else may read the socket meanwhile. An
 * abort of `signal` stops it with code ECANCELED.
 */
export async function recvFile(
  socketFd: number,
  fileFd: number,
  fileOffset: number,
  stage: Buffer,
  stageLen: number,
  length: number,
  hash: Sha256 | undefined,
  options: { signal?: AbortSignal } = {},
): Promise<RecvFileResult> {
  const [received, left, offset, errno, eof] = await cancellable(
    (id) => native().recvFileAsync(id, socketFd, fileFd, fileOffset, stage, stageLen, length, hash?.state ?? null),
    options.signal,
  );
  return { received, stageLen: left, fileOffset: offset, code: errno ? getSystemErrorName(-errno) : '', eof: eof !== 0 };
}

/** SHA-256 on OpenSSL's state, which recvFile can feed off the event loop. */
export class Sha256 {
  /** The native state; for recvFile. */
  readonly state: object = native().sha256Create();

  update(data: Uint8Array): this {
    native().sha256Update(this.state, data);
    return this;
  }

  /** Lowercase hex; the hash is finished afterwards. */
  digest(): string {
    return native().sha256Digest(this.state);
  }
}

/** A Buffer of `size` bytes whose memory starts on an `align` boundary (a power of two), for O_DIRECT I/O. */
export function alignedBuffer(size: number, align: number): Buffer {
  return native().alignedBuffer(size, align);
}
