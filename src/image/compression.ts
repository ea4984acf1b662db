// Layer (de)compression as the image area needs it: a Transform per compression, chosen
// by media type, built on the archive area's gzip and zstd streams.
import { PassThrough, type Transform } from 'node:stream';
import { compressGzip, createGunzip, createZstdDecompress } from '../archive/index.js';
import { unsupported } from '../internal/errors.js';
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

/** A stream that compresses a plain tar (gzip at the archive area's default level). */
export function compressor(compression: Compression): Transform {
  switch (compression) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return compressGzip();
    case 'zstd':
      throw unsupported('cannot compress a layer with zstd: berth reads zstd layers but writes gzip or plain ones');
  }
}
