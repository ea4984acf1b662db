// The registry's storage on top of a StorageDriver: global content-addressed blobs,
// per-repository links, manifests, tags and referrers. No HTTP here.
import type { Readable } from 'node:stream';
import { type Digest, digestOf, isDigest } from '../../digest/digest.js';
import { isBerthError } from '../../internal/errors.js';
import type { StorageDriver } from '../driver/driver.js';
import { BoundedMap, TtlCache } from './cache.js';
import { regError } from './errors.js';
import { paths, REPOSITORY_MARKERS } from './paths.js';

export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
}

export interface ReferrerDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface StorageOptions {
  /** How long tag and link lookups are trusted without re-reading (ms); 0 disables. */
  linkCacheMs?: number;
}

const notFound = (e: unknown) => isBerthError(e, 'not-found');

/** Manifests up to this size are cached (by digest, so forever valid): 4096 x 64 KiB at most. */
const CACHED_MANIFEST_MAX = 64 * 1024;

export class RegistryStorage {
  readonly driver: StorageDriver;
  private readonly manifests = new BoundedMap<Digest, StoredManifest>(4096);
  private readonly blobSizes: TtlCache<number>;
  private readonly links: TtlCache<boolean>;
  private readonly tags: TtlCache<Digest>;
  /** Media type of a repository's revision, keyed "name@digest". */
  private readonly revisions: TtlCache<string>;
  /** Small blobs (configs) by digest: content-addressed, so valid while the blob exists. */
  private readonly smallBlobs = new BoundedMap<Digest, Buffer>(2048);

  constructor(driver: StorageDriver, options: StorageOptions = {}) {
    this.driver = driver;
    const ttl = options.linkCacheMs ?? 1000;
    this.links = new TtlCache(ttl, 100_000);
    this.tags = new TtlCache(ttl, 100_000);
    this.blobSizes = new TtlCache(ttl, 100_000);
    this.revisions = new TtlCache(ttl, 100_000);
  }

  // ---- blobs (global) ----

