// berth image diff: what changed between two images (or a layer and its parent), from the
// unpacked layers: each stack is merged in memory (whiteouts and opaque dirs applied) and compared.
import { readlinkSync } from 'node:fs';
import type { Digest } from '../../digest/digest.js';
import { isBerthError, notFound } from '../../internal/errors.js';
import { isOpaque, isWhiteoutDevice } from '../../layer/create.js';
import { walkTree } from '../../layer/walk.js';
import type { Store } from '../../store/index.js';

export interface PathState {
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  link?: string;
}

export interface DiffEntry {
  kind: 'added' | 'changed' | 'deleted';
  /** "/etc/passwd". */
  path: string;
  /** Size after (added, changed) or before (deleted). */
  size: number;
  before?: PathState;
  after?: PathState;
}

/** The chain IDs of an image (bottom first) or of a layer and everything below it. */
export async function stackOf(store: Store, query: string): Promise<{ chains: Digest[]; what: string }> {
  try {
    const rec = await store.resolveImage(query);
    return { chains: rec.layers.map((l) => l.chainID), what: `image ${rec.id.slice(7, 19)}` };
  } catch (err) {
    if (!isBerthError(err, 'not-found')) throw err;
  }
  const hex = query.replace(/^sha256:/, '');
  const layers = (await store.layers.list()).filter((l) => /^[a-f0-9]+$/.test(hex) && l.chainID.slice(7).startsWith(hex));
  if (layers.length !== 1) throw notFound(`no such image or layer: ${query}`);
  const chains: Digest[] = [];
  for (let cur: Digest | undefined = layers[0].chainID; cur; cur = (await store.layers.get(cur))?.parent) chains.unshift(cur);
  return { chains, what: `layer ${layers[0].chainID.slice(7, 19)}` };
}

/** The merged view of a stack of overlay lower dirs: path -> state, whiteouts applied. */
export function mergedView(store: Store, chains: Digest[]): Map<string, PathState> {
  const view = new Map<string, PathState>();
  for (const chain of chains) {
    const root = store.layers.diffPath(chain);
    for (const f of walkTree(root)) {
      const p = `/${f.rel}`;
      if (isWhiteoutDevice(f)) {
        removeTree(view, p);
        continue;
      }
      const st = f.st;
      if (st.isDirectory() && isOpaque(f.full)) removeTree(view, p, true);
      else if (!st.isDirectory()) removeTree(view, p, true);
      view.set(p, {
        type: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other',
        size: st.isFile() ? Number(st.size) : 0,
        mode: Number(st.mode & 0o7777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
        mtimeMs: Number(st.mtimeMs),
        ...(st.isSymbolicLink() ? { link: readlinkSync(f.full) } : {}),
      });
    }
  }
  return view;
}

/** Removes `p` and everything under it (only what is under it with `childrenOnly`). */
function removeTree(view: Map<string, PathState>, p: string, childrenOnly = false): void {
  if (!childrenOnly) view.delete(p);
  const prefix = `${p}/`;
  for (const k of view.keys()) if (k.startsWith(prefix)) view.delete(k);
}

function same(a: PathState, b: PathState): boolean {
  return a.type === b.type && a.size === b.size && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.link === b.link && (a.type === 'dir' || a.mtimeMs === b.mtimeMs);
}

/** Differences from stack `a` to stack `b`, sorted by path. */
export function diffViews(a: Map<string, PathState>, b: Map<string, PathState>): DiffEntry[] {
  const out: DiffEntry[] = [];
  for (const [p, after] of b) {
    const before = a.get(p);
    if (!before) out.push({ kind: 'added', path: p, size: after.size, after });
    else if (!same(before, after)) out.push({ kind: 'changed', path: p, size: after.size, before, after });
  }
  for (const [p, before] of a) if (!b.has(p)) out.push({ kind: 'deleted', path: p, size: before.size, before });
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/**
 * `berth image diff A B`: changes from A to B. With only A: the changes its top layer makes
 * over its parent (a layer's own diff).
 */
export async function diffImages(store: Store, a: string, b?: string): Promise<DiffEntry[]> {
  if (b === undefined) {
    const { chains } = await stackOf(store, a);
    return diffViews(mergedView(store, chains.slice(0, -1)), mergedView(store, chains));
  }
  const [sa, sb] = [await stackOf(store, a), await stackOf(store, b)];
  return diffViews(mergedView(store, sa.chains), mergedView(store, sb.chains));
}
