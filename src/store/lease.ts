// Leases: what an operation in progress (a pull, an import) is about to reference, so a
// concurrent rmi's garbage collection spares it (containerd's lease, kept in the run root).
import { appendFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Digest } from '../digest/digest.js';
import { failedPrecondition } from '../internal/errors.js';
import { acquireLock, type FileLock, isLocked, withLock } from './lock.js';
import type { StoreLayout } from './layout.js';
import { randomHex } from '../internal/random.js';

export interface LeasedRefs {
  /** Layer chain IDs. */
  chains: Set<string>;
  /** Blob digests. */
  blobs: Set<string>;
}

/**
 * A lease is a file leases/<id> whose lines name chain IDs and blobs, held by an exclusive
 * flock for as long as the owner lives: when the owner dies, the kernel drops the lock and
 * the next collection treats the lease as gone. Creating a lease and adding to it happen
 * under the metadata lock, the same lock the collector holds while it decides, so the
 * collector sees every reference a live operation made before it checked for the content.
 */
export class Lease {
  private constructor(
    readonly id: string,
    private readonly layout: StoreLayout,
    private lock: FileLock | undefined,
  ) {}

  /** @internal use Store.lease(). */
  static async create(layout: StoreLayout): Promise<Lease> {
    const id = `${process.pid}-${randomHex(6)}`;
    return withLock(layout.metadataLock, {}, async () => {
      const lock = await acquireLock(layout.leasePath(id), { wait: false });
      if (!lock) throw failedPrecondition(`cannot create lease ${id}: its file is locked`);
      return new Lease(id, layout, lock);
    });
  }

  /**
   * Adds references. Call `check` inside: it runs under the metadata lock right after the
   * references are recorded, so content it finds present cannot be collected before the
   * operation ends.
   */
  async add<T>(refs: { chains?: string[]; blobs?: string[] }, check?: () => Promise<T>): Promise<T | undefined> {
    const lock = this.lock;
    if (!lock) throw failedPrecondition(`cannot use lease ${this.id}: it was released`);
    return withLock(this.layout.metadataLock, {}, async () => {
      await this.append(lock, refs);
      return check ? check() : undefined;
    });
  }

  /** Adds references when the caller already holds the metadata lock. */
  async addLocked(refs: { chains?: string[]; blobs?: string[] }): Promise<void> {
    const lock = this.lock;
    if (!lock) throw failedPrecondition(`cannot use lease ${this.id}: it was released`);
    await this.append(lock, refs);
  }

  private async append(lock: FileLock, refs: { chains?: string[]; blobs?: string[] }): Promise<void> {
    const lines = [...(refs.chains ?? []).map((c) => `chain ${c}\n`), ...(refs.blobs ?? []).map((b) => `blob ${b}\n`)];
    if (lines.length > 0) appendFileSync(lock.fd, lines.join(''));
  }

  /** Ends the lease; what only it referenced becomes collectable. */
  async release(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    if (!lock) return;
    await fs.rm(this.layout.leasePath(this.id), { force: true });
    await lock.release();
  }
}

/**
 * The references of every live lease; stale lease files (owner dead) are removed. The
 * caller holds the metadata lock.
 */
export async function liveLeases(layout: StoreLayout): Promise<LeasedRefs> {
  const refs: LeasedRefs = { chains: new Set(), blobs: new Set() };
  let names: string[];
  try {
    names = await fs.readdir(layout.leasesDir);
  } catch {
    return refs;
  }
  for (const name of names) {
    const file = path.join(layout.leasesDir, name);
    if (!(await isLocked(file))) {
      await fs.rm(file, { force: true });
      continue;
    }
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const [kind, value] = line.split(' ');
      if (kind === 'chain' && value) refs.chains.add(value as Digest);
      else if (kind === 'blob' && value) refs.blobs.add(value as Digest);
    }
  }
  return refs;
}
