// Cross-process locks on files under the run root: flock(2) through the native addon, so a
// holder that dies (even by kill -9) releases its locks with its file descriptors.
import { closeSync, constants, fstatSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { aborted, BerthError } from '../internal/errors.js';
import { flock } from '../internal/sys.js';

export type LockMode = 'shared' | 'exclusive';

export interface LockOptions {
  mode?: LockMode;
  /** Wait for the lock (default) or give up at once when another holder has it. */
  wait?: boolean;
  signal?: AbortSignal;
}

/**
 * A held lock. flock locks belong to the open file description, so two acquisitions in one
 * process exclude each other exactly as two processes do. A lock file may be deleted by its
 * holder (deleteLockFile, for locks of things that are gone, such as a removed container's):
 * a waiter that then gets the lock of the deleted inode sees that the path no longer names the
 * file it locked, and starts over on the path's new file.
 */
export class FileLock {
  #fd: number | undefined;

  constructor(
    readonly path: string,
    readonly mode: LockMode,
    fd: number,
  ) {
    this.#fd = fd;
  }

  get held(): boolean {
    return this.#fd !== undefined;
  }

  /** The descriptor holding the lock, for appending to the locked file itself. */
  get fd(): number {
    if (this.#fd === undefined) throw new BerthError('failed-precondition', `lock ${this.path} was released`);
    return this.#fd;
  }

  async release(): Promise<void> {
    const fd = this.#fd;
    this.#fd = undefined;
    // Closing the last descriptor drops the flock; no explicit LOCK_UN needed.
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Deletes the lock file `file`, for the lock of something now gone; its holder calls this
 * before it releases the lock (a missing file is fine).
 */
export function deleteLockFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Whether `file` still names the inode open as `fd` (a holder may have deleted it meanwhile). */
function stillNamed(fd: number, file: string): boolean {
  const st = statSync(file, { throwIfNoEntry: false });
  if (st === undefined) return false;
  const own = fstatSync(fd);
  return st.ino === own.ino && st.dev === own.dev;
}

const POLL_MIN_MS = 2;
const POLL_MAX_MS = 25;

/**
 * Takes a lock on `file` (created if missing, parents too). Waiting polls a non-blocking
 * flock with a short backoff rather than parking a libuv thread in a blocking flock: a pool
 * thread stuck waiting could starve the very I/O the holder in this process needs to finish.
 * The open is a direct call: a few microseconds, where a trip through the pool costs 0.1-0.4
 * ms on a busy host, and a container start takes several locks.
 * Returns undefined when `wait` is false and the lock is taken.
 */
export async function acquireLock(file: string, options: LockOptions = {}): Promise<FileLock | undefined> {
  const mode = options.mode ?? 'exclusive';
  const op = mode === 'shared' ? 'sh' : 'ex';
  let fd: number;
  try {
    fd = openLockFile(file);
  } catch (err) {
    throw BerthError.wrap(err, `cannot open lock ${file}`);
  }
  try {
    let delay = POLL_MIN_MS;
    for (;;) {
      if (flock(fd, op, true)) {
        if (stillNamed(fd, file)) return new FileLock(file, mode, fd);
        // Locked, but deleted by its last holder: the lock that counts is the path's new file.
        closeSync(fd);
        fd = openLockFile(file);
        continue;
      }
      if (options.wait === false) {
        closeSync(fd);
        return undefined;
      }
      if (options.signal?.aborted) throw aborted(`cannot lock ${file}: cancelled while waiting`);
      await sleep(delay);
      delay = Math.min(POLL_MAX_MS, delay * 2);
    }
  } catch (err) {
    try {
      closeSync(fd);
    } catch {}
    throw err instanceof BerthError ? err : BerthError.wrap(err, `cannot lock ${file}`);
  }
}

function openLockFile(file: string): number {
  const flags = constants.O_RDWR | constants.O_CREAT;
  try {
    return openSync(file, flags, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(path.dirname(file), { recursive: true });
    return openSync(file, flags, 0o600);
  }
}

/** Runs `fn` holding the lock and releases it whatever happens. */
export async function withLock<T>(file: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(file, { ...options, wait: true });
  try {
    return await fn();
  } finally {
    await lock!.release();
  }
}

/** True when someone holds `file` locked (in any mode); for telling live work from a dead process's leftovers. */
export async function isLocked(file: string): Promise<boolean> {
  let lock: FileLock | undefined;
  try {
    lock = await acquireLock(file, { mode: 'exclusive', wait: false });
  } catch (err) {
    if ((err as BerthError).kind === 'not-found') return false;
    throw err;
  }
  if (!lock) return true;
  await lock.release();
  return false;
}
