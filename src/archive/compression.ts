// Layer compression: sniffing gzip/zstd/bzip2/xz from a stream's first bytes without
// losing them, decompressing gzip (node:zlib) and zstd (fzstd), and compressing gzip.
import { PassThrough, pipeline, type Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { aborted, BerthError, corrupt, kindOfSystemError, unsupported } from '../internal/errors.js';
import { ZstdDecompress } from './zstd.js';

export type Compression = 'gzip' | 'zstd' | 'none';
/** What the magic bytes say; bzip2 and xz are recognised only to refuse them clearly. */
export type DetectedCompression = Compression | 'bzip2' | 'xz';

/** Bytes needed to tell every format apart (xz's magic is the longest). */
export const MAGIC_BYTES = 6;

/**
 * gzip level for layers berth writes. Level 1 (zlib's fastest) compresses a typical
 * rootfs layer about 4x faster than docker's default 6 for ~10% more bytes, but layer
 * digests then differ from what docker would produce from the same tar, which nobody can
 * rely on anyway. Measured in bench/archive-throughput.ts; see the table there.
 */
export const DEFAULT_GZIP_LEVEL = 1;

/** The format named by the first bytes of a stream ('none' means: assume a plain tar). */
export function detectCompression(head: Uint8Array): DetectedCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
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
  try {
    peeked = await peek(source, MAGIC_BYTES);
  } catch (err) {
    throw err instanceof BerthError ? err : new BerthError(kindOfSystemError(err), `cannot decompress: ${(err as Error).message}`, { cause: err });
  }
  const format = detectCompression(peeked.head);
  if (format === 'bzip2' || format === 'xz') {
    peeked.stream.destroy();
    throw unsupported(`cannot decompress: ${format} compressed layers are not supported (only gzip and zstd)`);
  }
  if (format === 'none') return { format, stream: peeked.stream };
  const transform = format === 'gzip' ? createGunzip() : createZstdDecompress();
  pipeline(peeked.stream, transform, () => {});
  if (signal !== undefined) {
    const onAbort = () => transform.destroy(aborted('cannot decompress: aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    transform.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  return { format, stream: transform };
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

/** gzip decompression; concatenated members (as pigz and some registries write) are read through. */
export function createGunzip(): Transform {
  return withCorruptErrors(zlib.createGunzip({ chunkSize: 64 * 1024 }), 'gzip');
}

/** gzip compression at `level` (default DEFAULT_GZIP_LEVEL). */
export function compressGzip(level: number = DEFAULT_GZIP_LEVEL): Transform {
  return zlib.createGzip({ level, chunkSize: 64 * 1024 });
}

/** zstd decompression (fzstd), multi-frame, with backpressure even on bombs. */
export function createZstdDecompress(): Transform {
  return new ZstdDecompress();
}
