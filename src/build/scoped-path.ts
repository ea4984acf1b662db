// Path resolution confined to a root directory (a build context, a stage's rootfs): `..`
// stops at the root and symlinks resolve as if the root were `/`, so nothing escapes it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { invalidArgument } from '../internal/errors.js';

const MAX_LINKS = 255;

/**
 * The host path of `inside` (a path under `root`, absolute or relative), following symlinks
 * in every component but the last unless `followLast`. The result always lies in `root`.
 */
export function resolveInRoot(root: string, inside: string, options: { followLast?: boolean } = {}): string {
  const pending = inside.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const c = pending.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, c);
    const isLast = pending.length === 0;
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(host);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink() && (!isLast || options.followLast)) {
      if (++links > MAX_LINKS) throw invalidArgument(`cannot resolve ${inside}: too many levels of symbolic links`);
      const target = fs.readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    done.push(c);
  }
  return path.join(root, ...done);
}

/** `rel` normalised inside a root: "a/../b" -> "b"; "../x" -> "x" (never above the root). */
export function cleanInside(rel: string): string {
  return path.posix.normalize(`/${rel}`).slice(1).replace(/\/$/, '');
}
