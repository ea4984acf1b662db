// Atomic file writes: others never see a half-written file. Temp file in the same
// directory, fsync, rename over the target, fsync the directory.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { BerthError } from './errors.js';

export interface AtomicWriteOptions {
  mode?: number;
  /** Skip fsync for throwaway data (tests, caches); default true. */
  durable?: boolean;
}

/** A temp name next to `target`, recognisable by cleanup as `.<base>.tmp-<random>`. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
}

export function isTempName(name: string): boolean {
  return /^\..+\.tmp-[0-9a-f]{12}$/.test(name);
}

export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const durable = options.durable ?? true;
  const tmp = tempPathFor(target);
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(tmp, 'wx', options.mode ?? 0o644);
    await fh.writeFile(data);
    if (durable) await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.rename(tmp, target);
    if (durable) await syncDir(path.dirname(target));
  } catch (err) {
    await fh?.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw BerthError.wrap(err, `cannot write ${target}`);
  }
}

export async function writeJsonAtomic(target: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`, options);
}

/** fsync a directory so a rename inside it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
