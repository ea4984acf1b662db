// Holds: images and layers that something outside the store uses (a container's rootfs),
// kept in holds.json so rmi refuses and the collector spares them. The hook for the engine.
import { readFileSync } from 'node:fs';
import type { Digest } from '../digest/digest.js';
import { writeJsonAtomic } from '../internal/atomic.js';
import { BerthError } from '../internal/errors.js';
import type { StoreLayout } from './layout.js';

export interface HoldRefs {
  /** Image IDs. */
  images?: Digest[];
  /** Layer chain IDs. */
  layers?: Digest[];
}

export interface Hold {
  holder: string;
  images: Digest[];
  layers: Digest[];
}

/** holds.json; every method but load runs under the caller's metadata lock. */
export class Holds {
  constructor(private readonly layout: StoreLayout) {}

  async load(): Promise<Hold[]> {
    try {
      return (JSON.parse(readFileSync(this.layout.holdsFile, 'utf8')) as { holds: Hold[] }).holds ?? [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw BerthError.wrap(err, `cannot read ${this.layout.holdsFile}`);
    }
  }

  async set(holder: string, refs: HoldRefs): Promise<void> {
    const holds = (await this.load()).filter((h) => h.holder !== holder);
    holds.push({ holder, images: refs.images ?? [], layers: refs.layers ?? [] });
    await writeJsonAtomic(this.layout.holdsFile, { holds });
  }

  async remove(holder: string): Promise<void> {
    const holds = await this.load();
    const rest = holds.filter((h) => h.holder !== holder);
    if (rest.length !== holds.length) await writeJsonAtomic(this.layout.holdsFile, { holds: rest });
  }
}
