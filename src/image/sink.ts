// The receiving side of a copy: where images go (OCI layout, archives, a registry, the
// local store). A sink stores blobs it verifies itself and manifests it is handed.
import type { Readable } from 'node:stream';
import type { Digest } from '../digest/digest.js';
import type { ReadOptions } from './handles.js';
import type { Descriptor } from './types.js';

/** A blob about to be written: digest and size may be unknown when the copy recompresses. */
export interface BlobInfo {
  mediaType: string;
  digest?: Digest;
  size?: number;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface WriteManifestOptions extends ReadOptions {
  /** Platform and annotations to record next to the manifest (index.json entries). */
  descriptor?: Partial<Descriptor>;
  /**
   * True for a manifest that an index written next refers to. Sinks that list their roots
   * (index.json, manifest.json) leave untagged children out of that list.
   */
  child?: boolean;
}

/** 'gzip' compresses plain layers only (skopeo's default); 'zstd' recompresses every layer (--dest-compress-format zstd). */
export type LayerCompressionChoice = 'keep' | 'gzip' | 'zstd' | 'none';

export interface ImageSink {
  /** Names the sink in messages: "oci:/tmp/x:latest". */
  readonly name: string;
  /** Manifest media types the sink stores, preferred first; absent means any. */
  readonly manifestMediaTypes?: readonly string[];
  /** False for formats that hold single images only (docker-archive). */
  readonly acceptsIndex?: boolean;
  /** What the sink wants done to layers that arrive in another compression (skopeo's per-destination choice). */
  readonly layerCompression?: LayerCompressionChoice;

  /** Whether the blob is already there (the copy then skips it). */
  hasBlob(desc: Descriptor, options?: ReadOptions): Promise<boolean>;
  /**
   * Stores a blob. The sink checks size and digest when `info` gives them and computes them
   * when not; nothing becomes visible unless they match. Returns the stored blob's descriptor.
   */
  writeBlob(info: BlobInfo, stream: Readable, options?: ReadOptions): Promise<Descriptor>;
  /** Stores a manifest or index (after its blobs); `tag` names it when given. */
  writeManifest(bytes: Uint8Array, mediaType: string, tag?: string, options?: WriteManifestOptions): Promise<Descriptor>;
}
