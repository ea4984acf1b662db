// The container host's local cache: content store + layer store + image records behind one
// face, and the locking that keeps several berth processes on one store consistent.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { isTempName } from '../internal/atomic.js';
import type { Digest } from '../digest/digest.js';
import { BerthError, failedPrecondition, notFound } from '../internal/errors.js';
import type { Descriptor, Image, Index, Platform } from '../image/index.js';
import { applyLayerInWorker } from '../layer/index.js';
import { parseNormalizedReference } from '../reference/normalize.js';
import { fullString, withTag } from '../reference/reference.js';
import { ContentStore } from './content/store.js';
import { type ImageLayer, type ImageRecord, ImageRecords, type ResolveOptions, assignName, imageBlobs, resolveIn } from './images.js';
import { Lease, liveLeases } from './lease.js';
import { type ApplyLayer, type LayerRecord, LayerStore } from './layers.js';
import { withLock } from './lock.js';
import { StoreLayout } from './layout.js';
import { type HoldOptions, Holds, type HoldRefs } from './holds.js';
import { pickChild, StoreSink, type StoreSinkOptions, StoreSource } from './sink.js';

export interface StoreOptions {
  /** Graph root (--root): blobs, ingest, layers, images.json. */
  root: string;
  /** Run root (--runroot): locks and leases. */
  runroot: string;
  /** The layer applier; defaults to src/layer's applyLayer on its shared pool of threads. */
  applyLayer?: ApplyLayer;
  /** Ingests untouched this long are removed at open (default one day). */
  ingestExpiryMs?: number;
  /** Name normalisation for resolve ("busybox" -> "docker.io/library/busybox:latest"). */
  normalize?: ResolveOptions['normalize'];
}

export interface NewImage {
  manifest: Descriptor;
  index?: Descriptor;
  platform?: Platform;
  config: Descriptor;
  layers: ImageLayer[];
  /** Unpacked size; summed from the layer records when absent. */
  size?: number;
  created?: string;
  /** Canonical names to give the image (taken from any image that has them). */
  names?: string[];
  /** Canonical "repository@digest" names. */
  digests?: string[];
}

export interface RemoveResult {
  untagged: string[];
  /** Image IDs whose records were deleted. */
  deleted: Digest[];
  /** What the collection freed afterwards. */
  pruned: PruneResult;
}

export interface PruneResult {
  layers: Digest[];
  blobs: Digest[];
  /** What was freed: the layers' recorded unpacked sizes plus the blobs' file sizes. */
  bytes: number;
}

/**
 * Locking, in one place:
 * - metadata lock (run root locks/store.lock, exclusive, held briefly): every write of
 *   images.json and holds.json, every lease creation and addition, and the collector's whole
 *   decide-and-detach pass. Readers of images.json need no lock (atomic rename).
 * - per-chain lock (locks/layer-<chain>.lock): elects one unpacker of a layer; others wait.
 * - per-ref ingest lock (locks/ingest-<key>.lock): one writer per ingest ref.
 * A pull leases each chain ID and blob before it looks for it, under the metadata lock, so
 * an rmi's collection (same lock) either ran before the lease, and then the pull finds the
 * content gone and makes it again, or runs after, and then spares it. The image record is
 * written before the lease is released, so the references never lapse.
 */
export class Store {
  readonly layout: StoreLayout;
  readonly content: ContentStore;
  readonly layers: LayerStore;
  readonly images: ImageRecords;
  private readonly holdsFile: Holds;

  private readonly options: StoreOptions;

  constructor(options: StoreOptions) {
    this.options = { normalize: normalizeName, ...options };
    this.layout = new StoreLayout(options.root, options.runroot);
    this.content = new ContentStore(this.layout, { ingestExpiryMs: options.ingestExpiryMs });
    this.layers = new LayerStore(this.layout, options.applyLayer ?? applyLayerInWorker);
    this.images = new ImageRecords(this.layout);
    this.holdsFile = new Holds(this.layout);
  }

