// An in-memory image store that is both a ContentSource and an ImageSink: the reference
// implementation the shared sink tests run against, and a handy fixture for other areas.
import { pipeline, Readable } from 'node:stream';
import { type Digest, digestOf } from '../digest/digest.js';
import { VerifyingStream } from '../digest/verify.js';
import { notFound } from '../internal/errors.js';
import { readAllLimited } from './blob.js';
import type { ContentSource, Image, Index, ReadOptions } from './handles.js';
import type { BlobInfo, ImageSink, WriteManifestOptions } from './sink.js';
import { openManifest } from './source-handles.js';
import type { Descriptor } from './types.js';

export class MemoryImageStore implements ContentSource, ImageSink {
  readonly name: string;
  readonly blobs = new Map<Digest, Buffer>();
  readonly manifests = new Map<Digest, { bytes: Buffer; mediaType: string; descriptor?: Partial<Descriptor> }>();
  readonly tags = new Map<string, Digest>();

  constructor(name = 'memory') {
    this.name = name;
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    const b = this.blobs.get(desc.digest) ?? this.manifests.get(desc.digest)?.bytes;
    if (!b) throw notFound(`blob ${desc.digest} not found in ${this.name}`);
    return Readable.from([b]);
  }

  async hasBlob(desc: Descriptor): Promise<boolean> {
    return this.blobs.has(desc.digest);
  }

  async writeBlob(info: BlobInfo, stream: Readable, _options: ReadOptions = {}): Promise<Descriptor> {
    const verifier = new VerifyingStream({ size: info.size, digest: info.digest, what: `blob for ${this.name}` });
    const bytes = await readAllLimited(pipeline(stream, verifier, () => {}), Number.MAX_SAFE_INTEGER, 'blob');
    const digest = verifier.digest!;
    this.blobs.set(digest, bytes);
    return { mediaType: info.mediaType, digest, size: bytes.byteLength };
  }

  async writeManifest(bytes: Uint8Array, mediaType: string, tag?: string, options: WriteManifestOptions = {}): Promise<Descriptor> {
    const digest = digestOf(bytes);
    this.manifests.set(digest, { bytes: Buffer.from(bytes), mediaType, descriptor: options.descriptor });
    if (tag !== undefined) this.tags.set(tag, digest);
    return { mediaType, digest, size: bytes.byteLength };
  }

  /** The image or index under a tag or digest. */
  async open(ref: string): Promise<Image | Index> {
    const digest = (this.tags.get(ref) ?? ref) as Digest;
    const m = this.manifests.get(digest);
    if (!m) throw notFound(`${ref} not found in ${this.name}`);
    return openManifest(this, m.bytes, m.mediaType, { descriptor: m.descriptor });
  }
}
