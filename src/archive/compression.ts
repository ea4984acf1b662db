// Layer compression: sniffing gzip/zstd/bzip2/xz from a stream's first bytes without
// losing them, gzip (node:zlib) and zstd (libzstd via the native addon) both ways.
import { availableParallelism } from 'node:os';
import { PassThrough, pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { aborted, BerthError, corrupt, kindOfSystemError, unsupported } from '../internal/errors.js';
import { ZstdStream } from './zstd.js';

export type Compression = 'gzip' | 'zstd' | 'none';
/** What the magic bytes say; bzip2 and xz are recognised only to refuse them clearly. */
export type DetectedCompression = Compression | 'bzip2' | 'xz';

/** Bytes needed to tell every format apart (xz's magic is the longest). */
export const MAGIC_BYTES = 6;

/**
 * gzip level for layers berth writes. On 150 MB of /usr/lib binaries (CPU time, one
 * thread): level 1 99 MB/s ratio 2.88; level 3 81 MB/s 2.97; level 6 (docker's and
 * containers/image's default) 40 MB/s 3.15; level 9 8 MB/s 3.17. Level 1 is 2.5x faster
 * than 6 for 9% more bytes: layer creation (commit, build) is CPU-bound, a push over a
 * LAN is not. Callers that ship over slow links may pass 6. Re-measure with
 * bench/archive-throughput.ts.
 */
export const DEFAULT_GZIP_LEVEL = 1;

/** The format named by the first bytes of a stream ('none' means: assume a plain tar). */
export function detectCompression(head: Uint8Array): DetectedCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  // A zstd skippable frame (magic 0x184D2A5?) may come first: still a zstd stream.
  if (head.length >= 4 && (head[0] & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) return 'zstd';
  if (head.length >= 3 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  if (head.length >= 6 && head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0x00) return 'xz';
  return 'none';
}

/**
 * The first `n` bytes of a stream (fewer if it is shorter), and a stream that still yields
 * every byte from the start: the same stream with the bytes put back, when possible.
 */
export async function peek(source: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const parts: Buffer[] = [];
  let got = 0;
  for (;;) {
    const chunk: Buffer | null = source.read();
    if (chunk !== null) {
      parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      got += chunk.length;
      if (got >= n) {
        const all = parts.length === 1 ? parts[0] : Buffer.concat(parts, got);
        // No await since the read: 'end' cannot have been emitted, so unshift is allowed.
        source.unshift(all);
        return { head: all.subarray(0, n), stream: source };
      }
      continue;
    }
    if (source.readableEnded || source.destroyed) break;
    const ended = await new Promise<boolean>((resolve, reject) => {
      const done = (value: boolean) => {
        source.off('readable', onReadable);
        source.off('end', onEnd);
        source.off('error', onError);
        source.off('close', onEnd);
        resolve(value);
      };
      const onReadable = () => done(false);
      const onEnd = () => done(true);
      const onError = (err: unknown) => {
        source.off('readable', onReadable);
        source.off('end', onEnd);
        source.off('close', onEnd);
        reject(err);
      };
      source.on('readable', onReadable);
      source.on('end', onEnd);
      source.on('close', onEnd);
      source.on('error', onError);
    });
    if (ended) break;
  }
  // The stream ended (or closed) before n bytes: hand back what there was as a new stream.
  const all = Buffer.concat(parts, got);
  const rest = new PassThrough();
  rest.end(all);
  return { head: all, stream: rest };
}

export interface DecompressOptions {
  signal?: AbortSignal;
}

/**
 * Detects the compression of `source` and returns the decompressed stream (the source
 * itself for a plain tar). Errors of the source reach the returned stream; destroying the
 * returned stream destroys the source.
 */
export async function decompress(source: Readable, options: DecompressOptions = {}): Promise<{ format: Compression; stream: Readable }> {
  const { signal } = options;
  if (signal?.aborted) {
    source.destroy();
    throw aborted('cannot decompress: aborted');
  }
  let peeked: { head: Buffer; stream: Readable };
  // An abort while the first bytes are awaited (a stalled download) ends the wait too.
  const abortPeek = () => source.destroy(aborted('cannot decompress: aborted'));
  signal?.addEventListener('abort', abortPeek, { once: true });
  try {
    peeked = await peek(source, MAGIC_BYTES);
  } catch (err) {
    throw err instanceof BerthError ? err : new BerthError(kindOfSystemError(err), `cannot decompress: ${(err as Error).message}`, { cause: err });
  } finally {
    signal?.removeEventListener('abort', abortPeek);
  }
  const format = detectCompression(peeked.head);
  if (format === 'bzip2' || format === 'xz') {
    peeked.stream.destroy();
    throw unsupported(`cannot decompress: ${format} compressed layers are not supported (only gzip and zstd)`);
  }
  let stream = peeked.stream;
  if (format !== 'none') {
    const transform = format === 'gzip' ? createGunzip() : createZstdDecompress();
    pipeline(peeked.stream, transform, () => {});
    stream = transform;
  }
  if (signal !== undefined) {
    if (signal.aborted) stream.destroy(aborted('cannot decompress: aborted'));
    const onAbort = () => stream.destroy(aborted('cannot decompress: aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  return { format, stream };
}

/** zlib's errors say "incorrect header check"; callers want a 'corrupt' BerthError. */
function withCorruptErrors<T extends Transform>(stream: T, what: string): T {
  const destroyImpl = stream._destroy.bind(stream);
  stream._destroy = (err: Error | null, cb: (err?: Error | null) => void) => {
    destroyImpl(err, (e?: Error | null) => {
      if (e && !(e instanceof BerthError)) e = corrupt(`cannot decompress ${what}: ${e.message}`, { cause: e });
      cb(e);
    });
  };
  return stream;
}

/**
 * Output chunk of gunzip. Every chunk then crosses the diffID hash, the tar reader and a
 * thread-pool round trip: 256 KiB chunks cut that per-chunk cost 4x against 64 KiB (and
 * small tar bodies more often sit whole in one chunk, read without a copy).
 */
const GUNZIP_CHUNK = 256 * 1024;

/** gzip decompression; concatenated members (as pigz and some registries write) are read through. */
export function createGunzip(): Transform {
  return withCorruptErrors(zlib.createGunzip({ chunkSize: GUNZIP_CHUNK }), 'gzip');
}

export interface GzipOptions {
  /** Blocks compressed at once on libuv's thread pool. Default: the machine's parallelism, at most 4. */
  concurrency?: number;
}

/** Input per gzip member: large enough that the lost cross-block matches cost < 0.1%. */
const GZIP_BLOCK = 1024 * 1024;
const gzipAsync = promisify(zlib.gzip) as (data: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;

/**
 * gzip compression at `level` (default DEFAULT_GZIP_LEVEL). The input is cut into 1 MiB
 * blocks, each compressed as its own gzip member on the thread pool, several at a time,
 * and written in order: a multi-member gzip (RFC 1952 2.2) that every gunzip reads (Go's
 * compress/gzip, zlib, pigz). The cut points are fixed, so the bytes never depend on the
 * concurrency or the machine: the same tar always gives the same blob.
 */
export function compressGzip(level: number = DEFAULT_GZIP_LEVEL, options: GzipOptions = {}): Transform {
  const concurrency = Math.max(1, options.concurrency ?? Math.min(4, availableParallelism()));
  return new ParallelGzip(level, concurrency);
}

class ParallelGzip extends Transform {
  private readonly parts: Buffer[] = [];
  private partsLength = 0;
  private readonly inflight: Promise<Buffer>[] = [];
  private members = 0;

  constructor(
    private readonly level: number,
    private readonly concurrency: number,
  ) {
    super({ readableHighWaterMark: 256 * 1024 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.parts.push(chunk);
    this.partsLength += chunk.length;
    while (this.partsLength >= GZIP_BLOCK) this.start(this.cutBlock(GZIP_BLOCK));
    if (this.inflight.length < this.concurrency) {
      cb();
      return;
    }
    this.emitUntil(this.concurrency - 1).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.partsLength > 0 || this.members === 0) this.start(this.cutBlock(this.partsLength));
    this.emitUntil(0).then(() => cb(), cb);
  }

  private cutBlock(n: number): Buffer {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLength);
    const block = all.subarray(0, n);
    const rest = all.subarray(n);
    this.parts.length = 0;
    if (rest.length > 0) this.parts.push(rest);
    this.partsLength = rest.length;
    return block;
  }

  private start(block: Buffer): void {
    const compressing = gzipAsync(block, { level: this.level });
    compressing.catch(() => {}); // awaited in order below; a later failure must not go unhandled meanwhile
    this.inflight.push(compressing);
    this.members++;
  }

  private async emitUntil(left: number): Promise<void> {
    while (this.inflight.length > left) this.push(await this.inflight.shift()!);
  }
}

/** zstd decompression (libzstd), multi-frame and skippable frames, with backpressure even on bombs. */
export function createZstdDecompress(): Transform {
  return new ZstdStream(false);
}

/**
 * zstd level for layers berth writes: zstd's own default (as the zstd CLI, podman and
 * containers/image use), ~3x faster than gzip -6 for a better ratio.
 */
export const DEFAULT_ZSTD_LEVEL = 3;

/** zstd compression at `level` (1-19; default DEFAULT_ZSTD_LEVEL): one frame with a checksum. */
export function compressZstd(level: number = DEFAULT_ZSTD_LEVEL): Transform {
  return new ZstdStream(true, level);
}
