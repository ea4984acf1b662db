// The layer store: each layer unpacked once per chain ID under layers/<chain-id>/diff, with
// its record in layer.json. An unpack runs in a temp dir and is renamed into place whole.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { type Digest, digestHex, parseDigest } from '../digest/digest.js';
import { writeJsonAtomic } from '../internal/atomic.js';
import { BerthError, corrupt } from '../internal/errors.js';
import type { Lease } from './lease.js';
import { acquireLock, isLocked } from './lock.js';
import type { StoreLayout } from './layout.js';
import { randomHex } from '../internal/random.js';

/** A compressed form of a layer seen in a manifest (the same diff may arrive gzip, zstd or plain). */
export interface CompressedForm {
  digest: Digest;
  size: number;
  mediaType: string;
}

export interface LayerRecord {
  chainID: Digest;
  /** Digest of the uncompressed tar. */
  diffID: Digest;
  /** Chain ID of the layer below, absent for a base layer. */
  parent?: Digest;
  /** Bytes of the unpacked tree, as the applier counted them (docker's layer size; records made before it count the tar's bytes). */
  size: number;
  compressed: CompressedForm[];
  createdAt: string;
}

/** The applier the layer code provides (src/layer applyLayer, mode 'overlay-lower'). */
export type ApplyLayer = (
  source: Readable,
  target: string,
  options: { mode: 'overlay-lower'; signal?: AbortSignal },
) => Promise<{ size: number; unpackedSize: number; diffID: Digest }>;

/** chainID(1) = diffID(1); chainID(n) = sha256(chainID(n-1) + " " + diffID(n)) (image-spec config.md). */
export function chainID(parent: Digest | undefined, diffID: Digest): Digest {
  if (!parent) return diffID;
  return `sha256:${createHash('sha256').update(`${parent} ${diffID}`).digest('hex')}` as Digest;
}

/** The chain IDs of a stack of diff IDs, bottom first. */
export function chainIDs(diffIDs: Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIDs) out.push(chainID(out[out.length - 1], d));
  return out;
}

export interface UnpackRequest {
  diffID: Digest;
  parent?: Digest;
  /** The compressed blob this unpack reads, recorded on the layer. */
  compressed?: CompressedForm;
  /** Opens the layer's bytes (compressed or not); called only when an unpack is needed. */
  open: () => Promise<Readable>;
  signal?: AbortSignal;
}

const TEMP_PREFIX = '.tmp-';
const DEL_PREFIX = '.del-';

export class LayerStore {
  constructor(
    private readonly layout: StoreLayout,
    private readonly apply: ApplyLayer | undefined,
  ) {}

  /** Creates layers/ and removes unpacks abandoned by dead processes and half-done deletions. */
  async open(): Promise<void> {
    await fs.mkdir(this.layout.layersDir, { recursive: true });
    for (const name of await fs.readdir(this.layout.layersDir)) {
      if (name.startsWith(DEL_PREFIX)) {
        await fs.rm(path.join(this.layout.layersDir, name), { recursive: true, force: true });
      } else if (name.startsWith(TEMP_PREFIX)) {
        const hex = name.slice(TEMP_PREFIX.length, TEMP_PREFIX.length + 64);
        // A live unpack holds its chain's lock; without a holder the temp dir is junk.
        if (!(await isLocked(this.layout.layerLock(`sha256:${hex}` as Digest)))) {
          await fs.rm(path.join(this.layout.layersDir, name), { recursive: true, force: true });
        }
      }
    }
  }

  /** The unpacked tree of a layer (an overlay lower dir). */
  diffPath(chain: Digest): string {
    return this.layout.layerDiffPath(chain);
  }

