// The content store: blobs addressed by digest under blobs/<alg>/<hex>, written through
// ref-keyed, resumable ingests that become visible only at a verified commit.
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { type Digest, isDigest, parseDigest } from '../../digest/digest.js';
import { aborted, alreadyExists, BerthError, failedPrecondition, notFound, resourceExhausted } from '../../internal/errors.js';
import { acquireLock, isLocked } from '../lock.js';
import type { StoreLayout } from '../layout.js';
import { ContentWriter, type Expected, type IngestMeta, type IngestStatus, openIngest, publishFile } from './writer.js';

export interface ContentInfo {
  digest: Digest;
  size: number;
  /** When the blob was committed (its mtime). */
  createdAt: Date;
}

export interface WriterOptions {
  expected?: Expected;
  /**
   * Another writer of the same ref (this process or another) holds it: wait for it (the
   * default), or fail at once with 'aborted' ("ref locked"), as containerd does.
   */
  wait?: boolean;
  signal?: AbortSignal;
}

export interface IngestOptions extends WriterOptions {
  /**
   * The source checks `expected` (size and digest) itself and errors before it ends if the
   * bytes differ, as the registry client's blobs do: the store then does not hash them again.
   * Needs expected.digest and expected.size.
   */
  sourceVerified?: boolean;
}

export interface ContentStoreOptions {
  /** Ingests untouched this long are removed at open; default one day. */
  ingestExpiryMs?: number;
}

const DAY_MS = 24 * 3600 * 1000;

export class ContentStore {
  constructor(
    private readonly layout: StoreLayout,
    private readonly options: ContentStoreOptions = {},
  ) {}

  /**
   * Creates the directories and cleans what a killed process left: ingests nobody holds
   * that are malformed or expired. Partial data of a live or recent ingest stays resumable.
   */
  async open(): Promise<void> {
    await fs.mkdir(path.join(this.layout.blobsDir, 'sha256'), { recursive: true });
    await fs.mkdir(this.layout.ingestDir, { recursive: true });
    await this.cleanIngests(this.options.ingestExpiryMs ?? DAY_MS);
  }

  /** Removes ingests that no writer holds and that are malformed or older than `maxAgeMs`. */
  async cleanIngests(maxAgeMs: number): Promise<number> {
    let removed = 0;
    for (const key of await readdirOrEmpty(this.layout.ingestDir)) {
      const dir = path.join(this.layout.ingestDir, key);
      const meta = await readMeta(dir);
      const lock = meta ? this.layout.ingestLock(meta.ref) : undefined;
      if (lock && (await isLocked(lock))) continue;
      const st = await fs.stat(path.join(dir, 'data')).catch(() => undefined);
      // Without data yet, the dir's own time: a writer may have made it a moment ago.
      const seen = st ?? (await fs.stat(dir).catch(() => undefined));
      const age = Date.now() - (seen?.mtimeMs ?? 0);
      if (meta && st && age < maxAgeMs) continue;
      // A dir without meta.json is one whose creator died before writing it, or one being made
      // right now; its key hashes a ref we cannot recover, so its lock cannot be checked. It is
      // recent only for a moment.
      if (!meta && seen && age < 60_000) continue;
      try {
        await fs.rm(dir, { recursive: true, force: true });
      } catch (err) {
        // A writer put files in while it went (ENOTEMPTY): it is alive, the dir is its.
        if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY') continue;
        throw err;
      }
      removed++;
    }
    return removed;
  }

  async info(digest: Digest): Promise<ContentInfo> {
    const d = parseDigest(digest);
    try {
      const st = await fs.stat(this.layout.blobPath(d));
      return { digest: d, size: st.size, createdAt: st.mtime };
    } catch (err) {
      throw BerthError.wrap(err, `cannot stat blob ${d}`);
    }
  }

  async exists(digest: Digest): Promise<boolean> {
    try {
      await fs.access(this.layout.blobPath(parseDigest(digest)));
      return true;
    } catch {
      return false;
    }
  }

