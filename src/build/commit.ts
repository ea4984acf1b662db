// Turns what a build step made into store content: layer blobs ingested and unpacked under
// the build's lease, and finally the image's config, manifest and record.
import { Readable } from 'node:stream';
import { type Digest, digestOf } from '../digest/digest.js';
import { aborted } from '../internal/errors.js';
import { type ImageConfig, OCI_CONFIG, OCI_LAYER_TAR, OCI_MANIFEST } from '../image/index.js';
import type { LayerBlob } from '../layer/index.js';
import { chainID, type ImageLayer, type ImageRecord, type Lease, type Store } from '../store/index.js';
import { randomHex } from '../internal/random.js';

/**
 * Layers a build makes are stored as plain tar, as podman's storage keeps them: gzip costs
 * more than the rest of a COPY, and push compresses uncompressed layers on the way out.
 */
export const BUILD_LAYER_PACK = { compression: 'none' } as const;

export class Committer {
  constructor(
    private readonly store: Store,
    private readonly lease: Lease,
  ) {}

  /** Stores a layer blob on top of `parent` (chain ID) and unpacks it; returns the image's layer entry. */
  async commitBlob(
    blob: LayerBlob,
    parent: Digest | undefined,
    options: { mediaType?: string; signal?: AbortSignal } = {},
  ): Promise<ImageLayer> {
    const { signal } = options;
    const ref = `build-${this.lease.id}-${randomHex(4)}`;
    const [info, digests] = await Promise.all([this.store.content.ingest(ref, blob.stream, { signal }), blob.done]);
    const still = await this.lease.add({ blobs: [info.digest] }, () => this.store.content.exists(info.digest));
    if (!still) throw aborted(`cannot store layer ${info.digest}: it was removed by a concurrent prune; retry`);
    const compressed = { digest: info.digest, size: info.size, mediaType: options.mediaType ?? OCI_LAYER_TAR };
    const rec = await this.store.layers.unpack(this.lease, {
      diffID: digests.diffID,
      parent,
      compressed,
      open: () => this.store.content.reader(info.digest, { signal }),
      signal,
    });
    return { ...compressed, diffID: digests.diffID, chainID: rec.chainID };
  }

  /** Whether a cached layer is still whole (record and blob), leasing it for this build if so. */
  async reuse(layer: ImageLayer, parent: Digest | undefined): Promise<boolean> {
    if (chainID(parent, layer.diffID) !== layer.chainID) return false;
    return (
      (await this.lease.add({ chains: [layer.chainID], blobs: [layer.digest] }, async () => {
        return (await this.store.layers.get(layer.chainID)) !== undefined && (await this.store.content.exists(layer.digest));
      })) ?? false
    );
  }

  /** Writes config and manifest and records the image with `names`. */
  async writeImage(config: ImageConfig, layers: ImageLayer[], names: string[]): Promise<ImageRecord> {
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDesc = { mediaType: OCI_CONFIG, digest: digestOf(configBytes), size: configBytes.length };
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: configDesc,
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const manifestDesc = { mediaType: OCI_MANIFEST, digest: digestOf(manifestBytes), size: manifestBytes.length };
    for (const [d, bytes] of [
      [configDesc.digest, configBytes],
      [manifestDesc.digest, manifestBytes],
    ] as const) {
      await this.lease.add({ blobs: [d] });
      await this.store.content.ingest(`build-${d}`, Readable.from([bytes]), { expected: { digest: d, size: bytes.length } });
    }
    return this.store.putImage({
      manifest: manifestDesc,
      config: configDesc,
      layers,
      platform: { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) },
      created: config.created,
      names,
    });
  }
}
