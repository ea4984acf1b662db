// Turns a sequence of tar headers (with the files holding their bodies) into a layer blob:
// tar, hashed for the diffID, gzip-compressed, hashed again for the blob digest, one pass.
import * as fs from 'node:fs';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream';
import { compressGzip, type TarHeader, TarWriter } from '../archive/index.js';
import { type Digest, Digester } from '../digest/digest.js';
import { BerthError } from '../internal/errors.js';

export interface PackItem {
  header: TarHeader;
  /** Where a file entry's body is read from. */
  file?: string;
}

export interface PackOptions {
  /** 'gzip' (default) or 'none' for a plain tar blob. */
  compression?: 'gzip' | 'none';
  /** gzip level; default archive's DEFAULT_GZIP_LEVEL. */
  gzipLevel?: number;
  /** Keep sub-second mtimes as pax records; default false. */
  subsecondTimes?: boolean;
  signal?: AbortSignal;
}

export interface LayerDigests {
  /** Digest and size of the blob as it came out of `stream` (compressed). */
  digest: Digest;
  size: number;
  /** Digest and size of the uncompressed tar: the image config's diffID. */
  diffID: Digest;
  diffSize: number;
  /** Tar entries written. */
  entries: number;
}

/**
 * A layer being made. Read `stream` to its end (pipe it to a blob store or file); `done`
 * resolves after the last byte was read, or rejects if making the layer failed.
 */
export interface LayerBlob {
  stream: Readable;
  done: Promise<LayerDigests>;
}

/** Files up to this size are read whole (one open/read/close) rather than streamed. */
const SMALL_FILE = 1 << 20;

/** A pass-through that hashes and counts. */
class Hashing extends Transform {
  readonly digester = new Digester();
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.digester.update(chunk);
    cb(null, chunk);
  }
}

/** Writes `items` as a layer. Items are pulled lazily, so a tree walk runs as the reader reads. */
export function packLayer(items: Iterable<PackItem> | AsyncIterable<PackItem>, options: PackOptions = {}): LayerBlob {
  const writer = new TarWriter({ signal: options.signal, preciseMtime: options.subsecondTimes ?? false });
  const tarHash = new Hashing();
  const blobHash = new Hashing();
  const stages: NodeJS.ReadWriteStream[] = [tarHash];
  if ((options.compression ?? 'gzip') === 'gzip') stages.push(compressGzip(options.gzipLevel));
  let entries = 0;

  const done = new Promise<LayerDigests>((resolve, reject) => {
    const fail = (err: unknown) => reject(BerthError.wrap(err, 'cannot create layer'));
    pipeline([writer, ...stages, blobHash], (err) => {
      if (err) fail(err);
    });
    blobHash.once('error', fail);
    blobHash.once('end', () => {
      resolve({
        digest: blobHash.digester.digest(),
        size: blobHash.digester.size,
        diffID: tarHash.digester.digest(),
        diffSize: tarHash.digester.size,
        entries,
      });
    });
    const feed = async () => {
      for await (const { header, file } of items) {
        let body: Readable | Buffer | undefined;
        if (header.type === 'file' && header.size > 0) {
          if (file === undefined) throw new Error(`file entry ${header.name} has no source`);
          body = header.size <= SMALL_FILE ? fs.readFileSync(file) : fs.createReadStream(file);
        }
        await writer.add(header, body);
        entries++;
      }
      await writer.finish();
    };
    feed().catch((err) => {
      writer.destroy(err);
      fail(err);
    });
  });
  done.catch(() => {}); // callers that only read the stream see the error there
  return { stream: blobHash, done };
}
