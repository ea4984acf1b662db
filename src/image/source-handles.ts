// Image, Index and Layer handles over any ContentSource: parse and verify once, read
// configs and child manifests lazily, hand layers out as verified streams.
import { pipeline, type Readable } from 'node:stream';
import type { Digest } from '../digest/digest.js';
import { DigestingStream, VerifyingStream } from '../digest/verify.js';
import { corrupt, invalidArgument, notFound } from '../internal/errors.js';
import { openVerifiedBlob, readBlobBytes } from './blob.js';
import { parseImageConfig } from './config.js';
import { decompressor } from './compression.js';
import { type ContentSource, type Image, type Index, isIndexHandle, type Layer, type ReadOptions } from './handles.js';
import { isConfigMediaType, layerCompression } from './mediatype.js';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from './types.js';
import { type ParsedManifest, parseManifest } from './validate.js';

/** Memoises an async getter; a failure is not cached, so a later call may retry. */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    if (!p) {
      p = fn();
      p.catch(() => {
        p = undefined;
      });
    }
    return p;
  };
}

/** What a handle knows about itself from the descriptor that pointed at it. */
export interface HandleContext {
  /** platform and annotations from the index entry or index.json entry. */
  descriptor?: Partial<Descriptor>;
}

/** Opens the manifest or index in `bytes` (parsing only, no I/O). */
export function openManifest(source: ContentSource, bytes: Uint8Array, contentType?: string, context: HandleContext = {}): Image | Index {
  const parsed = parseManifest(bytes, contentType);
  return parsed.kind === 'index' ? new SourceIndex(source, parsed, bytes, context) : new SourceImage(source, parsed, bytes, context);
}

/** Reads the manifest `desc` names from `source`, checks it against the descriptor and opens it. */
export async function openDescriptor(source: ContentSource, desc: Descriptor, options: ReadOptions = {}): Promise<Image | Index> {
  const bytes = await readBlobBytes(source, desc, { ...options, manifest: true });
  return openManifest(source, bytes, desc.mediaType, { descriptor: desc });
}

export async function openImageDescriptor(source: ContentSource, desc: Descriptor, options: ReadOptions = {}): Promise<Image> {
  const h = await openDescriptor(source, desc, options);
  if (isIndexHandle(h)) throw invalidArgument(`${desc.digest} in ${source.name} is an index, not an image manifest`);
  return h;
}

function contextDescriptor(parsed: ParsedManifest, context: HandleContext): Descriptor {
  const d: Descriptor = { mediaType: parsed.mediaType, digest: parsed.digest, size: parsed.size };
  const from = context.descriptor;
  if (from?.platform) d.platform = from.platform;
  if (from?.annotations) d.annotations = from.annotations;
  if (parsed.artifactType) d.artifactType = parsed.artifactType;
  return d;
}

/** What image and index handles share: a parsed manifest and the source its blobs come from. */
abstract class SourceManifest {
  protected readonly source: ContentSource;
  protected readonly parsed: ParsedManifest;
  protected readonly raw: Uint8Array;
  protected readonly context: HandleContext;

  constructor(source: ContentSource, parsed: ParsedManifest, raw: Uint8Array, context: HandleContext = {}) {
    this.source = source;
    this.parsed = parsed;
    this.raw = raw;
    this.context = context;
  }

  async mediaType(): Promise<string> {
    return this.parsed.mediaType;
  }
  async rawManifest(): Promise<Uint8Array> {
    return this.raw;
  }
  async digest(): Promise<Digest> {
    return this.parsed.digest;
  }
  async size(): Promise<number> {
    return this.parsed.size;
  }
  async descriptor(): Promise<Descriptor> {
    return contextDescriptor(this.parsed, this.context);
  }
}

export class SourceImage extends SourceManifest implements Image {
  async manifest(): Promise<ImageManifest> {
    return this.parsed.manifest!;
  }
  async configDescriptor(): Promise<Descriptor> {
    return this.parsed.manifest!.config;
  }
  async configName(): Promise<Digest> {
    return this.parsed.manifest!.config.digest;
  }

  readonly rawConfig = once(() => readBlobBytes(this.source, this.parsed.manifest!.config));

  readonly config = once(async (): Promise<ImageConfig> => parseImageConfig(await this.rawConfig()));

