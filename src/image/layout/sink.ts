// Writing an OCI image layout: blobs land in a temp file and are renamed into blobs/ only
// after their digest checked out; index.json is replaced atomically; tags are ref names.
import type { WriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Digest, digestOf, isDigest } from '../../digest/digest.js';
import { VerifyingStream } from '../../digest/verify.js';
import { syncDir, tempPathFor, writeFileAtomic, writeJsonAtomic } from '../../internal/atomic.js';
import { flock } from '../../internal/sys.js';
import { aborted, BerthError } from '../../internal/errors.js';
import type { ReadOptions } from '../handles.js';
import { readBlobBytes } from '../blob.js';
import { INDEX_MEDIA_TYPES, isIndexMediaType, isManifestMediaType, MANIFEST_MEDIA_TYPES, OCI_INDEX, OCI_MANIFEST } from '../mediatype.js';
import { parseManifest } from '../validate.js';
import type { BlobInfo, ImageSink, LayerCompressionChoice, WriteManifestOptions } from '../sink.js';
import { ANNOTATION_REF_NAME, type Descriptor, type ImageIndex } from '../types.js';
import { OciLayout } from './layout.js';
import { blobDir, blobPath, checkRefName, IMAGE_LAYOUT_VERSION, INDEX_FILE, OCI_LAYOUT_FILE } from './paths.js';

export interface OciLayoutSinkOptions {
  /** fsync blobs and index.json before they become visible; default true. Tests turn it off. */
  durable?: boolean;
  /** Layer compression wanted; default 'gzip' like skopeo's oci: destination (plain layers get compressed). */
  layerCompression?: LayerCompressionChoice;
  /**
   * Store Docker schema 2 manifests as they are. Default false: like skopeo's oci: destination,
   * copies convert them to OCI, which umoci and other OCI-only tools require.
   */
  keepDockerManifests?: boolean;
}

/**
 * Writes images into an OCI layout directory, creating it on first write. Appending to an
 * existing layout keeps its other entries; writing a ref name that is already there moves it.
 * index.json edits hold flock(2) on the layout directory, so concurrent writers do not lose tags.
 */
export class OciLayoutSink implements ImageSink {
  readonly dir: string;
  readonly name: string;
  readonly manifestMediaTypes: readonly string[];
  readonly acceptsIndex = true;
  readonly layerCompression: LayerCompressionChoice;
  private readonly durable: boolean;
  private initialised: Promise<void> | undefined;
  private indexQueue: Promise<unknown> = Promise.resolve();

  constructor(dir: string, options: OciLayoutSinkOptions = {}) {
    this.dir = path.resolve(dir);
    this.name = `oci:${this.dir}`;
    this.durable = options.durable ?? true;
    this.layerCompression = options.layerCompression ?? 'gzip';
    this.manifestMediaTypes = options.keepDockerManifests ? [...MANIFEST_MEDIA_TYPES, ...INDEX_MEDIA_TYPES] : [OCI_MANIFEST, OCI_INDEX];
  }

  /** The same directory as a source. */
  reader(): OciLayout {
    return new OciLayout(this.dir);
  }

  /** Creates the layout (oci-layout, empty index.json, blobs/) unless it is there already. */
  init(): Promise<void> {
    this.initialised ??= this.create().catch((err) => {
      this.initialised = undefined;
      throw err;
    });
    return this.initialised;
  }

