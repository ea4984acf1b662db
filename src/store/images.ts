// Image records: names and digests -> the stored manifest, config and layer chain, kept in
// one images.json rewritten atomically under the metadata lock; readers need no lock.
import { readFileSync } from 'node:fs';
import type { Digest } from '../digest/digest.js';
import { isDigest } from '../digest/digest.js';
import { writeJsonAtomic } from '../internal/atomic.js';
import { BerthError, invalidArgument, notFound } from '../internal/errors.js';
import type { Descriptor, Platform } from '../image/types.js';
import type { StoreLayout } from './layout.js';
import { familiarText } from '../reference/normalize.js';

/** One layer of an image as stored: the manifest's descriptor plus its place in the chain. */
export interface ImageLayer {
  /** The compressed blob as the manifest names it. */
  digest: Digest;
  size: number;
  mediaType: string;
  diffID: Digest;
  chainID: Digest;
}

export interface ImageRecord {
  /** The image ID: the config's digest, as docker shows it. */
  id: Digest;
  /** Canonical names with tags, "docker.io/library/busybox:latest". A name belongs to one image. */
  names: string[];
  /** Canonical "repository@digest" names the image was pulled or pushed by. */
  digests: string[];
  /** The platform manifest this image was made from. */
  manifest: Descriptor;
  /** The index (manifest list) it was chosen from, when there was one. */
  index?: Descriptor;
  /** The platform chosen from the index (or the config's). */
  platform?: Platform;
  config: Descriptor;
  /** Bottom first. */
  layers: ImageLayer[];
  /** Chain ID of the top layer; absent for an image without layers. */
  topLayer?: Digest;
  /** Unpacked bytes of all layers. */
  size: number;
  /** The config's `created`. */
  created?: string;
  /** When this store first recorded the image. */
  addedAt: string;
}

interface ImagesFile {
  version: 1;
  images: ImageRecord[];
}

/** Every digest an image keeps alive in the content store. */
export function imageBlobs(rec: ImageRecord): Digest[] {
  return [rec.manifest.digest, rec.config.digest, ...(rec.index ? [rec.index.digest] : []), ...rec.layers.map((l) => l.digest)];
}

export interface ResolveOptions {
  /**
   * Turns a user's name into the canonical form records hold ("busybox" ->
   * "docker.io/library/busybox:latest"); returns undefined when the query is not a name.
   */
  normalize?: (query: string) => string | undefined;
}

/** Read-only view over images.json plus the pure edits the Store applies under its lock. */
export class ImageRecords {
  constructor(private readonly layout: StoreLayout) {}

  async load(): Promise<ImageRecord[]> {
    try {
      const file = JSON.parse(readFileSync(this.layout.imagesFile, 'utf8')) as ImagesFile;
      return file.images ?? [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw BerthError.wrap(err, `cannot read ${this.layout.imagesFile}`);
    }
  }

  /** Writes the whole set; the caller holds the metadata lock. */
  async save(images: ImageRecord[]): Promise<void> {
    await writeJsonAtomic(this.layout.imagesFile, { version: 1, images } satisfies ImagesFile);
  }

  async resolve(query: string, options: ResolveOptions = {}): Promise<ImageRecord> {
    return resolveIn(await this.load(), query, options);
  }
}

/**
 * Finds one image the way docker does: an exact name (after normalisation), a
 * "name@digest", a full ID ("sha256:<hex>" or bare hex, also matching a manifest digest),
 * then a unique short-ID prefix. A prefix matching several images is an error naming them.
 */
/** When the image was made, as its config says (when it was stored, if it says nothing), in ms. */
export function imageCreatedMs(rec: ImageRecord): number {
  return Date.parse(rec.created ?? rec.addedAt) || 0;
}

export function resolveIn(images: ImageRecord[], query: string, options: ResolveOptions = {}): ImageRecord {
  const q = query.trim();
  if (q === '') throw invalidArgument('cannot resolve an image: the reference is empty');
  const byExact = images.find((i) => i.names.includes(q) || i.digests.includes(q));
  if (byExact) return byExact;
  const at = q.lastIndexOf('@');
  if (at > 0 && isDigest(q.slice(at + 1))) {
    const digest = q.slice(at + 1) as Digest;
    const repo = normalizedRepo(q.slice(0, at), options);
    const hit = images.find(
      (i) =>
        i.digests.includes(`${repo}@${digest}`) ||
        ((i.manifest.digest === digest || i.index?.digest === digest) && i.names.some((n) => repoOf(n) === repo)),
    );
    if (hit) return hit;
    throw notFound(`No such image: ${query}`);
  }
  const full = isDigest(q) ? q : /^[a-f0-9]{64}$/.test(q) ? `sha256:${q}` : undefined;
  if (full) {
    const hit = images.find((i) => i.id === full) ?? images.find((i) => i.manifest.digest === full || i.index?.digest === full);
    if (hit) return hit;
  }
  const name = options.normalize?.(q);
  if (name) {
    const hit = images.find((i) => i.names.includes(name) || i.digests.includes(name));
    if (hit) return hit;
  }
  const prefix = q.startsWith('sha256:') ? q.slice(7) : q;
  if (/^[a-f0-9]{1,63}$/.test(prefix)) {
    const hits = images.filter((i) => i.id.slice(7).startsWith(prefix));
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) {
      throw invalidArgument(
        `cannot resolve image "${query}": the short ID matches ${hits.length} images (${hits.map((h) => h.id.slice(7, 19)).join(', ')}); give more of the ID`,
      );
    }
  }
  // dockerd names what it looked for: the familiar name, ":latest" when no tag was given.
  throw notFound(`No such image: ${name ? familiarText(name) : query}`);
}

function normalizedRepo(name: string, options: ResolveOptions): string {
  const n = options.normalize?.(name);
  return n ? repoOf(n) : name;
}

/** "host/ns/repo:tag" -> "host/ns/repo" (a colon after the last slash is the tag). */
export function repoOf(name: string): string {
  const at = name.indexOf('@');
  const base = at === -1 ? name : name.slice(0, at);
  const colon = base.lastIndexOf(':');
  return colon > base.lastIndexOf('/') ? base.slice(0, colon) : base;
}

/** Moves `name` to `target`, taking it away from whichever image had it (docker's retag). */
export function assignName(images: ImageRecord[], target: ImageRecord, name: string): void {
  for (const i of images) if (i !== target) i.names = i.names.filter((n) => n !== name);
  if (!target.names.includes(name)) target.names.push(name);
}