  /** The diff_ids, when the config is an image config listing one per layer. */
  private readonly diffIDs = once(async (): Promise<Digest[] | undefined> => {
    const m = this.parsed.manifest!;
    if (!isConfigMediaType(m.config.mediaType)) return undefined;
    const ids = (await this.config()).rootfs.diff_ids;
    if (ids.length !== m.layers.length) {
      throw corrupt(`image ${this.parsed.digest} in ${this.source.name}: ${m.layers.length} layers but ${ids.length} diff_ids in its config`);
    }
    return ids;
  });

  readonly layers = once(async (): Promise<Layer[]> =>
    this.parsed.manifest!.layers.map(
      (d, i) =>
        new SourceLayer(this.source, d, async () => {
          const ids = await this.diffIDs();
          return ids?.[i];
        }),
    ),
  );

  async layerByDigest(digest: Digest): Promise<Layer> {
    for (const l of await this.layers()) if ((await l.digest()) === digest) return l;
    throw notFound(`image ${this.parsed.digest} in ${this.source.name} has no layer ${digest}`);
  }

  async layerByDiffID(diffID: Digest): Promise<Layer> {
    for (const l of await this.layers()) if ((await l.diffID()) === diffID) return l;
    throw notFound(`image ${this.parsed.digest} in ${this.source.name} has no layer with diff ID ${diffID}`);
  }
}

export class SourceLayer implements Layer {
  private readonly source: ContentSource;
  private readonly desc: Descriptor;
  private readonly knownDiffID: () => Promise<Digest | undefined>;

  constructor(source: ContentSource, desc: Descriptor, knownDiffID: () => Promise<Digest | undefined> = async () => undefined) {
    this.source = source;
    this.desc = desc;
    this.knownDiffID = knownDiffID;
  }

  async digest(): Promise<Digest> {
    return this.desc.digest;
  }
  async size(): Promise<number> {
    return this.desc.size;
  }
  async mediaType(): Promise<string> {
    return this.desc.mediaType;
  }
  async descriptor(): Promise<Descriptor> {
    return this.desc;
  }

  private get compression() {
    return layerCompression(this.desc.mediaType) ?? 'none';
  }

  readonly diffID = once(async (): Promise<Digest> => {
    const known = await this.knownDiffID();
    if (known) return known;
    if (this.compression === 'none') return this.desc.digest;
    const hasher = new DigestingStream();
    const stream = await this.uncompressed();
    await new Promise<void>((resolve, reject) => {
      pipeline(stream, hasher, (err) => (err ? reject(err) : resolve()));
      hasher.resume();
    });
    return hasher.digest;
  });

  compressed(options: ReadOptions = {}): Promise<Readable> {
    return openVerifiedBlob(this.source, this.desc, options);
  }

  async uncompressed(options: ReadOptions = {}): Promise<Readable> {
    const compressed = await this.compressed(options);
    if (this.compression === 'none') return compressed;
    const known = await this.knownDiffID();
    const what = `uncompressed layer ${this.desc.digest} in ${this.source.name}`;
    if (known) return pipeline(compressed, decompressor(this.compression), new VerifyingStream({ digest: known, what }), () => {});
    return pipeline(compressed, decompressor(this.compression), () => {});
  }
}

export class SourceIndex extends SourceManifest implements Index {
  async indexManifest(): Promise<ImageIndex> {
    return this.parsed.index!;
  }

  private child(digest: Digest): Descriptor {
    const d = this.parsed.index!.manifests.find((m) => m.digest === digest);
    if (!d) throw notFound(`index ${this.parsed.digest} in ${this.source.name} does not list ${digest}`);
    return d;
  }

  async image(digest: Digest): Promise<Image> {
    const h = await openDescriptor(this.source, this.child(digest));
    if (isIndexHandle(h)) throw invalidArgument(`${digest} in index ${this.parsed.digest} is an index, not an image`);
    return h;
  }

  async imageIndex(digest: Digest): Promise<Index> {
    const h = await openDescriptor(this.source, this.child(digest));
    if (!isIndexHandle(h)) throw invalidArgument(`${digest} in index ${this.parsed.digest} is an image, not an index`);
    return h;
  }
}
