// Typed access to berth's native addon (native/: one C file a concern; berth_native.c makes
// the module): the Linux system calls Node lacks. This file loads it and wraps the file-system
// calls (fsops.c); its other concerns have a file each, like native/'s: sys-at.ts (extract.c:
// directory-fd calls), sys-zstd.ts (zstd.c), sys-socket.ts (socket.c), spawn.ts (spawn.c).
// All calls are synchronous except the *Async ones, sendFile and spawnWait's exit; failures
// throw errors with errno codes.
import * as path from 'node:path';
import { failedPrecondition } from './errors.js';
import { projectRoot } from './paths.js';
import type { ZstdStep } from './sys-zstd.js';

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
  setPipeSize(fd: number, bytes: number): void;
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
  processGone(pid: number, timeoutMs: number): Promise<boolean>;
  outputProcessing(fd: number, on: boolean): boolean;
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
export const MS_SYNCHRONOUS = 16;
export const MS_MANDLOCK = 64;
export const MS_DIRSYNC = 128;
export const MS_NOATIME = 1024;
export const MS_NODIRATIME = 2048;
export const MS_SILENT = 32768;
export const MS_UNBINDABLE = 1 << 17;
export const MS_RELATIME = 1 << 21;
export const MS_I_VERSION = 1 << 23;
export const MS_STRICTATIME = 1 << 24;
export const MS_LAZYTIME = 1 << 25;
export const MNT_FORCE = 1;
export const MNT_DETACH = 2;

/** Creates a device node or fifo; `mode` includes S_IFCHR, S_IFBLK or S_IFIFO. */
export function mknod(file: string, mode: number, major: number, minor: number): void {
  native().mknod(file, mode, major, minor);
}

/** Lets a pipe hold `bytes` unread (fcntl F_SETPIPE_SZ; the default is 64 KiB). */
export function setPipeSize(fd: number, bytes: number): void {
  native().setPipeSize(fd, bytes);
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

/**
 * rm -rf of `target` in system calls only (directories opened relative to their parent,
 * O_NOFOLLOW; a symlink is removed, not followed); a missing target is fine. Throws ELOOP for
 * a tree deeper than 256 levels (one fd per level is held), other errno errors as they come.
 */
export function removeTreeNative(target: string): void {
  native().removeTree(target);
}

/** The addon's own values of the constants above, for a test that they agree. */
export function nativeConstants(): Record<string, unknown> {
  return native();
}
