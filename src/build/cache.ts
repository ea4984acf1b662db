// The build cache: step key -> the layer that step made, one small JSON file per key under
// <graph root>/build-cache. A key chains the parent's key, the instruction and its inputs.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeJsonAtomic } from '../internal/atomic.js';
import type { ImageLayer, LayerRecord, PruneResult, Store } from '../store/index.js';

export interface CacheEntry {
  layer: ImageLayer;
  createdAt: string;
}

/** The next key: sha256 over the parent key and the step's parts. */
export function stepKey(parent: string, ...parts: string[]): string {
  const h = createHash('sha256').update(parent);
  for (const p of parts) h.update('\0').update(p);
  return h.digest('hex');
}

export class BuildCache {
  readonly dir: string;

  constructor(graphRoot: string) {
    this.dir = path.join(graphRoot, 'build-cache');
  }

  async open(): Promise<void> {
    await fs.mkdir(path.join(this.dir, 'steps'), { recursive: true, mode: 0o700 });
  }

  /** Where the file-hash memory lives. */
  get fileHashes(): string {
    return path.join(this.dir, 'file-hashes.json');
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.file(key), 'utf8')) as CacheEntry;
    } catch {
      return undefined;
    }
  }

  async put(key: string, layer: ImageLayer): Promise<void> {
    await writeJsonAtomic(this.file(key), { layer, createdAt: new Date().toISOString() } satisfies CacheEntry, { durable: false });
  }

  /** Every entry, with its key (an unreadable entry is skipped: a lookup would miss it too). */
  async list(): Promise<{ key: string; entry: CacheEntry }[]> {
    const out: { key: string; entry: CacheEntry }[] = [];
    for (const name of await fs.readdir(path.join(this.dir, 'steps')).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{64}\.json$/.test(name)) continue;
      const key = name.slice(0, -5);
      const entry = await this.get(key);
      if (entry) out.push({ key, entry });
    }
    return out;
  }

  /** Forgets one entry (a build then makes that step again). */
  async remove(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }

  private file(key: string): string {
    return path.join(this.dir, 'steps', `${key}.json`);
  }
}

/**
 * The Build Cache row of `system df`. TOTAL counts the entries; none is ACTIVE (an entry is
 * only a lookup). SIZE counts the layers that entries name and that nothing else keeps: not an
 * image's, a container's hold, a running build's lease, nor a parent of one of those, each
 * layer once at its recorded size; a layer an image also uses is the image's, counted there.
 * These are what `builder prune` frees (an entry keeps no layer alive by itself, so the next
 * collection, after any rmi, frees them anyway); RECLAIMABLE is the same.
 */
export function buildCacheUsage(entries: CacheEntry[], layers: LayerRecord[], kept: Set<string>): { total: number; size: number } {
  const sizeOf = new Map(layers.map((l) => [l.chainID as string, l.size]));
  const only = new Set<string>();
  for (const e of entries) if (!kept.has(e.layer.chainID) && sizeOf.has(e.layer.chainID)) only.add(e.layer.chainID);
  let size = 0;
  for (const c of only) size += sizeOf.get(c) ?? 0;
  return { total: entries.length, size };
}

export interface BuildCachePruneOptions {
  /** Only entries made before this instant (ms). */
  until?: number;
  /** Label filters were given: entries carry no labels, so none matches. */
  labelFilter?: boolean;
}

/**
 * builder prune: forgets the cache entries (all of them, or those older than `until`), and the
 * file-hash memory with them when all go, then collects the layers and blobs nothing else
 * references. `deleted`: the entries' keys; `pruned`: what the collection freed.
 */
export async function pruneBuildCache(store: Store, graphRoot: string, options: BuildCachePruneOptions = {}): Promise<{ deleted: string[]; pruned: PruneResult }> {
  const cache = new BuildCache(graphRoot);
  const entries = options.labelFilter ? [] : await cache.list();
  const deleted: string[] = [];
  for (const { key, entry } of entries) {
    if (options.until !== undefined && !(Date.parse(entry.createdAt) < options.until)) continue;
    await cache.remove(key);
    deleted.push(key);
  }
  if (options.until === undefined && !options.labelFilter) await fs.rm(cache.fileHashes, { force: true });
  return { deleted, pruned: await store.prune() };
}
