// Atomic file writes: others never see a half-written file. Temp file in the same
// directory, fsync, rename over the target, fsync the directory.
import { closeSync, fsync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { BerthError } from './errors.js';
import { randomHex } from './random.js';

const fsyncFd = promisify(fsync);

export interface AtomicWriteOptions {
  mode?: number;
  /** Skip fsync for throwaway data (tests, caches); default true. */
  durable?: boolean;
}

/** A temp name next to `target`, recognisable by cleanup as `.<base>.tmp-<random>`. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${randomHex(6)}`);
}

export function isTempName(name: string): boolean {
  return /^\..+\.tmp-[0-9a-f]{12}$/.test(name);
}

/**
 * The small files written here (records, indexes, caches) take a few microseconds in direct
 * calls, where each awaited fs.promises call is a trip through libuv's thread pool (0.1-0.4 ms
 * on a busy host, and a write was six of them). Only the flushes, which wait on the disk, go to
 * the pool, so other work goes on meanwhile; without `durable` nothing is awaited at all.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const tmp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', options.mode ?? 0o644);
    writeFileSync(fd, data);
    if (durable) await fsyncFd(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
    if (durable) await syncDir(path.dirname(target));
  } catch (err) {
    if (fd !== undefined) closeQuietly(fd);
    try {
      rmSync(tmp, { force: true });
    } catch {}
    throw BerthError.wrap(err, `cannot write ${target}`);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {}
}

export async function writeJsonAtomic(target: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`, options);
}

/** fsync a directory so a rename inside it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  // The open and close are direct calls; only the flush, which waits on the disk, goes to the pool.
  const fd = openSync(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}