  /** The blob's size, or undefined when the store does not hold it. */
  async blobSize(d: Digest): Promise<number | undefined> {
    const cached = this.blobSizes.get(d);
    if (cached !== undefined) return cached;
    try {
      const st = await this.driver.stat(paths.blobData(d));
      this.blobSizes.set(d, st.size);
      return st.size;
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
  }

  async blobReader(d: Digest, start?: number, end?: number): Promise<Readable> {
    try {
      return await this.driver.reader(paths.blobData(d), start ?? 0, { end });
    } catch (e) {
      if (notFound(e)) {
        this.blobSizes.delete(d);
        throw regError('BLOB_UNKNOWN', `blob ${d} is not in the store`, { detail: { digest: d } });
      }
      throw e;
    }
  }

  /** Writes the blob's bytes [start, end] to `sink` through the driver's fast path, if any. */
  async copyBlob(d: Digest, sink: import('node:stream').Writable, start: number, end: number): Promise<boolean> {
    if (!this.driver.copyTo) return false;
    try {
      await this.driver.copyTo(paths.blobData(d), sink, start, end);
      return true;
    } catch (e) {
      if (notFound(e)) {
        this.blobSizes.delete(d);
        throw regError('BLOB_UNKNOWN', `blob ${d} is not in the store`, { detail: { digest: d } });
      }
      throw e;
    }
  }

  /** The whole content of a small blob (size known to exist), from memory when seen before. */
  async smallBlob(d: Digest): Promise<Buffer> {
    const cached = this.smallBlobs.get(d);
    if (cached) return cached;
    let bytes: Buffer;
    try {
      bytes = await this.driver.getContent(paths.blobData(d));
    } catch (e) {
      if (notFound(e)) {
        this.blobSizes.delete(d);
        throw regError('BLOB_UNKNOWN', `blob ${d} is not in the store`, { detail: { digest: d } });
      }
      throw e;
    }
    this.smallBlobs.set(d, bytes);
    return bytes;
  }

  forgetBlob(d: Digest): void {
    this.smallBlobs.delete(d);
    this.blobSizes.delete(d);
  }

  // ---- repository links ----

  /** Whether the repository may see the blob: a layer link, or a manifest revision. */
  async hasBlobLink(name: string, d: Digest): Promise<boolean> {
    const key = `${name}@${d}`;
    if (this.links.get(key)) return true;
    const ok = (await this.exists(paths.layerLink(name, d))) || (await this.exists(paths.revisionLink(name, d)));
    if (ok) this.links.set(key, true);
    return ok;
  }

  async linkBlob(name: string, d: Digest): Promise<void> {
    await this.driver.putContent(paths.layerLink(name, d), d);
    this.links.set(`${name}@${d}`, true);
  }

  /** Removes the repository's link; false when it had none. */
  async unlinkBlob(name: string, d: Digest): Promise<boolean> {
    this.links.delete(`${name}@${d}`);
    try {
      await this.driver.delete(paths.layerLink(name, d).replace(/\/link$/, ''));
      return true;
    } catch (e) {
      if (notFound(e)) return false;
      throw e;
    }
  }

  async repositoryExists(name: string): Promise<boolean> {
    return this.exists(paths.repository(name));
  }

  // ---- manifests ----

  /** The digest a tag points at, or undefined. */
  async resolveTag(name: string, tag: string): Promise<Digest | undefined> {
    const key = `${name}:${tag}`;
    const cached = this.tags.get(key);
    if (cached) return cached;
    try {
      const text = (await this.driver.getContent(paths.tagLink(name, tag))).toString('utf8').trim();
      if (!isDigest(text)) return undefined;
      this.tags.set(key, text);
      return text;
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
  }

  /** The manifest of a repository by digest, or undefined when the repository has no such revision. */
  async getManifest(name: string, d: Digest): Promise<StoredManifest | undefined> {
    const key = `${name}@${d}`;
    let mediaType = this.revisions.get(key);
    if (mediaType === undefined) {
      try {
        const link = (await this.driver.getContent(paths.revisionLink(name, d))).toString('utf8');
        mediaType = link.split('\n')[1] ?? '';
      } catch (e) {
        if (notFound(e)) return undefined;
        throw e;
      }
      this.revisions.set(key, mediaType);
    }
    const cached = this.manifests.get(d);
    if (cached) return cached.mediaType === mediaType ? cached : { ...cached, mediaType };
    let bytes: Buffer;
    try {
      bytes = await this.driver.getContent(paths.blobData(d));
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
    const m = { digest: d, mediaType, bytes };
    if (bytes.length <= CACHED_MANIFEST_MAX) this.manifests.set(d, m);
    return m;
  }

  async hasManifest(name: string, d: Digest): Promise<boolean> {
    return this.exists(paths.revisionLink(name, d));
  }

  /** Stores the manifest bytes as a blob and links the revision (and the tag, if any). */
  async putManifest(name: string, bytes: Buffer, mediaType: string, tag?: string, digest?: Digest): Promise<Digest> {
    const d = digest ?? digestOf(bytes);
    if ((await this.blobSize(d)) !== bytes.length) {
      // Written aside and moved: a reader never sees a partial manifest under its digest.
      const tmp = `${paths.uploadsRoot()}/manifest-${d.slice(7, 23)}-${process.pid}-${Math.random().toString(36).slice(2)}`;
      await this.driver.putContent(`${tmp}/data`, bytes);
      await this.driver.move(`${tmp}/data`, paths.blobData(d));
      await this.driver.delete(tmp).catch(() => {});
    }
    await this.driver.putContent(paths.revisionLink(name, d), `${d}\n${mediaType}`);
    this.revisions.set(`${name}@${d}`, mediaType);
    if (bytes.length <= CACHED_MANIFEST_MAX) this.manifests.set(d, { digest: d, mediaType, bytes });
    if (tag !== undefined) await this.tag(name, tag, d);
    return d;
  }

  async tag(name: string, tag: string, d: Digest): Promise<void> {
    await this.driver.putContent(paths.tagLink(name, tag), d);
    this.tags.set(`${name}:${tag}`, d);
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    this.tags.delete(`${name}:${tag}`);
    try {
      await this.driver.delete(paths.tagDir(name, tag));
      return true;
    } catch (e) {
      if (notFound(e)) return false;
      throw e;
    }
  }

  /** Removes a revision, every tag pointing at it, and its entry among its subject's referrers. */
  async deleteManifest(name: string, d: Digest, subject?: Digest): Promise<boolean> {
    try {
      await this.driver.delete(paths.revisionLink(name, d).replace(/\/link$/, ''));
    } catch (e) {
      if (notFound(e)) return false;
      throw e;
    }
    this.links.delete(`${name}@${d}`);
    this.revisions.delete(`${name}@${d}`);
    for (const tag of await this.listTags(name)) {
      if ((await this.resolveTag(name, tag)) === d) await this.deleteTag(name, tag);
    }
    if (subject) await this.driver.delete(paths.referrerEntry(name, subject, d)).catch(() => {});
    return true;
  }

  async listTags(name: string): Promise<string[]> {
    try {
      const entries = await this.driver.list(paths.tagsDir(name));
      return entries.map((p) => p.slice(p.lastIndexOf('/') + 1)).sort();
    } catch (e) {
      if (notFound(e)) return [];
      throw e;
    }
  }

  // ---- referrers ----

  async addReferrer(name: string, subject: Digest, descriptor: ReferrerDescriptor): Promise<void> {
    await this.driver.putContent(paths.referrerEntry(name, subject, descriptor.digest), JSON.stringify(descriptor));
  }

  async listReferrers(name: string, subject: Digest): Promise<ReferrerDescriptor[]> {
    let entries: string[];
    try {
      entries = await this.driver.list(paths.referrersDir(name, subject));
    } catch (e) {
      if (notFound(e)) return [];
      throw e;
    }
    const out: ReferrerDescriptor[] = [];
    for (const p of entries) {
      try {
        const desc = JSON.parse((await this.driver.getContent(p)).toString('utf8')) as ReferrerDescriptor;
        // A referrer whose revision was deleted by other means is not listed.
        if (await this.hasManifest(name, desc.digest)) out.push(desc);
      } catch (e) {
        if (!notFound(e)) throw e;
      }
    }
    return out;
  }

  // ---- catalog ----

  /** Every repository name, sorted: directories holding a repository marker. */
  async listRepositories(): Promise<string[]> {
    const out: string[] = [];
    const root = paths.repositoriesRoot();
    const walk = async (dir: string): Promise<void> => {
      let children: string[];
      try {
        children = await this.driver.list(dir);
      } catch (e) {
        if (notFound(e)) return;
        throw e;
      }
      let isRepo = false;
      for (const c of children) {
        const base = c.slice(c.lastIndexOf('/') + 1);
        if (REPOSITORY_MARKERS.includes(base)) isRepo = true;
        else if (!base.startsWith('_')) await walk(c);
      }
      if (isRepo) out.push(dir.slice(root.length + 1));
    };
    await walk(root);
    return out.sort();
  }

  private async exists(p: string): Promise<boolean> {
    try {
      await this.driver.stat(p);
      return true;
    } catch (e) {
      if (notFound(e)) return false;
      throw e;
    }
  }
}
