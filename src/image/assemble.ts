// Writing a new image from uncompressed layer tars: hash each tar (its diff ID) while it is
// compressed into the sink, then write the config and manifest that tie them together.
import { pipeline, Readable } from 'node:stream';
import type { Digest } from '../digest/digest.js';
import { DigestingStream } from '../digest/verify.js';
import { compressor } from './compression.js';
import type { ReadOptions } from './handles.js';
import {
  type Compression,
  DOCKER_CONFIG,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  layerMediaTypeWith,
  OCI_CONFIG,
  OCI_LAYER_TAR,
  OCI_MANIFEST,
} from './mediatype.js';
import { hostPlatform } from './platform.js';
import type { ImageSink } from './sink.js';
import type { Descriptor, History, ImageConfig, ImageManifest } from './types.js';

/**
 * One layer to write: either an uncompressed tar that writeImage hashes and compresses, or a
 * blob already made (e.g. src/layer's createLayerFromDirectory) with its diff ID known once
 * the blob has been read: `{ blob: () => b.stream, compression: 'gzip', diffID: async () => (await b.done).diffID }`.
 */
export type LayerInput = (
  | {
      /** Opens the uncompressed layer tar; called once. */
      tar: () => Readable | Promise<Readable>;
    }
  | {
      /** Opens the layer blob as it should be stored; called once. */
      blob: () => Readable | Promise<Readable>;
      compression: Compression;
      /** The uncompressed tar's digest; asked after the blob was read to its end. */
      diffID: Digest | (() => Promise<Digest>);
    }
) & {
  /** The history entry for this layer; default `{created, created_by: "berth"}`. */
  history?: History;
};

export interface WriteImageOptions extends ReadOptions {
  tag?: string;
  /** Manifest family: 'oci' (default) or 'docker' (schema 2). */
  format?: 'oci' | 'docker';
  /** Layer compression in the sink; default gzip. */
  compression?: Compression;
  /** Config fields to start from; rootfs and history are filled in. Default platform: the host's. */
  config?: Partial<ImageConfig>;
  /** RFC 3339 time for config.created and history; default now. Fix it for reproducible images. */
  created?: string;
  /** Annotations on the manifest. */
  annotations?: Record<string, string>;
}

export interface WrittenImage {
  descriptor: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  diffIDs: Digest[];
}

/** Writes a new image into `sink` from layer tars, bottom layer first. */
export async function writeImage(sink: ImageSink, layers: LayerInput[], options: WriteImageOptions = {}): Promise<WrittenImage> {
  const docker = options.format === 'docker';
  const compression = options.compression ?? 'gzip';
  const layerType = layerMediaTypeWith(docker ? DOCKER_LAYER_GZIP : OCI_LAYER_TAR, compression);
  const created = options.created ?? new Date().toISOString();
  const descs: Descriptor[] = [];
  const diffIDs: Digest[] = [];
  const history: History[] = [];
  for (const input of layers) {
    if ('tar' in input) {
      const hasher = new DigestingStream();
      const body = pipeline(await input.tar(), hasher, compressor(compression), () => {});
      descs.push(await sink.writeBlob({ mediaType: layerType }, body, { signal: options.signal }));
      diffIDs.push(hasher.digest);
    } else {
      const mediaType = layerMediaTypeWith(layerType, input.compression);
      descs.push(await sink.writeBlob({ mediaType }, await input.blob(), { signal: options.signal }));
      diffIDs.push(typeof input.diffID === 'function' ? await input.diffID() : input.diffID);
    }
    history.push(input.history ?? { created, created_by: 'berth' });
  }
  const host = hostPlatform();
  const base = options.config ?? {};
  const variant = base.variant ?? (base.architecture === undefined ? host.variant : undefined);
  const config: ImageConfig = {
    ...base,
    created: base.created ?? created,
    architecture: base.architecture ?? host.architecture,
    os: base.os ?? host.os,
    ...(variant ? { variant } : {}),
    config: base.config ?? {},
    rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), ...diffIDs] },
    history: [...(base.history ?? []), ...history],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDesc = await sink.writeBlob({ mediaType: docker ? DOCKER_CONFIG : OCI_CONFIG }, Readable.from([configBytes]), {
    signal: options.signal,
  });
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: docker ? DOCKER_MANIFEST : OCI_MANIFEST,
    config: configDesc,
    layers: descs,
    ...(options.annotations ? { annotations: options.annotations } : {}),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const descriptor = await sink.writeManifest(bytes, manifest.mediaType!, options.tag, {
    signal: options.signal,
    descriptor: { platform: { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) } },
  });
  return { descriptor, config: configDesc, layers: descs, diffIDs };
}
