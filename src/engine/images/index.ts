// The image service: pull, push, list, inspect, history, save, load, import, tree and diff over
// the local store, the registry client and the image formats. The CLI verbs call only this.
export { type PullEvent, type PullOptions, type PullResult, pullImage } from './pull.js';
export { clientPool, parseCreds, pullCandidates, pushTarget, RegistrySource, type RemoteOptions, registriesFor } from './remote.js';
export { type ImageRow, imageConfigOf, listImageRows, type ListOptions, splitName } from './list.js';
export { type HistoryRow, type ImageInspect, imageHistory, inspectImage, inspectRecord } from './inspect.js';
export { type PushEvent, type PushOptions, type PushResult, pushImage } from './push.js';
export { layerTree, type TreeNode } from './tree.js';
export { type DiffEntry, diffImages, diffViews, mergedView, type PathState, stackOf } from './diff.js';
export { login, loginKey, logout, type RemoteTag, remoteTags, type SearchResult, searchImages } from './remote-info.js';
export { type ArchiveFormat, archiveFormat, importTarball, type LoadedImage, loadImages, saveImages } from './archive.js';
export { removeImage, tagImage, untagImage } from './remove.js';
export { imagesToPrune, parsePruneFilters, parseUntil, type PrunedImages, pruneImages, type PruneImagesOptions } from './prune.js';