  /** The blob's bytes as a stream, from `offset`. Fails with 'not-found' before any data flows. */
  async reader(digest: Digest, options: { offset?: number; signal?: AbortSignal } = {}): Promise<Readable> {
    const d = parseDigest(digest);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.layout.blobPath(d), 'r');
    } catch (err) {
      throw BerthError.wrap(err, `cannot read blob ${d}`);
    }
    // The open descriptor keeps the bytes readable even if a GC unlinks the blob meanwhile.
    return createReadStream('', { fd: handle, start: options.offset ?? 0, signal: options.signal });
  }

  /** A small blob (manifest, config) in memory; refuses anything over `maxSize` (default 4 MiB). */
  async readBlob(digest: Digest, options: { maxSize?: number } = {}): Promise<Buffer> {
    const max = options.maxSize ?? 4 * 1024 * 1024;
    const info = await this.info(digest);
    if (info.size > max) throw resourceExhausted(`cannot read blob ${digest}: ${info.size} bytes exceeds the limit of ${max}`);
    return fs.readFile(this.layout.blobPath(info.digest));
  }

  /** Removes a blob; 'not-found' if absent. Callers decide reachability (see Store.prune). */
  async delete(digest: Digest): Promise<void> {
    const d = parseDigest(digest);
    try {
      await fs.unlink(this.layout.blobPath(d));
    } catch (err) {
      throw BerthError.wrap(err, `cannot delete blob ${d}`);
    }
  }

  /** Every committed blob. */
  async *walk(): AsyncGenerator<ContentInfo> {
    for (const algorithm of await readdirOrEmpty(this.layout.blobsDir)) {
      const dir = path.join(this.layout.blobsDir, algorithm);
      for (const hex of await readdirOrEmpty(dir)) {
        const d = `${algorithm}:${hex}`;
        if (!isDigest(d)) continue; // temp files and strays are not content
        const st = await fs.stat(path.join(dir, hex)).catch(() => undefined);
        if (st) yield { digest: d, size: st.size, createdAt: st.mtime };
      }
    }
  }

  /**
   * Opens the writer for `ref`, resuming data left by an earlier writer with the same
   * expectations. Throws 'already-exists' when the expected digest is already committed
   * (the caller has nothing to write), and 'aborted' when `wait` is false and another writer
   * holds the ref.
   */
  async writer(ref: string, options: WriterOptions = {}): Promise<ContentWriter> {
    const expected: Expected = { ...options.expected };
    if (expected.digest) expected.digest = parseDigest(expected.digest);
    if (expected.digest && (await this.exists(expected.digest))) {
      throw alreadyExists(`content ${expected.digest} already exists`, { detail: { digest: expected.digest } });
    }
    const lock = await acquireLock(this.layout.ingestLock(ref), { wait: options.wait ?? true, signal: options.signal });
    if (!lock) throw aborted(`cannot write ${ref}: ref locked by another writer`, { detail: { ref } });
    try {
      // The writer we waited for may have committed the very content we want.
      if (expected.digest && (await this.exists(expected.digest))) {
        throw alreadyExists(`content ${expected.digest} already exists`, { detail: { digest: expected.digest } });
      }
      const dir = this.layout.ingestPath(ref);
      const opened = await openIngest(dir, ref, expected);
      const publish = (data: string, digest: Digest) => publishFile(data, this.layout.blobPath(digest));
      return new ContentWriter(ref, expected, dir, opened.handle, lock, publish, opened);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /**
   * Writes a whole stream as one blob: opens the writer, starts over if earlier data was
   * left (a stream from the start cannot resume; writer() with a ranged source can), and
   * commits. Content already present is success without reading `source`.
   */
  async ingest(ref: string, source: Readable, options: IngestOptions = {}): Promise<ContentInfo> {
    const trustedDigest = options.sourceVerified ? options.expected?.digest : undefined;
    if (options.sourceVerified && (trustedDigest === undefined || options.expected?.size === undefined)) {
      throw failedPrecondition(`cannot ingest ${ref}: a verified source needs the expected digest and size`);
    }
    let writer: ContentWriter;
    try {
      writer = await this.writer(ref, options);
    } catch (err) {
      if (err instanceof BerthError && err.kind === 'already-exists' && options.expected?.digest) {
        source.destroy();
        return this.info(options.expected.digest);
      }
      throw err;
    }
    try {
      if (writer.offset > 0) await writer.truncate();
      await writer.copyFrom(source, { signal: options.signal, hash: trustedDigest === undefined });
      const { digest } = await writer.commit({}, { trustedDigest });
      return this.info(digest);
    } catch (err) {
      await writer.close();
      throw err;
    }
  }

  /** Ingests in progress or left behind. */
  async ingests(): Promise<IngestStatus[]> {
    const out: IngestStatus[] = [];
    for (const key of await readdirOrEmpty(this.layout.ingestDir)) {
      const dir = path.join(this.layout.ingestDir, key);
      const meta = await readMeta(dir);
      const st = await fs.stat(path.join(dir, 'data')).catch(() => undefined);
      if (meta && st) out.push({ ...meta, offset: st.size, updatedAt: st.mtime.toISOString() });
    }
    return out;
  }

  /** Throws away the data of an ingest (waiting for its writer, if any, to let go). */
  async abortIngest(ref: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const lock = await acquireLock(this.layout.ingestLock(ref), { signal: options.signal });
    try {
      const dir = this.layout.ingestPath(ref);
      if (!(await readMeta(dir)) && !(await fs.stat(dir).catch(() => undefined))) throw notFound(`no ingest for ref ${ref}`);
      await fs.rm(dir, { recursive: true, force: true });
    } finally {
      await lock?.release();
    }
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw BerthError.wrap(err, `cannot list ${dir}`);
  }
}

async function readMeta(dir: string): Promise<IngestMeta | undefined> {
  try {
    const meta = JSON.parse(await fs.readFile(path.join(dir, 'meta.json'), 'utf8')) as IngestMeta;
    return typeof meta.ref === 'string' ? meta : undefined;
  } catch {
    return undefined;
  }
}
