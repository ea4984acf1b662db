// Applying a layer blob to a directory in one pass: decompress, hash the tar for its diffID,
// and write each entry as it streams by (whiteouts as overlay wants them, or merged).
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompress, readTar } from '../archive/index.js';
import type { Digest } from '../digest/digest.js';
import { DigestingStream } from '../digest/verify.js';
import { BerthError } from '../internal/errors.js';
import { type ApplyMode, type ExtractOptions, Extractor } from './extract.js';

export type { ApplyMode };

export interface ApplyOptions extends ExtractOptions {
  /** Largest file an entry may declare (tar bombs); default: no limit beyond the disk. */
  maxEntrySize?: number;
  signal?: AbortSignal;
}

export interface AppliedLayer {
  /** Bytes of the uncompressed tar. */
  size: number;
  /**
   * Bytes of the unpacked tree as docker counts a layer (its directory.Size of the layer's
   * diff dir): files' sizes and symlinks' target lengths, a hard-linked file once.
   */
  unpackedSize: number;
  /** sha256 of the uncompressed tar: the layer's diffID in an image config. */
  diffID: Digest;
}

/**
 * Applies a layer (gzip, zstd or plain tar, detected) to `target`, which must exist: empty
 * for 'overlay-lower', the layers below for 'merge'. Nothing is written outside `target`,
 * whatever the tar says. On failure the target holds a partial layer: callers unpack into
 * a fresh directory and drop it on error.
 */
export async function applyLayer(source: Readable, target: string, options: ApplyOptions): Promise<AppliedLayer> {
  let tar: Readable;
  try {
    tar = (await decompress(source, { signal: options.signal })).stream;
  } catch (err) {
    throw BerthError.wrap(err, `cannot apply layer to ${target}`);
  }
  return applyTar(tar, target, options);
}

/** applyLayer for a stream already known to be an uncompressed tar. */
export async function applyTar(tar: Readable, target: string, options: ApplyOptions): Promise<AppliedLayer> {
  const digesting = new DigestingStream();
  const piped = pipeline(tar, digesting);
  piped.catch(() => {}); // its failure surfaces through the reader below
  const extractor = new Extractor(target, options);
  let unpackedSize = 0;
  try {
    extractor.open();
    const entries = readTar(digesting, { signal: options.signal, maxEntrySize: options.maxEntrySize });
    for await (const entry of entries) {
      const h = entry.header;
      if (h.type === 'file') unpackedSize += h.size;
      else if (h.type === 'symlink') unpackedSize += Buffer.byteLength(h.linkname);
      await extractor.apply(entry);
    }
    await extractor.finish();
    await piped;
  } catch (err) {
    digesting.destroy();
    throw BerthError.wrap(err, `cannot apply layer to ${target}`);
  } finally {
    await extractor.close();
  }
  return { size: digesting.size, unpackedSize, diffID: digesting.digest };
}
