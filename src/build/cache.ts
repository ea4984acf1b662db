// The build cache: step key -> the layer that step made, one small JSON file per key under
// <graph root>/build-cache. A key chains the parent's key, the instruction and its inputs.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeJsonAtomic } from '../internal/atomic.js';
import type { ImageLayer } from '../store/index.js';

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

  private file(key: string): string {
    return path.join(this.dir, 'steps', `${key}.json`);
  }
}
