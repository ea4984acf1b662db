// Copy is one function: source handle -> sink. It converts only what the sink cannot take
// (layer compression, Docker <-> OCI media types) and keeps manifests byte-identical otherwise.
import { pipeline, Readable } from 'node:stream';
import { aborted, invalidArgument } from '../internal/errors.js';
import { compressor } from './compression.js';
import type { Image, Index, Layer } from './handles.js';
import { isIndexHandle } from './handles.js';
import {
  type Compression,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  isDockerMediaType,
  isIndexMediaType,
  isNondistributable,
  layerCompression,
  layerMediaTypeWith,
  OCI_INDEX,
  OCI_MANIFEST,
  toDockerMediaType,
  toOciMediaType,
} from './mediatype.js';
import { hostPlatform, selectManifest } from './platform.js';
import type { ImageSink, LayerCompressionChoice } from './sink.js';
import type { Descriptor, Platform } from './types.js';

export interface CopyOptions {
  /** Names the top-level manifest in the sink. */
  tag?: string;
  /**
   * For an index: 'all' copies every child and the index; a platform copies the one image for
   * it (like skopeo's default). Default: 'all' when the sink takes indexes, else the host's.
   */
  platform?: 'all' | Platform;
  /** Overrides the sink's wish for layer compression. */
  layerCompression?: LayerCompressionChoice;
  /** Manifest family to write: 'keep' unless the sink cannot store it. */
  manifestFormat?: 'keep' | 'oci' | 'docker';
  /** Layers copied at once. Default 3 (docker's and skopeo's default). */
  concurrency?: number;
  signal?: AbortSignal;
  /** Called once per blob: written, or skipped because the sink had it. */
  onBlob?: (desc: Descriptor, outcome: 'written' | 'skipped') => void;
}

export interface CopyResult {
  /** The manifest or index written at the top, as the sink stored it. */
  descriptor: Descriptor;
  /** True when some manifest bytes changed (recompression or media type conversion). */
  converted: boolean;
}

type Family = 'oci' | 'docker';

function familyOf(mediaType: string): Family {
  return isDockerMediaType(mediaType) ? 'docker' : 'oci';
}

function targetFamily(sourceMediaType: string, sink: ImageSink, options: CopyOptions): Family {
  if (options.manifestFormat && options.manifestFormat !== 'keep') return options.manifestFormat;
  const own = familyOf(sourceMediaType);
  const accepted = sink.manifestMediaTypes;
  if (!accepted || accepted.includes(sourceMediaType)) return own;
  const other: Family = own === 'oci' ? 'docker' : 'oci';
  const otherType = other === 'oci' ? toOciMediaType(sourceMediaType) : toDockerMediaType(sourceMediaType);
  if (accepted.includes(otherType)) return other;
  throw invalidArgument(`cannot copy to ${sink.name}: it does not store ${sourceMediaType}`);
}

function convert(mediaType: string, family: Family): string {
  return family === 'oci' ? toOciMediaType(mediaType) : toDockerMediaType(mediaType);
}

/** Copies an image or index into a sink. */
export async function copyImage(source: Image | Index, sink: ImageSink, options: CopyOptions = {}): Promise<CopyResult> {
  if (isIndexHandle(source)) {
    const wantAll = options.platform === 'all' || (options.platform === undefined && sink.acceptsIndex !== false);
    if (wantAll) {
      if (sink.acceptsIndex === false) throw invalidArgument(`cannot copy every image of an index to ${sink.name}: it holds single images only`);
      return copyIndex(source, sink, options, options.tag);
    }
    const platform = options.platform === undefined || options.platform === 'all' ? hostPlatform() : options.platform;
    return copyImage(await pickImage(source, platform), sink, options);
  }
  return copySingleImage(source, sink, options, options.tag);
}

/** The image in (possibly nested) indexes that fits `platform`. */
export async function pickImage(index: Index, platform: Platform): Promise<Image> {
  const chosen = selectManifest(await index.indexManifest(), platform);
  if (isIndexMediaType(chosen.mediaType)) return pickImage(await index.imageIndex(chosen.digest), platform);
  return index.image(chosen.digest);
}

function checkSignal(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw aborted(`cannot copy ${what}: aborted`);
}

async function copyIndex(index: Index, sink: ImageSink, options: CopyOptions, tag: string | undefined, child = false): Promise<CopyResult> {
  const mediaType = await index.mediaType();
  const family = targetFamily(mediaType, sink, options);
  const doc = await index.indexManifest();
  let converted = family !== familyOf(mediaType);
  const children: Descriptor[] = [];
  for (const entry of doc.manifests) {
    checkSignal(options.signal, `index ${await index.digest()}`);
    const result = isIndexMediaType(entry.mediaType)
      ? await copyIndex(await index.imageIndex(entry.digest), sink, options, undefined, true)
      : await copySingleImage(await index.image(entry.digest), sink, options, undefined, true);
    if (result.converted || result.descriptor.digest !== entry.digest) converted = true;
    // Embedded bytes (`data`) describe the old child; they go when the child changes.
    const { data: _stale, ...kept } = entry;
    const same = result.descriptor.digest === entry.digest;
    children.push({ ...(same ? entry : kept), mediaType: result.descriptor.mediaType, digest: result.descriptor.digest, size: result.descriptor.size });
  }
  const desc = await index.descriptor();
  if (!converted) {
    const written = await sink.writeManifest(await index.rawManifest(), mediaType, tag, { signal: options.signal, descriptor: desc, child });
    return { descriptor: written, converted: false };
  }
  const newType = family === 'oci' ? OCI_INDEX : DOCKER_MANIFEST_LIST;
  const rebuilt = { ...doc, mediaType: newType, manifests: children };
  const bytes = Buffer.from(JSON.stringify(rebuilt));
  const written = await sink.writeManifest(bytes, newType, tag, { signal: options.signal, descriptor: { ...desc, mediaType: newType }, child });
  return { descriptor: written, converted: true };
}