  /** A lease for an operation that will reference content; release it after putImage. */
  lease(): Promise<Lease> {
    return Lease.create(this.layout);
  }

  /** Runs `fn` under a fresh lease and releases it afterwards, whatever happens. */
  async withLease<T>(fn: (lease: Lease) => Promise<T>): Promise<T> {
    const lease = await this.lease();
    try {
      return await fn(lease);
    } finally {
      await lease.release();
    }
  }

  listImages(): Promise<ImageRecord[]> {
    return this.images.load();
  }

  resolveImage(query: string, options: ResolveOptions = {}): Promise<ImageRecord> {
    return this.images.resolve(query, { normalize: options.normalize ?? this.options.normalize });
  }

  /**
   * Records an image whose blobs and layers are present (the caller's lease keeps them so
   * until now). An image with the same ID gains the names; names move from other images.
   */
  async putImage(input: NewImage): Promise<ImageRecord> {
    return this.locked(async () => {
      for (const d of [input.manifest.digest, input.config.digest]) {
        if (!(await this.content.exists(d))) throw failedPrecondition(`cannot record image ${input.config.digest}: blob ${d} is missing`);
      }
      let size = 0;
      for (const l of input.layers) {
        const rec = await this.layers.get(l.chainID);
        if (!rec) throw failedPrecondition(`cannot record image ${input.config.digest}: layer ${l.chainID} is not unpacked`);
        size += rec.size;
      }
      const images = await this.images.load();
      let rec = images.find((i) => i.id === input.config.digest);
      if (!rec) {
        rec = {
          id: input.config.digest,
          names: [],
          digests: [],
          manifest: input.manifest,
          config: input.config,
          layers: input.layers,
          size: input.size ?? size,
          addedAt: new Date().toISOString(),
        };
        images.push(rec);
      }
      rec.manifest = input.manifest;
      if (input.index) rec.index = input.index;
      if (input.platform) rec.platform = input.platform;
      if (input.created) rec.created = input.created;
      const top = input.layers[input.layers.length - 1]?.chainID;
      if (top) rec.topLayer = top;
      for (const n of input.names ?? []) assignName(images, rec, n);
      for (const d of input.digests ?? []) if (!rec.digests.includes(d)) rec.digests.push(d);
      await this.images.save(images);
      return rec;
    });
  }

  /**
   * Records that an index (manifest list) was the source of the images among `children`
   * that are stored; its tag and digest name go to the one for `prefer` (else the first).
   */
  async attachIndex(
    index: Descriptor,
    children: Descriptor[],
    options: { name?: string; digestName?: string; prefer: Platform },
  ): Promise<ImageRecord | undefined> {
    return this.locked(async () => {
      const images = await this.images.load();
      for (const child of children) {
        const rec = images.find((i) => i.manifest.digest === child.digest);
        if (!rec) continue;
        rec.index = index;
        if (child.platform) rec.platform = child.platform;
      }
      const chosen = pickChild(images, children, options.prefer);
      if (!chosen) return undefined;
      if (options.name) assignName(images, chosen, options.name);
      if (options.digestName && !chosen.digests.includes(options.digestName)) chosen.digests.push(options.digestName);
      await this.images.save(images);
      return chosen;
    });
  }

  /** A sink for copyImage: pull is `copyImage(remote, store.sink(lease, {repository}))`. */
  sink(lease: Lease, options: StoreSinkOptions = {}): StoreSink {
    return new StoreSink(this, lease, options);
  }

  /** The stored image as a lazy handle (for push, save, inspect): resolves like resolveImage. */
  async imageHandle(query: string): Promise<Image | Index> {
    return new StoreSource(this).image(await this.resolveImage(query));
  }

  /** Gives `name` to the image `query` resolves to (taking it from another image). */
  async tag(query: string, name: string): Promise<ImageRecord> {
    return this.locked(async () => {
      const images = await this.images.load();
      const rec = resolveIn(images, query, { normalize: this.options.normalize });
      assignName(images, rec, name);
      await this.images.save(images);
      return rec;
    });
  }