  async get(chain: Digest): Promise<LayerRecord | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.layout.layerMetaPath(parseDigest(chain)), 'utf8')) as LayerRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw BerthError.wrap(err, `cannot read layer ${chain}`);
    }
  }

  async list(): Promise<LayerRecord[]> {
    const out: LayerRecord[] = [];
    for (const name of await fs.readdir(this.layout.layersDir).catch(() => [] as string[])) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const rec = await this.get(`sha256:${name}` as Digest);
      if (rec) out.push(rec);
    }
    return out;
  }

  /**
   * Makes the layer present, unpacking it at most once across all processes: the lease
   * records the chain first (so a collector spares it), then the chain's lock elects one
   * unpacker while others wait and reuse its result.
   */
  async unpack(lease: Lease, req: UnpackRequest): Promise<LayerRecord> {
    const diffID = parseDigest(req.diffID);
    const chain = chainID(req.parent, diffID);
    const present = await lease.add({ chains: [chain] }, () => this.get(chain));
    if (present) return this.noteCompressed(present, req.compressed);
    const lock = await acquireLock(this.layout.layerLock(chain), { signal: req.signal });
    try {
      const again = await this.get(chain);
      if (again) return this.noteCompressed(again, req.compressed, true);
      if (!this.apply) throw new BerthError('failed-precondition', 'cannot unpack layers: no layer applier was given to the store');
      await this.removeTemps(chain);
      const temp = path.join(this.layout.layersDir, `${TEMP_PREFIX}${digestHex(chain)}-${randomHex(4)}`);
      await fs.mkdir(path.join(temp, 'diff'), { recursive: true, mode: 0o700 });
      try {
        const source = await req.open();
        const target = path.join(temp, 'diff');
        const result = await this.apply(source, target, { mode: 'overlay-lower', signal: req.signal }).catch((err: unknown) => {
          // The temporary dir is the store's business: the error names the layer instead.
          if (!(err instanceof BerthError) || !err.message.startsWith(`cannot apply layer to ${target}: `)) throw err;
          throw new BerthError(err.kind, `cannot unpack layer ${diffID}: ${err.message.slice(`cannot apply layer to ${target}: `.length)}`, { cause: err, detail: err.detail });
        });
        if (result.diffID !== diffID) {
          throw corrupt(`cannot unpack layer ${diffID}: its uncompressed content hashes to ${result.diffID}`, {
            detail: { expected: diffID, got: result.diffID },
          });
        }
        const record: LayerRecord = {
          chainID: chain,
          diffID,
          ...(req.parent ? { parent: req.parent } : {}),
          size: result.unpackedSize,
          compressed: req.compressed ? [req.compressed] : [],
          createdAt: new Date().toISOString(),
        };
        await writeJsonAtomic(path.join(temp, 'layer.json'), record, { durable: false });
        await fs.chmod(temp, 0o700);
        await fs.rename(temp, this.layout.layerPath(chain));
        return record;
      } catch (err) {
        await fs.rm(temp, { recursive: true, force: true }).catch(() => {});
        throw err instanceof BerthError ? err : BerthError.wrap(err, `cannot unpack layer ${diffID}`);
      }
    } finally {
      await lock?.release();
    }
  }

  /**
   * Moves an unreferenced layer out of sight (one rename, under the caller's metadata lock)
   * and returns the dir to delete once the lock is released.
   */
  async detach(chain: Digest): Promise<string | undefined> {
    const dest = path.join(this.layout.layersDir, `${DEL_PREFIX}${digestHex(chain)}-${randomHex(4)}`);
    try {
      await fs.rename(this.layout.layerPath(chain), dest);
      return dest;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw BerthError.wrap(err, `cannot remove layer ${chain}`);
    }
  }

  private async removeTemps(chain: Digest): Promise<void> {
    const prefix = `${TEMP_PREFIX}${digestHex(chain)}-`;
    for (const name of await fs.readdir(this.layout.layersDir)) {
      if (name.startsWith(prefix)) await fs.rm(path.join(this.layout.layersDir, name), { recursive: true, force: true });
    }
  }

  /** Remembers another compressed blob that unpacks to this layer (for push without recompressing). */
  private async noteCompressed(rec: LayerRecord, form: CompressedForm | undefined, locked = false): Promise<LayerRecord> {
    if (!form || rec.compressed.some((c) => c.digest === form.digest)) return rec;
    const lock = locked ? undefined : await acquireLock(this.layout.layerLock(rec.chainID));
    try {
      const fresh = (await this.get(rec.chainID)) ?? rec;
      if (fresh.compressed.some((c) => c.digest === form.digest)) return fresh;
      fresh.compressed.push(form);
      await writeJsonAtomic(this.layout.layerMetaPath(rec.chainID), fresh, { durable: false });
      return fresh;
    } finally {
      await lock?.release();
    }
  }
}
