// Copies a layer tree onto another as cp -a would (owners, modes, times, xattrs, devices,
// hardlinks), reading overlay whiteouts in the source as deletions: the vfs driver's merge.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { BerthError, invalidArgument } from '../internal/errors.js';
import { lgetxattr, lsetxattr, llistxattr, lutimes, mknod, S_IFMT } from '../internal/sys.js';

const OPAQUE = 'trusted.overlay.opaque';

export interface CopyOptions {
  /** Treat char 0/0 devices as whiteouts and trusted.overlay.* as markers (layer dirs). Default true. */
  whiteouts?: boolean;
  signal?: AbortSignal;
}

/** Merges `src` onto `dst` (which exists): entries of src replace those of dst. */
export async function mergeTree(src: string, dst: string, options: CopyOptions = {}): Promise<void> {
  const state: CopyState = { links: new Map(), whiteouts: options.whiteouts ?? true, signal: options.signal };
  try {
    await copyDir(src, dst, state);
    await copyMeta(src, dst, await fs.lstat(src), state);
  } catch (err) {
    throw err instanceof BerthError ? err : BerthError.wrap(err, `cannot copy ${src} to ${dst}`);
  }
}

interface CopyState {
  /** "dev:ino" of a multiply linked source file -> its first copy, to link the others to. */
  links: Map<string, string>;
  whiteouts: boolean;
  signal?: AbortSignal;
}

async function copyDir(src: string, dst: string, state: CopyState): Promise<void> {
  state.signal?.throwIfAborted();
  for (const name of await fs.readdir(src)) {
    const from = path.join(src, name);
    const to = path.join(dst, name);
    const st = await fs.lstat(from);
    const existing = await fs.lstat(to).catch(() => undefined);
    if (state.whiteouts && st.isCharacterDevice() && st.rdev === 0) {
      if (existing) await fs.rm(to, { recursive: true, force: true });
      continue;
    }
    if (st.isDirectory()) {
      const opaque = state.whiteouts && lgetxattr(from, OPAQUE)?.toString() === 'y';
      if (existing && (!existing.isDirectory() || opaque)) await fs.rm(to, { recursive: true, force: true });
      if (!existing || !existing.isDirectory() || opaque) await fs.mkdir(to);
      await copyDir(from, to, state);
      await copyMeta(from, to, st, state);
      continue;
    }
    if (existing) await fs.rm(to, { recursive: true, force: true });
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = state.links.get(key);
      if (first) {
        await fs.link(first, to);
        continue;
      }
      state.links.set(key, to);
    }
    if (st.isFile()) await fs.copyFile(from, to, fs.constants.COPYFILE_FICLONE);
    else if (st.isSymbolicLink()) await fs.symlink(await fs.readlink(from), to);
    else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
      mknod(to, (st.mode & S_IFMT) | (st.mode & 0o7777), major(st.rdev), minor(st.rdev));
    } else continue; // sockets do not belong in an image
    await copyMeta(from, to, st, state);
  }
}

/** Owner, then xattrs, then mode (chown clears setuid and security.capability), then times. */
async function copyMeta(from: string, to: string, st: import('node:fs').Stats, state: CopyState): Promise<void> {
  await fs.lchown(to, st.uid, st.gid);
  for (const name of llistxattr(from)) {
    if (state.whiteouts && name.startsWith('trusted.overlay.')) continue;
    const value = lgetxattr(from, name);
    if (value !== undefined) lsetxattr(to, name, value);
  }
  if (!st.isSymbolicLink()) await fs.chmod(to, st.mode & 0o7777);
  lutimes(to, Math.floor(st.mtimeMs / 1000), Math.round((st.mtimeMs % 1000) * 1e6));
}

/**
 * Moves every owner in `tree` into a user namespace's mapping (uid u -> hostId + u, gid too),
 * keeping what chown clears (setuid/setgid bits, file capabilities). An owner outside the
 * mapping is an error: the container could not own or even name that file.
 */
export async function shiftOwners(tree: string, map: { hostId: number; size: number }, options: { signal?: AbortSignal } = {}): Promise<void> {
  const seen = new Set<string>();
  const shift = async (p: string, st: import('node:fs').Stats): Promise<void> => {
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    if (st.uid >= map.size || st.gid >= map.size) {
      throw invalidArgument(`cannot map ${p} into the user namespace: its owner ${st.uid}:${st.gid} is outside the ${map.size} ids mapped`);
    }
    const caps = st.isFile() ? lgetxattr(p, 'security.capability') : undefined;
    await fs.lchown(p, map.hostId + st.uid, map.hostId + st.gid);
    if (caps !== undefined) lsetxattr(p, 'security.capability', caps);
    if (!st.isSymbolicLink() && (st.mode & 0o6000) !== 0) await fs.chmod(p, st.mode & 0o7777);
  };
  const walk = async (dir: string): Promise<void> => {
    options.signal?.throwIfAborted();
    for (const name of await fs.readdir(dir)) {
      const p = path.join(dir, name);
      const st = await fs.lstat(p);
      if (st.isDirectory()) await walk(p);
      await shift(p, st);
    }
  };
  await walk(tree);
  await shift(tree, await fs.lstat(tree));
}

function major(rdev: number): number {
  return (Math.floor(rdev / 256) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

function minor(rdev: number): number {
  return (rdev & 0xff) | (Math.floor(rdev / 4096) & 0xfff00);
}
