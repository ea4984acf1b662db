// Cross-process locks on files under the run root: flock(2) through the native addon, so a
// holder that dies (even by kill -9) releases its locks with its file descriptors.
import * as fs from 'node:fs/promises';
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
 * process exclude each other exactly as two processes do. Lock files are never deleted: a
 * deleted lock file lets a waiter lock an orphaned inode while a newcomer locks a new one.
 */
export class FileLock {
  private handle: fs.FileHandle | undefined;

  constructor(
    readonly path: string,
    readonly mode: LockMode,
    handle: fs.FileHandle,
  ) {
    this.handle = handle;
  }

  get held(): boolean {
    return this.handle !== undefined;
  }

  /** The descriptor holding the lock, for appending to the locked file itself. */
  get fileHandle(): fs.FileHandle {
    if (!this.handle) throw new BerthError('failed-precondition', `lock ${this.path} was released`);
    return this.handle;
  }

  async release(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    // Closing the last descriptor drops the flock; no explicit LOCK_UN needed.
    await h?.close();
  }
}

const POLL_MIN_MS = 2;
const POLL_MAX_MS = 25;

/**
 * Takes a lock on `file` (created if missing, parents too). Waiting polls a non-blocking
 * flock with a short backoff rather than parking a libuv thread in a blocking flock: a pool
 * thread stuck waiting could starve the very I/O the holder in this process needs to finish.
 * Returns undefined when `wait` is false and the lock is taken.
 */
export async function acquireLock(file: string, options: LockOptions = {}): Promise<FileLock | undefined> {
  const mode = options.mode ?? 'exclusive';
  const op = mode === 'shared' ? 'sh' : 'ex';
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw BerthError.wrap(err, `cannot open lock ${file}`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    handle = await fs.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  }
  try {
    let delay = POLL_MIN_MS;
    for (;;) {
      if (flock(handle.fd, op, true)) return new FileLock(file, mode, handle);
      if (options.wait === false) {
        await handle.close();
        return undefined;
      }
      if (options.signal?.aborted) throw aborted(`cannot lock ${file}: cancelled while waiting`);
      await sleep(delay);
      delay = Math.min(POLL_MAX_MS, delay * 2);
    }
  } catch (err) {
    await handle.close().catch(() => {});
    throw err instanceof BerthError ? err : BerthError.wrap(err, `cannot lock ${file}`);
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
