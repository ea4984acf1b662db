// The public face of src/store: open the local cache, and the types its users handle.
export { normalizeName, openStore, Store, type NewImage, type PruneResult, type RemoveResult, type StoreOptions } from './store.js';
export { pickChild, StoreSink, type StoreSinkOptions, StoreSource } from './sink.js';
export { ContentStore, type ContentInfo, type IngestOptions, type WriterOptions } from './content/store.js';
export { ContentWriter, type Expected, type IngestStatus } from './content/writer.js';
export { chainID, chainIDs, LayerStore, type ApplyLayer, type CompressedForm, type LayerRecord, type UnpackRequest } from './layers.js';
export { imageBlobs, imageCreatedMs, ImageRecords, repoOf, resolveIn, type ImageLayer, type ImageRecord, type ResolveOptions } from './images.js';
export { Lease } from './lease.js';
export type { Hold, HoldOptions, HoldRefs } from './holds.js';
export { StoreLayout } from './layout.js';
export { acquireLock, FileLock, isLocked, withLock, type LockMode, type LockOptions } from './lock.js';
