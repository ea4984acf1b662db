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

export interface HoldOptions {
  /**
   * The hold ends with this boot: it is kept in the run root's holds.json (gone at reboot, as
   * the run root is) and written without fsync. For a holder that a reboot ends anyway, such
   * as a --rm container (removed, never run again, by the first command after a reboot):
   * losing its hold in a crash loses nothing, and the shared, durable holds.json in the graph
   * root is not rewritten and flushed twice for each such container.
   */
  untilReboot?: boolean;
}

/**
 * holds.json in the graph root (durable) and in the run root (until reboot); a holder is in
 * one of them. Every method but load runs under the caller's metadata lock.
 */
export class Holds {
  constructor(private readonly layout: StoreLayout) {}

  async load(): Promise<Hold[]> {
    return [...this.read(this.layout.holdsFile), ...this.read(this.layout.bootHoldsFile)];
  }

  async set(holder: string, refs: HoldRefs, options: HoldOptions = {}): Promise<void> {
    const [file, other] = options.untilReboot ? [this.layout.bootHoldsFile, this.layout.holdsFile] : [this.layout.holdsFile, this.layout.bootHoldsFile];
    const holds = this.read(file).filter((h) => h.holder !== holder);
    holds.push({ holder, images: refs.images ?? [], layers: refs.layers ?? [] });
    await this.write(file, holds);
    await this.drop(other, holder);
  }

  async remove(holder: string): Promise<void> {
    await this.drop(this.layout.bootHoldsFile, holder);
    await this.drop(this.layout.holdsFile, holder);
  }

  private async drop(file: string, holder: string): Promise<void> {
    const holds = this.read(file);
    const rest = holds.filter((h) => h.holder !== holder);
    if (rest.length !== holds.length) await this.write(file, rest);
  }

  private read(file: string): Hold[] {
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { holds: Hold[] }).holds ?? [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw BerthError.wrap(err, `cannot read ${file}`);
    }
  }

  private write(file: string, holds: Hold[]): Promise<void> {
    return writeJsonAtomic(file, { holds }, { durable: file === this.layout.holdsFile });
  }
}
