// Layer (de)compression as the image area needs it: a Transform per compression, chosen
// by media type, built on the archive area's gzip and zstd streams.
import { PassThrough, type Transform } from 'node:stream';
import { compressGzip, compressZstd, createGunzip, createZstdDecompress } from '../archive/index.js';
import type { Compression } from './mediatype.js';

/** A stream that turns `compression`-compressed bytes into the plain tar. */
export function decompressor(compression: Compression): Transform {
  switch (compression) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return createGunzip();
    case 'zstd':
      return createZstdDecompress();
  }
}

/** A stream that compresses a plain tar (gzip or zstd at the archive area's default levels). */
export function compressor(compression: Compression): Transform {
  switch (compression) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return compressGzip();
    case 'zstd':
      return compressZstd();
  }
}
