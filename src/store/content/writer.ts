// One ingest: bytes for a blob land in ingest/<ref-key>/data under the ref's lock, and only
// a commit that checks size and digest moves them to blobs/ (containerd's Writer lifecycle).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { finished, type Readable } from 'node:stream';
import { type Digest, Digester, digestAlgorithm, type DigestAlgorithm } from '../../digest/digest.js';
import { aborted, BerthError, corrupt, failedPrecondition } from '../../internal/errors.js';
import { syncDir, writeJsonAtomic } from '../../internal/atomic.js';
import type { FileLock } from '../lock.js';

export interface Expected {
  digest?: Digest;
  size?: number;
}

/** What ingest/<key>/meta.json records, so a later writer can tell whether data is resumable. */
export interface IngestMeta {
  ref: string;
  expected: Expected;
  startedAt: string;
}

export interface IngestStatus extends IngestMeta {
  /** Bytes already written (where a resumed write goes on). */
  offset: number;
  updatedAt: string;
}

/** Hook the store gives each writer to publish a verified file under blobs/. */
export type PublishBlob = (dataPath: string, digest: Digest, size: number) => Promise<void>;

/**
 * A write in progress. Lifecycle: open (by ContentStore.writer) -> write/copyFrom any number
 * of times -> commit (visible in blobs/, ingest removed) or close (kept for a resume) or
 * abort (ingest removed). Exactly one writer per ref exists at a time, across processes.
 */
export class ContentWriter {
  private digester: Digester;
  private bytes: number;
  private done = false;
  /** Some bytes were written without hashing (their source vouched for them): commit needs that digest. */
  private unhashed = false;

  /** @internal built by ContentStore.writer after it took the ref's lock and prepared the dir. */
  constructor(
    readonly ref: string,
    readonly expected: Expected,
    private readonly dir: string,
    private readonly handle: fs.FileHandle,
    private readonly lock: FileLock,
    private readonly publish: PublishBlob,
    resumed: { digester: Digester; offset: number },
  ) {
    this.digester = resumed.digester;
    this.bytes = resumed.offset;
  }

  /** Bytes written so far, including those of an earlier, interrupted writer of this ref. */
  get offset(): number {
    return this.bytes;
  }

  /**
   * Appends a chunk. `hash: false` is for a source that verifies size and digest itself and
   * fails before its end otherwise (a VerifyingStream): hashing the same bytes twice costs a
   * pull about 0.5 s of CPU per GB. commit() then needs that source's digest as `trustedDigest`.
   */
  async write(chunk: Uint8Array, options: { hash?: boolean } = {}): Promise<void> {
    this.assertOpen();
    const { size } = this.expected;
    if (size !== undefined && this.bytes + chunk.byteLength > size) {
      throw corrupt(`cannot write ${this.ref}: content is larger than its declared size ${size}`, { detail: { size } });
    }
    await this.writeAt(chunk, 0, this.bytes);
    if (options.hash === false) this.unhashed = true;
    else this.digester.update(chunk);
    this.bytes += chunk.byteLength;
  }

  /** write() for chunks in order, in one writev: no buffer joins them. */
  private async writeMany(chunks: Buffer[], hash: boolean): Promise<void> {
    if (chunks.length === 1) return this.write(chunks[0], { hash });
    this.assertOpen();
    let total = 0;
    for (const c of chunks) total += c.byteLength;
    const { size } = this.expected;
    if (size !== undefined && this.bytes + total > size) {
      throw corrupt(`cannot write ${this.ref}: content is larger than its declared size ${size}`, { detail: { size } });
    }
    let done = (await this.handle.writev(chunks, this.bytes)).bytesWritten;
    // A short writev (rare on files): the rest chunk by chunk.
    for (let i = 0, at = 0; done < total && i < chunks.length; at += chunks[i].byteLength, i++) {
      const end = at + chunks[i].byteLength;
      if (end <= done) continue;
      await this.writeAt(chunks[i], done - at, this.bytes + done);
      done = end;
    }
    if (!hash) this.unhashed = true;
    else for (const c of chunks) this.digester.update(c);
    this.bytes += total;
  }

  /** chunk[from..] at file position `position`, however many writes it takes. */
  private async writeAt(chunk: Uint8Array, from: number, position: number): Promise<void> {
    for (let written = from; written < chunk.byteLength; ) {
      const r = await this.handle.write(chunk, written, chunk.byteLength - written, position + written - from);
      written += r.bytesWritten;
    }
  }