/** The compression a layer should have in the sink, and its media type there. */
function layerPlan(desc: Descriptor, family: Family, choice: LayerCompressionChoice): { compression: Compression | undefined; mediaType: string } {
  const have = layerCompression(desc.mediaType);
  const mediaType = convert(desc.mediaType, family);
  if (have === undefined || choice === 'keep') return { compression: undefined, mediaType };
  // Like skopeo: 'gzip' compresses only uncompressed layers (zstd stays zstd); 'zstd' and
  // 'none' convert every layer.
  const want: Compression = choice === 'none' || choice === 'zstd' ? choice : have === 'none' ? 'gzip' : have;
  if (want === have) return { compression: undefined, mediaType };
  return { compression: want, mediaType: layerMediaTypeWith(mediaType, want) };
}

async function copyLayer(layer: Layer, sink: ImageSink, family: Family, options: CopyOptions): Promise<Descriptor> {
  const src = await layer.descriptor();
  const choice = options.layerCompression ?? sink.layerCompression ?? 'keep';
  const plan = layerPlan(src, family, choice);
  if (plan.compression === undefined) {
    const target: Descriptor = { ...src, mediaType: plan.mediaType };
    // Foreign layers stay where their URLs point, as the image-spec asks of distributors.
    if (isNondistributable(src.mediaType) && src.urls?.length) return target;
    if (await sink.hasBlob(target, { signal: options.signal })) {
      options.onBlob?.(target, 'skipped');
      return target;
    }
    const written = await sink.writeBlob(target, await layer.compressed({ signal: options.signal }), { signal: options.signal });
    options.onBlob?.(written, 'written');
    return { ...target, digest: written.digest, size: written.size };
  }
  const plain = await layer.uncompressed({ signal: options.signal });
  const stream: Readable = plan.compression === 'none' ? plain : pipeline(plain, compressor(plan.compression), () => {});
  const info = { mediaType: plan.mediaType, ...(src.annotations ? { annotations: src.annotations } : {}) };
  const written = await sink.writeBlob(info, stream, { signal: options.signal });
  options.onBlob?.(written, 'written');
  const out: Descriptor = { mediaType: plan.mediaType, digest: written.digest, size: written.size };
  if (src.annotations) out.annotations = src.annotations;
  return out;
}

/** Runs `fn` over items with at most `limit` at once, keeping the order of results. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

async function copySingleImage(image: Image, sink: ImageSink, options: CopyOptions, tag: string | undefined, child = false): Promise<CopyResult> {
  const mediaType = await image.mediaType();
  const family = targetFamily(mediaType, sink, options);
  const manifest = await image.manifest();
  const what = `image ${await image.digest()}`;
  checkSignal(options.signal, what);

  const configDesc = { ...manifest.config, mediaType: convert(manifest.config.mediaType, family) };
  if (await sink.hasBlob(configDesc, { signal: options.signal })) options.onBlob?.(configDesc, 'skipped');
  else {
    await sink.writeBlob(configDesc, Readable.from([Buffer.from(await image.rawConfig())]), { signal: options.signal });
    options.onBlob?.(configDesc, 'written');
  }
  const layers = await image.layers();
  const written = await mapLimited(layers, options.concurrency ?? 3, (l) => copyLayer(l, sink, family, options));
  checkSignal(options.signal, what);

  const sameLayers = written.every((d, i) => d.digest === manifest.layers[i].digest && d.mediaType === manifest.layers[i].mediaType);
  const converted = !sameLayers || configDesc.mediaType !== manifest.config.mediaType || family !== familyOf(mediaType);
  const desc = await image.descriptor();
  if (!converted) {
    const out = await sink.writeManifest(await image.rawManifest(), mediaType, tag, { signal: options.signal, descriptor: desc, child });
    return { descriptor: out, converted: false };
  }
  const newType = family === 'oci' ? OCI_MANIFEST : DOCKER_MANIFEST;
  const rebuilt = { ...manifest, mediaType: newType, config: configDesc, layers: written };
  const bytes = Buffer.from(JSON.stringify(rebuilt));
  const out = await sink.writeManifest(bytes, newType, tag, { signal: options.signal, descriptor: { ...desc, mediaType: newType }, child });
  return { descriptor: out, converted: true };
}