  /** Removes one name; the image stays (perhaps dangling). 'not-found' when no image has it. */
  async untag(name: string): Promise<ImageRecord> {
    return this.locked(async () => {
      const images = await this.images.load();
      const rec = images.find((i) => i.names.includes(name) || i.digests.includes(name));
      if (!rec) throw notFound(`No such image: ${name}`);
      rec.names = rec.names.filter((n) => n !== name);
      rec.digests = rec.digests.filter((n) => n !== name);
      await this.images.save(images);
      return rec;
    });
  }

  /**
   * docker rmi: a name of an image with other names is only untagged; otherwise the record
   * goes (refused while a holder such as a container uses the image, unless `force`), and
   * the layers and blobs nothing else references are freed.
   */
  async removeImage(query: string, options: { force?: boolean; prune?: boolean } = {}): Promise<RemoveResult> {
    const result = await this.locked(async () => {
      const images = await this.images.load();
      const rec = resolveIn(images, query, { normalize: this.options.normalize });
      const byName = rec.names.find((n) => n === query || n === this.options.normalize?.(query));
      // One name of several only untags, forced or not (docker's rmi -f NAME untags NAME).
      if (byName && rec.names.length > 1) {
        rec.names = rec.names.filter((n) => n !== byName);
        await this.images.save(images);
        return { untagged: [byName], deleted: [] as Digest[] };
      }
      if (!byName && rec.names.length > 1 && !options.force) {
        throw failedPrecondition(
          `cannot remove image ${rec.id.slice(7, 19)}: it is referenced by ${rec.names.length} names (${rec.names.join(', ')}); remove them by name or force`,
        );
      }
      const holders = (await this.holdsFile.load()).filter((h) => h.images.includes(rec.id));
      if (holders.length > 0 && !options.force) {
        // docker's words, by the first holder ("container-ID" holders are containers). By its ID,
        // dockerd names a stopped container here: a running one is refused before (the engine's
        // removeImage, "cannot be forced").
        const container = holders[0].holder.match(/^container-([0-9a-f]{12})[0-9a-f]*$/)?.[1];
        const holder = container ? `container ${container}` : holders[0].holder;
        const short = rec.id.slice(7, 19);
        // Its last name, or the image by its ID.
        if (byName) throw failedPrecondition(`conflict: unable to remove repository reference "${query}" (must force) - ${holder} is using its referenced image ${short}`);
        throw failedPrecondition(`conflict: unable to delete ${short} (must be forced) - image is being used by ${container ? 'stopped ' : ''}${holder}`);
      }
      await this.images.save(images.filter((i) => i !== rec));
      return { untagged: [...rec.names, ...rec.digests], deleted: [rec.id] };
    });
    const pruned = options.prune === false || result.deleted.length === 0 ? { layers: [], blobs: [], bytes: 0 } : await this.prune();
    return { ...result, pruned };
  }

  /**
   * Frees layers and blobs that no image, hold or live lease references. Decides and
   * detaches under the metadata lock; deletes the detached layer trees after releasing it.
   */
  async prune(): Promise<PruneResult> {
    const detached: string[] = [];
    const result = await this.locked(async () => {
      const images = await this.images.load();
      const leased = await liveLeases(this.layout);
      const layers = await this.layers.list();
      const chains = keptChains(images, await this.holdsFile.load(), leased.chains, layers);
      const blobs = new Set<string>(leased.blobs);
      for (const i of images) for (const b of imageBlobs(i)) blobs.add(b);
      const out: PruneResult = { layers: [], blobs: [], bytes: 0 };
      for (const l of layers) {
        if (chains.has(l.chainID)) continue;
        const dir = await this.layers.detach(l.chainID);
        if (dir) {
          detached.push(dir);
          out.layers.push(l.chainID);
          out.bytes += l.size;
        }
      }
      for await (const b of this.content.walk()) {
        if (blobs.has(b.digest)) continue;
        await this.content.delete(b.digest).catch(() => {});
        out.blobs.push(b.digest);
        out.bytes += b.size;
      }
      return out;
    });
    for (const dir of detached) await fs.rm(dir, { recursive: true, force: true });
    return result;
  }

