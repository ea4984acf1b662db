// The public face of src/image: media types, the JSON documents, their validation,
// platforms, lazy Image/Layer/Index handles, and the OCI layout and archive formats.
export * from './config.js';
export * from './descriptor.js';
export * from './mediatype.js';
export * from './types.js';
export * from './validate.js';
export * from './platform.js';
