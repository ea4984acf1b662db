// A Repository handle: one repository on one registry endpoint, with the context words used
// in its error messages. The transfers live in manifests.ts, blob-pull.ts, blob-push.ts, listing.ts.
import type { Readable } from 'node:stream';
import type { Digest } from '../../digest/digest.js';
import { validateRepositoryName } from '../../reference/index.js';
import { type BlobSource, blobExists, headBlob, type PushBlobOptions, type PushBlobResult, pushBlob } from './blob-push.js';
import { downloadBlob, type GetBlobOptions, getBlob } from './blob-pull.js';
import { repositoryScope } from './challenge.js';
import type { RegistryClient } from './client.js';
import { type ListOptions, listTags, type ReferrerDescriptor, type ReferrersOptions, referrers } from './listing.js';
import { deleteManifest, type FetchedManifest, type GetManifestOptions, getManifest, headManifest, type ManifestHead, putManifest } from './manifests.js';

export interface RepositoryOptions {
  /**
   * The name users typed, for messages ("docker.io/library/x"); defaults to host/name. A
   * mirror keeps the original name so errors say what was asked for.
   */
  displayName?: string;
}

/** What every long call takes: a cancellation signal. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** A blob's identity as a descriptor names it; the fields of an OCI descriptor that matter here. */
export interface BlobDescriptor {
  digest: string;
  size: number;
  mediaType?: string;
  urls?: string[];
}

export class Repository {
  readonly client: RegistryClient;
  /** Repository path on the registry, e.g. "library/busybox". */
  readonly name: string;
  readonly displayName: string;

  /** Throws 'invalid-argument' for a name the distribution-spec does not allow. */
  constructor(client: RegistryClient, name: string, options: RepositoryOptions = {}) {
    this.client = client;
    this.name = validateRepositoryName(name);
    this.displayName = options.displayName ?? `${client.host}/${name}`;
  }

  /** "/v2/<name>/<rest>" */
  path(rest: string): string {
    return `/v2/${this.name}/${rest}`;
  }

  pullScope(): string[] {
    return [repositoryScope(this.name, ['pull'])];
  }

  pushScope(): string[] {
    return [repositoryScope(this.name, ['pull', 'push'])];
  }

  /** "docker.io/library/x:1" or "...@sha256:..." for messages. */
  display(reference?: string): string {
    if (!reference) return this.displayName;
    return reference.includes(':') ? `${this.displayName}@${reference}` : `${this.displayName}:${reference}`;
  }

  getManifest(reference: string, options?: GetManifestOptions): Promise<FetchedManifest> {
    return getManifest(this, reference, options);
  }

  headManifest(reference: string, options?: GetManifestOptions): Promise<ManifestHead | undefined> {
    return headManifest(this, reference, options);
  }

  putManifest(bytes: Uint8Array, mediaType: string, reference: string, options?: CallOptions): Promise<Digest> {
    return putManifest(this, bytes, mediaType, reference, options);
  }

  deleteManifest(reference: string, options?: CallOptions): Promise<void> {
    return deleteManifest(this, reference, options);
  }

  getBlob(desc: BlobDescriptor, options?: GetBlobOptions): Promise<Readable> {
    return getBlob(this, desc, options);
  }

  downloadBlob(desc: BlobDescriptor, file: string, options?: GetBlobOptions): Promise<void> {
    return downloadBlob(this, desc, file, options);
  }

  headBlob(digest: string, options?: CallOptions): Promise<{ size: number | undefined } | undefined> {
    return headBlob(this, digest, options);
  }

  blobExists(digest: string, options?: CallOptions): Promise<boolean> {
    return blobExists(this, digest, options);
  }

  pushBlob(desc: BlobDescriptor, open: BlobSource, options?: PushBlobOptions): Promise<PushBlobResult> {
    return pushBlob(this, desc, open, options);
  }

  listTags(options?: ListOptions): Promise<string[]> {
    return listTags(this, options);
  }

  referrers(digest: string, options?: ReferrersOptions): Promise<ReferrerDescriptor[]> {
    return referrers(this, digest, options);
  }
}