  /**
   * The layer chain IDs a prune would keep now (images, holds, live leases, and the parents of
   * each), with every layer record: what `system df` weighs. Read without the lock: a view.
   */
  async layerUsage(): Promise<{ kept: Set<string>; layers: LayerRecord[] }> {
    const layers = await this.layers.list();
    const leased = await liveLeases(this.layout);
    return { kept: keptChains(await this.images.load(), await this.holdsFile.load(), leased.chains, layers), layers };
  }

  /** Marks images and layers as used by `holder` (a container): kept by prune, rmi refuses. */
  hold(holder: string, refs: HoldRefs, options: HoldOptions = {}): Promise<void> {
    return this.locked(() => this.holdsFile.set(holder, refs, options));
  }

  /** Drops what `holder` held; what nothing else uses is freed by the next prune. */
  release(holder: string): Promise<void> {
    return this.locked(() => this.holdsFile.remove(holder));
  }

  holds() {
    return this.holdsFile.load();
  }

  /**
   * Removes temp files of images.json or holds.json that a writer killed mid-write left. Under
   * the metadata lock, because every writer of those files holds it while its temp exists.
   * (In the run root only holds.json's: other files there have writers that take no lock.)
   */
  async cleanRecordTemps(): Promise<void> {
    await this.locked(async () => {
      for (const name of await fs.readdir(this.layout.root)) {
        if (isTempName(name)) await fs.rm(path.join(this.layout.root, name), { force: true });
      }
      for (const name of await fs.readdir(this.layout.runroot).catch(() => [] as string[])) {
        if (isTempName(name) && name.startsWith('.holds.json.')) await fs.rm(path.join(this.layout.runroot, name), { force: true });
      }
    });
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.layout.metadataLock, {}, fn);
  }
}

/** The chains that images, holds and leases reference; a kept layer keeps its parents. */
function keptChains(images: ImageRecord[], holds: { layers: Digest[] }[], leased: Iterable<string>, layers: LayerRecord[]): Set<string> {
  const chains = new Set<string>(leased);
  for (const i of images) for (const l of i.layers) chains.add(l.chainID);
  for (const h of holds) for (const c of h.layers) chains.add(c);
  // An image made by commit may reference only the top. Parents listed after their child are
  // reached by going round until nothing changes.
  for (let grew = true; grew; ) {
    grew = false;
    for (const l of layers) {
      if (chains.has(l.chainID) && l.parent && !chains.has(l.parent)) {
        chains.add(l.parent);
        grew = true;
      }
    }
  }
  return chains;
}

/**
 * Opens (creating if needed) the store at `root`/`runroot` and cleans what killed processes
 * left: abandoned unpacks, half-deleted layers, stale and malformed ingests, dead leases.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const store = new Store(options);
  try {
    await fs.mkdir(options.root, { recursive: true, mode: 0o700 });
    await fs.mkdir(store.layout.locksDir, { recursive: true, mode: 0o700 });
    await fs.mkdir(store.layout.leasesDir, { recursive: true, mode: 0o700 });
    await store.content.open();
    await store.layers.open();
    await store.cleanRecordTemps();
  } catch (err) {
    throw err instanceof BerthError ? err : BerthError.wrap(err, `cannot open the store at ${options.root}`);
  }
  return store;
}

/** docker's reading of a name: "busybox" -> "docker.io/library/busybox:latest"; undefined if not a name. */
export function normalizeName(query: string): string | undefined {
  try {
    const ref = parseNormalizedReference(query);
    return fullString(ref.tag === undefined && ref.digest === undefined ? withTag(ref, 'latest') : ref);
  } catch {
    return undefined;
  }
}
