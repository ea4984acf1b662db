// Layer (de)compression as the image area needs it: a Transform per compression, chosen
// by media type. Gzip is Node's zlib; zstd comes from the archive area once it lands.
import { PassThrough, type Transform } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
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
      throw unsupported('cannot decompress a zstd layer: zstd support is not built in yet');
  }
}

/** A stream that compresses a plain tar. Gzip level 6 like docker, containers/image and ggcr. */
export function compressor(compression: Compression): Transform {
  switch (compression) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return createGzip({ level: 6 });
    case 'zstd':
      throw unsupported('cannot compress a layer with zstd: not built in yet');
  }
}
