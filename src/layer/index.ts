// The layer area's public face: applying layer tars to directories (whiteouts, hardlinks,
// devices, xattrs, ownership) and making layer tars from directories and overlay uppers.
export { type AppliedLayer, type ApplyMode, type ApplyOptions, applyLayer, applyTar } from './apply.js';
export { applyLayerInWorker, LayerApplyPool, type LayerApplyPoolOptions } from './apply-pool.js';
export { type CreateOptions, createLayerFromDirectory, createLayerFromOverlayUpper } from './create.js';
export { diffDirectories } from './diff.js';
export type { HeaderOptions } from './headers.js';
export { type IdMap, OVERFLOW_ID, toContainerId, toHostId } from './idmap.js';
export { OPAQUE_MARKER, WHITEOUT_PREFIX } from './names.js';
export type { LayerBlob, LayerDigests, PackOptions } from './pack.js';
