// The archive area's public face: tar entries, the streaming tar reader and writer, and
// compression detection. Other areas import from here, not from the files behind it.
export { type EntryType, type TarEntry, type TarHeader, tarHeader } from './entry.js';
export { type ReadTarOptions, readTar, type TarReaderEntry } from './tar-reader.js';
export { TarWriter, type TarWriterOptions } from './tar-writer.js';
export {
  type Compression,
  compressGzip,
  compressZstd,
  createGunzip,
  createZstdDecompress,
  DEFAULT_GZIP_LEVEL,
  DEFAULT_ZSTD_LEVEL,
  type DecompressOptions,
  type DetectedCompression,
  type GzipOptions,
  decompress,
  detectCompression,
  MAGIC_BYTES,
  peek,
} from './compression.js';