  private async create(): Promise<void> {
    const opts = { durable: this.durable };
    await fs.mkdir(path.join(this.dir, 'blobs'), { recursive: true });
    const marker = path.join(this.dir, OCI_LAYOUT_FILE);
    if (!(await exists(marker))) await writeJsonAtomic(marker, { imageLayoutVersion: IMAGE_LAYOUT_VERSION }, opts);
    else await new OciLayout(this.dir).checkLayout();
    const index = path.join(this.dir, INDEX_FILE);
    if (!(await exists(index))) await writeJsonAtomic(index, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }, opts);
  }

  async hasBlob(desc: Descriptor): Promise<boolean> {
    try {
      const st = await fs.stat(blobPath(this.dir, desc.digest));
      return st.isFile() && st.size === desc.size;
    } catch {
      return false;
    }
  }

  async writeBlob(info: BlobInfo, stream: Readable, options: ReadOptions = {}): Promise<Descriptor> {
    await this.init();
    if (info.digest) await fs.mkdir(blobDir(this.dir, info.digest), { recursive: true });
    // The temp file lives in blobs/ itself so the final rename never crosses a filesystem.
    const tmp = tempPathFor(path.join(this.dir, 'blobs', 'ingest'));
    const verifier = new VerifyingStream({ size: info.size, digest: info.digest, what: `blob for ${this.name}` });
    // Opened here, not by the stream, so the file exists (and is closed) before any cleanup runs.
    let out: WriteStream | undefined;
    try {
      out = (await fs.open(tmp, 'wx', 0o644)).createWriteStream();
      await pipeline(stream, verifier, out, { signal: options.signal });
      await closed(out);
      const digest = verifier.digest as Digest;
      if (this.durable) await fsyncFile(tmp);
      await fs.mkdir(blobDir(this.dir, digest), { recursive: true });
      await fs.rename(tmp, blobPath(this.dir, digest));
      if (this.durable) await syncDir(blobDir(this.dir, digest));
      const desc: Descriptor = { mediaType: info.mediaType, digest, size: verifier.size };
      if (info.annotations) desc.annotations = info.annotations;
      return desc;
    } catch (err) {
      stream.destroy();
      if (out) await closed(out);
      await fs.rm(tmp, { force: true }).catch(() => {});
      if (options.signal?.aborted) throw aborted(`cannot write blob to ${this.name}: aborted`);
      throw BerthError.wrap(err, `cannot write blob ${info.digest ?? `(${info.mediaType})`} to ${this.name}`);
    }
  }

  async writeManifest(bytes: Uint8Array, mediaType: string, tag?: string, options: WriteManifestOptions = {}): Promise<Descriptor> {
    if (tag !== undefined) checkRefName(tag);
    await this.init();
    const digest = digestOf(bytes);
    const file = blobPath(this.dir, digest);
    await fs.mkdir(path.dirname(file), { recursive: true });
    if (!(await exists(file))) await writeFileAtomic(file, bytes, { durable: this.durable });
    const desc: Descriptor = { mediaType, digest, size: bytes.byteLength };
    if (options.child && tag === undefined) return desc;
    const entry: Descriptor = { ...desc };
    if (options.descriptor?.platform) entry.platform = options.descriptor.platform;
    const annotations = { ...(options.descriptor?.annotations ?? {}) };
    delete annotations[ANNOTATION_REF_NAME];
    if (tag !== undefined) annotations[ANNOTATION_REF_NAME] = tag;
    if (Object.keys(annotations).length) entry.annotations = annotations;
    await this.updateIndex((index) => {
      const others = index.manifests.filter((m) =>
        tag === undefined ? !(m.digest === digest && !m.annotations?.[ANNOTATION_REF_NAME]) : m.annotations?.[ANNOTATION_REF_NAME] !== tag,
      );
      return { ...index, manifests: [...others, entry] };
    });
    return desc;
  }

  /** Removes the entry named `tag` from index.json (its blobs stay until a GC). */
  async untag(tag: string): Promise<void> {
    checkRefName(tag);
    await this.init();
    await this.updateIndex((index) => ({ ...index, manifests: index.manifests.filter((m) => m.annotations?.[ANNOTATION_REF_NAME] !== tag) }));
  }

  /**
   * Removes blobs nothing in index.json reaches (after tags moved or were removed). Temp files
   * of writes in progress are left alone. Holds the index lock; a blob another process wrote
   * but whose manifest it has not yet added to index.json can be removed, so do not gc a
   * layout others are writing to.
   */
  gc(): Promise<{ removed: Digest[]; bytes: number }> {
    const run = async () => {
      await this.init();
      const reader = new OciLayout(this.dir);
      const reachable = new Set<string>();
      const visit = async (desc: Descriptor): Promise<void> => {
        if (reachable.has(desc.digest)) return;
        reachable.add(desc.digest);
        if (!isManifestMediaType(desc.mediaType) && !isIndexMediaType(desc.mediaType)) return;
        if (!(await reader.hasBlob(desc))) return;
        const parsed = parseManifest(await readBlobBytes(reader, desc, { manifest: true }), desc.mediaType);
        for (const child of parsed.references) await visit(child);
        if (parsed.subject && (await reader.hasBlob(parsed.subject))) await visit(parsed.subject);
      };
      for (const entry of (await reader.indexManifest()).manifests) await visit(entry);
      const removed: Digest[] = [];
      let bytes = 0;
      const blobs = path.join(this.dir, 'blobs');
      for (const alg of await fs.readdir(blobs)) {
        const algDir = path.join(blobs, alg);
        if (!(await fs.stat(algDir)).isDirectory()) continue;
        for (const hex of await fs.readdir(algDir)) {
          const digest = `${alg}:${hex}`;
          if (hex.startsWith('.') || reachable.has(digest) || !isDigest(digest)) continue;
          const file = path.join(algDir, hex);
          bytes += (await fs.stat(file)).size;
          await fs.rm(file, { force: true });
          removed.push(digest as Digest);
        }
      }
      return { removed, bytes };
    };
    return this.exclusive(run);
  }

  private updateIndex(change: (index: ImageIndex) => ImageIndex): Promise<void> {
    return this.exclusive(async () => {
      const current = await new OciLayout(this.dir).indexManifest();
      await writeJsonAtomic(path.join(this.dir, INDEX_FILE), change(current), { durable: this.durable });
    });
  }

  /**
   * Runs `fn` after this sink's earlier index work, holding flock(2) on the layout directory,
   * so sinks in other processes (or other sinks here) never lose each other's index.json edits.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = async () => {
      const dir = await fs.open(this.dir, 'r');
      try {
        await lockDir(dir.fd);
        return await fn();
      } finally {
        await dir.close(); // closing the descriptor releases the lock
      }
    };
    const next = this.indexQueue.then(run, run);
    this.indexQueue = next.catch(() => {});
    return next;
  }
}

/**
 * Takes an exclusive flock, polling without blocking: a blocking flock waits on a libuv pool
 * thread, and enough waiters would starve the pool the lock holder needs for its own file I/O.
 */
async function lockDir(fd: number): Promise<void> {
  for (let delay = 1; !flock(fd, 'ex', true); delay = Math.min(delay * 2, 50)) {
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** Waits until a file stream has closed its descriptor. */
function closed(stream: WriteStream): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await fs.open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
