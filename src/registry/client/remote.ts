// A repository as an image source and an image sink for src/image's copyImage: pull is
// copyImage(remoteImage(...), storeSink), push is copyImage(storeImage, new RegistrySink(...)).
import type { Readable } from 'node:stream';
import { digestOf } from '../../digest/digest.js';
import { BerthError } from '../../internal/errors.js';
import type { BlobInfo, ContentSource, Descriptor, Image, ImageSink, Index, LayerCompressionChoice, ReadOptions, WriteManifestOptions } from '../../image/index.js';
import { openManifest } from '../../image/index.js';
import { pushBlob, pushBlobStream } from './blob-push.js';
import { getBlob } from './blob-pull.js';
import { getManifest, MANIFEST_ACCEPT, putManifest } from './manifests.js';
import type { CallOptions, Repository } from './repository.js';

/** Blobs and manifests of one repository, for Image/Index handles. Every read is verified. */
export class RegistrySource implements ContentSource {
  readonly name: string;

  constructor(readonly repository: Repository) {
    this.name = `docker://${repository.displayName}`;
  }

  openBlob(desc: Descriptor, options: ReadOptions = {}): Promise<Readable> {
    return getBlob(this.repository, desc, options);
  }

  async readManifest(desc: Descriptor, options: ReadOptions = {}): Promise<Uint8Array> {
    return (await getManifest(this.repository, desc.digest, options)).bytes;
  }
}

/** The image or index `reference` (tag or digest) names in `repository`, as a lazy handle. */
export async function remoteImage(repository: Repository, reference: string, options: CallOptions = {}): Promise<Image | Index> {
  const m = await getManifest(repository, reference, options);
  return openManifest(new RegistrySource(repository), m.bytes, m.mediaType);
}

export interface RegistrySinkOptions {
  /** A repository on the same registry that holds the blobs already: mount instead of upload. */
  mountFrom?: string;
}

/** Pushes into a repository: blobs first (skipped when present), manifests last. */
export class RegistrySink implements ImageSink {
  readonly name: string;
  readonly manifestMediaTypes: readonly string[] = MANIFEST_ACCEPT;
  readonly acceptsIndex = true;
  readonly layerCompression: LayerCompressionChoice = 'keep';

  constructor(
    readonly repository: Repository,
    private readonly options: RegistrySinkOptions = {},
  ) {
    this.name = `docker://${repository.displayName}`;
  }

  hasBlob(desc: Descriptor, options: ReadOptions = {}): Promise<boolean> {
    return this.repository.blobExists(desc.digest, options);
  }

  async writeBlob(info: BlobInfo, stream: Readable, options: ReadOptions = {}): Promise<Descriptor> {
    const extra = { ...(info.annotations ? { annotations: info.annotations } : {}), ...(info.urls ? { urls: info.urls } : {}) };
    if (info.digest === undefined || info.size === undefined) {
      const { digest, size } = await pushBlobStream(this.repository, stream, options);
      return { mediaType: info.mediaType, digest, size, ...extra };
    }
    const desc = { mediaType: info.mediaType, digest: info.digest, size: info.size };
    let used = false;
    await pushBlob(
      this.repository,
      desc,
      () => {
        // The stream can be read once: a second attempt would send nothing.
        if (used) throw new BerthError('failed-precondition', `cannot send blob ${desc.digest} again: its stream was already read`);
        used = true;
        return stream;
      },
      { ...options, attempts: 1, mountFrom: this.options.mountFrom },
    );
    if (!used) stream.destroy();
    return { ...desc, ...extra };
  }

  async writeManifest(bytes: Uint8Array, mediaType: string, tag?: string, options: WriteManifestOptions = {}): Promise<Descriptor> {
    const digest = await putManifest(this.repository, bytes, mediaType, tag ?? digestOf(bytes), options);
    const desc: Descriptor = { mediaType, digest, size: bytes.byteLength };
    if (options.descriptor?.platform) desc.platform = options.descriptor.platform;
    if (options.descriptor?.annotations) desc.annotations = options.descriptor.annotations;
    return desc;
  }
}
