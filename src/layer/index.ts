// The layer area's public face: applying layer tars to directories (whiteouts, hardlinks,
// devices, xattrs, ownership) and making layer tars from directories and overlay uppers.
export { type AppliedLayer, type ApplyMode, type ApplyOptions, applyLayer, applyTar } from './apply.js';