  /** Appends everything `source` yields. On abort the bytes written so far stay resumable. */
  async copyFrom(source: Readable, options: { signal?: AbortSignal; hash?: boolean } = {}): Promise<void> {
    this.assertOpen();
    const onAbort = () => source.destroy(aborted(`cannot write ${this.ref}: cancelled`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (options.signal?.aborted) throw aborted(`cannot write ${this.ref}: cancelled`);
      const hash = options.hash ?? true;
      for await (const batch of chunkBatches(source, BATCH_BYTES)) await this.writeMany(batch, hash);
    } catch (err) {
      source.destroy();
      throw err instanceof BerthError ? err : BerthError.wrap(err, `cannot write ${this.ref}`);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Checks size and digest (those given here, else the expected ones), makes the blob
   * visible and removes the ingest. A digest already present is success with nothing moved.
   * On a mismatch the ingest is discarded (its bytes can never become the blob) and the
   * error is 'corrupt'.
   */
  async commit(expected: Expected = {}, options: { trustedDigest?: Digest } = {}): Promise<{ digest: Digest; size: number }> {
    this.assertOpen();
    const wantSize = expected.size ?? this.expected.size;
    const wantDigest = expected.digest ?? this.expected.digest;
    this.done = true;
    try {
      if (wantDigest && digestAlgorithm(wantDigest) !== this.digester.algorithm) {
        throw failedPrecondition(`cannot commit ${this.ref}: written as ${this.digester.algorithm}, expected ${wantDigest}`);
      }
      const got = this.unhashed ? options.trustedDigest : this.digester.digest();
      if (got === undefined) {
        throw failedPrecondition(`cannot commit ${this.ref}: bytes were written unhashed and no verified digest was given`);
      }
      if (wantSize !== undefined && this.bytes !== wantSize) {
        throw corrupt(`cannot commit ${this.ref}: size ${this.bytes} does not match the expected ${wantSize}`, {
          detail: { expected: wantSize, got: this.bytes },
        });
      }
      if (wantDigest !== undefined && got !== wantDigest) {
        throw corrupt(`cannot commit ${this.ref}: content does not match its digest: expected ${wantDigest}, got ${got}`, {
          detail: { expected: wantDigest, got },
        });
      }
      await this.handle.sync();
      await this.handle.close();
      await this.publish(path.join(this.dir, 'data'), got, this.bytes);
      await fs.rm(this.dir, { recursive: true, force: true });
      return { digest: got, size: this.bytes };
    } catch (err) {
      await this.handle.close().catch(() => {});
      await fs.rm(this.dir, { recursive: true, force: true }).catch(() => {});
      throw err;
    } finally {
      await this.lock.release();
    }
  }

  /** Drops what was written, to start the content over. */
  async truncate(): Promise<void> {
    this.assertOpen();
    await this.handle.truncate(0);
    this.digester = new Digester(this.digester.algorithm);
    this.bytes = 0;
  }

  /** Stops writing and keeps the data: a later writer of the same ref resumes at `offset`. */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.handle.close().catch(() => {});
    await this.lock.release();
  }

  /** Stops writing and throws the data away. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.handle.close().catch(() => {});
    await fs.rm(this.dir, { recursive: true, force: true });
    await this.lock.release();
  }

  private assertOpen(): void {
    if (this.done) throw failedPrecondition(`cannot write ${this.ref}: the writer was committed or closed`);
  }
}

/**
 * Prepares ingest/<key>/ for `ref` (the caller holds the ref's lock): resumes data written
 * under the same expectations, starts over otherwise. Resuming re-hashes what is there, as a
 * hash state cannot be saved; the cost is one read of the partial data.
 */
export async function openIngest(
  dir: string,
  ref: string,
  expected: Expected,
): Promise<{ handle: fs.FileHandle; digester: Digester; offset: number }> {
  const algorithm: DigestAlgorithm = expected.digest ? digestAlgorithm(expected.digest) : 'sha256';
  const metaPath = path.join(dir, 'meta.json');
  const dataPath = path.join(dir, 'data');
  let meta: IngestMeta | undefined;
  try {
    meta = JSON.parse(await fs.readFile(metaPath, 'utf8')) as IngestMeta;
  } catch {
    meta = undefined;
  }
  const sameTarget =
    meta !== undefined &&
    meta.ref === ref &&
    meta.expected.digest === expected.digest &&
    (meta.expected.size === expected.size || expected.size === undefined);
  if (!sameTarget) {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    await writeJsonAtomic(metaPath, { ref, expected, startedAt: new Date().toISOString() } satisfies IngestMeta, {
      durable: false,
    });
  }
  const handle = await fs.open(dataPath, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  const digester = new Digester(algorithm);
  let offset = 0;
  if (sameTarget) {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
      if (bytesRead === 0) break;
      digester.update(chunk.subarray(0, bytesRead));
      offset += bytesRead;
    }
    if (expected.size !== undefined && offset > expected.size) {
      await handle.truncate(0);
      return { handle, digester: new Digester(algorithm), offset: 0 };
    }
  }
  return { handle, digester, offset };
}

/** Moves a verified file to its blob path; an existing blob of that digest wins (same bytes). */
export async function publishFile(dataPath: string, blobPath: string): Promise<void> {
  const dir = path.dirname(blobPath);
  await fs.mkdir(dir, { recursive: true });
  try {
    await fs.access(blobPath);
    return;
  } catch {
    // not there yet
  }
  await fs.chmod(dataPath, 0o444);
  // ingest/ and blobs/ share the graph root's filesystem, so this rename is atomic: a
  // reader sees no blob or the whole blob, never a part.
  await fs.rename(dataPath, blobPath);
  await syncDir(dir);
}

/** Bytes gathered from a source while the previous write runs, before the source is paused. */
const BATCH_BYTES = 4 << 20;

/**
 * A source's chunks in batches: what arrived while the previous batch was written. Iterating
 * a byte stream with for-await would join those chunks into a new buffer, a copy of every blob
 * byte on the main thread; writev takes them as they are.
 */
async function* chunkBatches(source: Readable, maxBytes: number): AsyncGenerator<Buffer[]> {
  let batch: Buffer[] = [];
  let bytes = 0;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: Buffer | string) => {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    batch.push(b);
    bytes += b.byteLength;
    if (bytes >= maxBytes) source.pause();
    notify();
  };
  const cleanup = finished(source, (err) => {
    if (err) failure = err;
    else ended = true;
    notify();
  });
  source.on('data', onData);
  try {
    for (;;) {
      if (batch.length > 0) {
        const out = batch;
        batch = [];
        bytes = 0;
        if (source.isPaused()) source.resume();
        yield out;
        continue;
      }
      if (failure) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    source.off('data', onData);
    cleanup();
  }
}
