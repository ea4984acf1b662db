// The changes between two directory trees as a layer (the vfs graph driver's diff): new and
// changed entries, and `.wh.` whiteouts for what the new tree no longer has.
import type { BigIntStats } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tarHeader } from '../archive/index.js';
import { aborted } from '../internal/errors.js';
import type { CreateOptions } from './create.js';
import { HardlinkTracker, headerFromStat, readXattrs, sortNames } from './headers.js';
import { WHITEOUT_PREFIX } from './names.js';
import { type LayerBlob, type PackItem, packLayer } from './pack.js';

/**
 * A layer that turns `parentRoot` into `newRoot` when applied on top of it. An entry is
 * emitted when it is new or when its metadata differs (type, mode, owner, size, mtime to
 * the nanosecond, link target, device, xattrs): docker's rule, which does not read
 * contents, since a copy keeps mtimes and a write changes them.
 */
export function diffDirectories(parentRoot: string, newRoot: string, options: CreateOptions = {}): LayerBlob {
  return packLayer(diffItems(parentRoot, newRoot, options), options);
}

function* diffItems(parentRoot: string, newRoot: string, options: CreateOptions): Generator<PackItem> {
  const links = new HardlinkTracker();
  // Depth first; a directory's entry comes before its children. `parent` is undefined
  // below a directory the parent tree does not have (everything there is new).
  const stack: { rel: string; items: { name: string; whiteout: boolean }[]; next: number; inParent: boolean }[] = [];
  const open = (rel: string, inParent: boolean) => {
    const names = fs.readdirSync(path.join(newRoot, rel));
    const items = names.map((name) => ({ name, whiteout: false }));
    if (inParent) {
      const kept = new Set(names);
      for (const name of fs.readdirSync(path.join(parentRoot, rel))) {
        if (!kept.has(name)) items.push({ name: `${WHITEOUT_PREFIX}${name}`, whiteout: true });
      }
    }
    const order = new Map(items.map((i) => [i.name, i]));
    stack.push({ rel, items: sortNames([...order.keys()]).map((n) => order.get(n)!), next: 0, inParent });
  };
  open('', true);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next >= top.items.length) {
      stack.pop();
      continue;
    }
    if (options.signal?.aborted) throw aborted('cannot diff directories: aborted');
    const { name, whiteout } = top.items[top.next++];
    const rel = top.rel === '' ? name : `${top.rel}/${name}`;
    if (whiteout) {
      yield { header: tarHeader({ name: rel, type: 'file', mode: 0o600, mtime: options.mtime ?? 0 }) };
      continue;
    }
    const full = path.join(newRoot, rel);
    const st = fs.lstatSync(full, { bigint: true });
    const old = top.inParent ? lstatOrUndefined(path.join(parentRoot, rel)) : undefined;
    if ((old === undefined || changed(st, old, full, path.join(parentRoot, rel))) && !options.exclude?.(rel, st, full)) {
      const header = headerFromStat(rel, full, st, links, options);
      if (header) yield { header, file: full };
    }
    if (st.isDirectory()) open(rel, old?.isDirectory() ?? false);
  }
}

function changed(st: BigIntStats, old: BigIntStats, file: string, oldFile: string): boolean {
  if (st.mode !== old.mode || st.uid !== old.uid || st.gid !== old.gid || st.rdev !== old.rdev) return true;
  if (st.mtimeNs !== old.mtimeNs) return true;
  if (!st.isDirectory() && st.size !== old.size) return true;
  if (st.isSymbolicLink() && fs.readlinkSync(file) !== fs.readlinkSync(oldFile)) return true;
  return !sameXattrs(readXattrs(file), readXattrs(oldFile));
}

function sameXattrs(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.get(k)?.equals(v)) return false;
  return true;
}

function lstatOrUndefined(file: string): BigIntStats | undefined {
  try {
    return fs.lstatSync(file, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
