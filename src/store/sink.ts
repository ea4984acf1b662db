// The store as both ends of a copy: an ImageSink (pull = copyImage(remote, sink)) that
// writes blobs, unpacks layers and records the image, and a ContentSource for local images.
import { Readable } from 'node:stream';
import { aborted, failedPrecondition } from '../internal/errors.js';
import {
  type BlobInfo,
  type ContentSource,
  type Descriptor,
  hostPlatform,
  type Image,
  type ImageSink,
  type Index,
  openManifest,
  parseImageConfig,
  parseManifest,
  platformSatisfies,
  type WriteManifestOptions,
} from '../image/index.js';
import type { Lease } from './lease.js';
import { chainIDs } from './layers.js';
import type { ImageLayer, ImageRecord } from './images.js';
import type { Store } from './store.js';

/** Layers unpacked at once by one pull (each layer is its own directory, so order is free). */
const UNPACK_CONCURRENCY = 3;

export interface StoreSinkOptions {
  /** Canonical repository ("docker.io/library/busybox"): tags become "<repository>:<tag>", digests "<repository>@<digest>". */
  repository?: string;
  signal?: AbortSignal;
}

/**
 * Writes into the store under one lease: every blob and layer it touches is leased before it
 * is looked for, and image records are written before the caller releases the lease, so a
 * concurrent rmi never frees what this copy is about to reference.
 */
export class StoreSink implements ImageSink {
  readonly name: string;
  readonly acceptsIndex = true;
  readonly layerCompression = 'keep' as const;
  /** Records written by this sink, last first-level image last. */
  readonly written: ImageRecord[] = [];

  constructor(
    private readonly store: Store,
    private readonly lease: Lease,
    private readonly options: StoreSinkOptions = {},
  ) {
    this.name = `berth-store:${store.layout.root}`;
  }

  async hasBlob(desc: Descriptor): Promise<boolean> {
    return (await this.lease.add({ blobs: [desc.digest] }, () => this.store.content.exists(desc.digest))) ?? false;
  }

  async writeBlob(info: BlobInfo, stream: Readable, options: { signal?: AbortSignal } = {}): Promise<Descriptor> {
    const signal = options.signal ?? this.options.signal;
    if (info.digest) await this.lease.add({ blobs: [info.digest] });
    const ref = info.digest ? `blob-${info.digest}` : `blob-unknown-${this.lease.id}-${Date.now()}`;
    const stored = await this.store.content.ingest(ref, stream, { expected: { digest: info.digest, size: info.size }, signal });
    if (!info.digest) {
      // Recompressed content is named only now: lease it and make sure no collection ran between.
      const still = await this.lease.add({ blobs: [stored.digest] }, () => this.store.content.exists(stored.digest));
      if (!still) throw aborted(`cannot store blob ${stored.digest}: it was removed by a concurrent prune; retry`);
    }
    const desc: Descriptor = { mediaType: info.mediaType, digest: stored.digest, size: stored.size };
    if (info.annotations) desc.annotations = info.annotations;
    if (info.urls) desc.urls = info.urls;
    return desc;
  }

  async writeManifest(bytes: Uint8Array, mediaType: string, tag?: string, options: WriteManifestOptions = {}): Promise<Descriptor> {
    const parsed = parseManifest(bytes, mediaType);
    const desc: Descriptor = { mediaType: parsed.mediaType, digest: parsed.digest, size: parsed.size };
    if (options.descriptor?.platform) desc.platform = options.descriptor.platform;
    await this.lease.add({ blobs: [parsed.digest] });
    await this.store.content.ingest(`manifest-${parsed.digest}`, bufferStream(bytes), { expected: { digest: parsed.digest, size: parsed.size } });
    const name = tag === undefined ? undefined : this.nameFor(tag);
    const digestName = this.options.repository ? `${this.options.repository}@${parsed.digest}` : undefined;
    if (parsed.kind === 'index') {
      const children = parsed.index?.manifests ?? [];
      const rec = await this.store.attachIndex(desc, children, { name, digestName, prefer: hostPlatform() });
      if (rec) this.written.push(rec);
      return desc;
    }
    if (!parsed.config) throw failedPrecondition(`cannot store manifest ${parsed.digest}: it has no config`);
    const config = parseImageConfig(await this.store.content.readBlob(parsed.config.digest));
    const layerDescs = parsed.manifest?.layers ?? [];
    const diffIDs = config.rootfs.diff_ids;
    if (diffIDs.length !== layerDescs.length) {
      throw failedPrecondition(`cannot store image ${parsed.config.digest}: ${layerDescs.length} layers but ${diffIDs.length} diff_ids`);
    }
    const chains = chainIDs(diffIDs);
    const layers: ImageLayer[] = layerDescs.map((l, i) => ({
      digest: l.digest,
      size: l.size,
      mediaType: l.mediaType,
      diffID: diffIDs[i],
      chainID: chains[i],
    }));
    await runPool(layers, UNPACK_CONCURRENCY, (l, i) =>
      this.store.layers.unpack(this.lease, {
        diffID: l.diffID,
        parent: i === 0 ? undefined : chains[i - 1],
        compressed: { digest: l.digest, size: l.size, mediaType: l.mediaType },
        open: () => this.store.content.reader(l.digest, { signal: this.options.signal }),
        signal: this.options.signal,
      }),
    );
    const platform = { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) };
    const rec = await this.store.putImage({
      manifest: desc,
      config: parsed.config,
      layers,
      platform,
      created: config.created,
      names: name ? [name] : [],
      digests: digestName ? [digestName] : [],
    });
    this.written.push(rec);
    return desc;
  }

  private nameFor(tag: string): string {
    if (!this.options.repository || tag.includes('/')) return tag;
    return `${this.options.repository}:${tag}`;
  }
}

/** The store's blobs as a ContentSource, so a local image is a lazy Image handle like any other. */
export class StoreSource implements ContentSource {
  readonly name: string;

  constructor(private readonly store: Store) {
    this.name = `berth-store:${store.layout.root}`;
  }

  openBlob(desc: Descriptor, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    return this.store.content.reader(desc.digest, { signal: options.signal });
  }

  /** The handle of a stored image (its platform manifest). */
  async image(rec: ImageRecord): Promise<Image | Index> {
    const bytes = await this.store.content.readBlob(rec.manifest.digest);
    return openManifest(this, bytes, rec.manifest.mediaType, { descriptor: rec.manifest });
  }
}

/** Picks the child to carry an index's tag: one present locally, the preferred platform first. */
export function pickChild(records: ImageRecord[], children: Descriptor[], prefer: { os: string; architecture: string }): ImageRecord | undefined {
  const present = children
    .map((c) => ({ c, rec: records.find((r) => r.manifest.digest === c.digest) }))
    .filter((x): x is { c: Descriptor; rec: ImageRecord } => x.rec !== undefined);
  const preferred = present.find((x) => x.c.platform && platformSatisfies(x.c.platform, prefer));
  return (preferred ?? present[0])?.rec;
}

function bufferStream(bytes: Uint8Array): Readable {
  return Readable.from([Buffer.from(bytes)]);
}

async function runPool<T>(items: T[], width: number, fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (err) {
        next = items.length; // the others finish what they hold and stop
        throw err;
      }
    }
  });
  await Promise.all(workers);
}
