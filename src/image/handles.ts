// The lazy handles every image source serves (OCI layout, archives, registries, the local
// store): Layer, Image and Index, in the spirit of go-containerregistry's v1 interfaces.
import type { Readable } from 'node:stream';
import type { Digest } from '../digest/digest.js';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from './types.js';

export interface ReadOptions {
  signal?: AbortSignal;
}

/**
 * One layer. Every getter may do I/O and may fail; each computes once. Streams are verified
 * while read: a body whose bytes do not match its digest or size errors with 'corrupt' before
 * it ends, so a consumer that commits on 'end' never commits bad content.
 */
export interface Layer {
  /** Digest of the blob as stored (compressed, if the media type says so). */
  digest(): Promise<Digest>;
  /** Digest of the uncompressed tar: the entry in the config's rootfs.diff_ids. */
  diffID(): Promise<Digest>;
  /** Size of the blob as stored. */
  size(): Promise<number>;
  mediaType(): Promise<string>;
  /** The descriptor as the manifest holds it (with urls and annotations). */
  descriptor(): Promise<Descriptor>;
  /** The blob's bytes as stored, verified against digest and size. */
  compressed(options?: ReadOptions): Promise<Readable>;
  /** The uncompressed tar, verified against the diffID when one is known. */
  uncompressed(options?: ReadOptions): Promise<Readable>;
}

/** An image: one manifest, its config, its layers. */
export interface Image {
  mediaType(): Promise<string>;
  /** The exact manifest bytes, whose sha256 is digest(). */
  rawManifest(): Promise<Uint8Array>;
  manifest(): Promise<ImageManifest>;
  digest(): Promise<Digest>;
  size(): Promise<number>;
  /** The descriptor to put in an index or index.json (media type, digest, size, platform if known). */
  descriptor(): Promise<Descriptor>;
  configDescriptor(): Promise<Descriptor>;
  /** The config's digest: docker's image ID. */
  configName(): Promise<Digest>;
  rawConfig(): Promise<Uint8Array>;
  config(): Promise<ImageConfig>;
  /** Layers bottom first, in manifest order. */
  layers(): Promise<Layer[]>;
  layerByDigest(digest: Digest): Promise<Layer>;
  layerByDiffID(diffID: Digest): Promise<Layer>;
}

/** An image index (OCI index or Docker manifest list). */
export interface Index {
  mediaType(): Promise<string>;
  rawManifest(): Promise<Uint8Array>;
  indexManifest(): Promise<ImageIndex>;
  digest(): Promise<Digest>;
  size(): Promise<number>;
  descriptor(): Promise<Descriptor>;
  /** The child image with this digest; 'not-found' if the index does not list it. */
  image(digest: Digest): Promise<Image>;
  /** The child index with this digest (indexes may nest). */
  imageIndex(digest: Digest): Promise<Index>;
}

export function isIndexHandle(x: Image | Index): x is Index {
  return typeof (x as Index).indexManifest === 'function';
}

/**
 * Where handles get bytes from: the one thing a source format implements. Handles do the
 * verification, buffering limits and parsing on top.
 */
export interface ContentSource {
  /** Opens the blob `desc` names. The stream need not be verified; the handle verifies it. */
  openBlob(desc: Descriptor, options?: ReadOptions): Promise<Readable>;
  /** The bytes of a manifest named by `desc`; absent means manifests are blobs (OCI layout, archives). */
  readManifest?(desc: Descriptor, options?: ReadOptions): Promise<Uint8Array>;
  /** Names the source in error messages: "oci:/tmp/x", "docker-archive:/tmp/a.tar". */
  readonly name: string;
}
