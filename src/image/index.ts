// The public face of src/image: media types, the JSON documents, their validation,
// platforms, lazy Image/Layer/Index handles, copy, and the on-disk image formats.
export * from './assemble.js';
export * from './blob.js';
export * from './compression.js';
export * from './config.js';
export * from './copy.js';
export * from './descriptor.js';
export type * from './handles.js';
export { isIndexHandle } from './handles.js';
export * from './mediatype.js';
export * from './memory.js';
export * from './platform.js';
export type * from './sink.js';
export * from './source-handles.js';
export * from './types.js';
export * from './validate.js';
export * from './layout/layout.js';
export * from './layout/paths.js';
export * from './layout/sink.js';
export * from './layout/archive.js';
export * from './layout/files.js';
export * from './docker-archive/format.js';
export * from './docker-archive/reader.js';
export * from './docker-archive/sink.js';
export * from './tarfile.js';
