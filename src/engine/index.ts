// The engine's public face: containers from images (or any layer) through an OCI runtime,
// their records and lifecycle. The CLI verbs and the Engine API call only this.
export { CONTAINER_STATUSES, checkName, type ContainerRecord, type ContainerSpec, type ContainerState, type ContainerStatus, type MountRequest, type RootfsSource, statusText } from './container.js';
export { ContainerHost, type ContainerHostOptions } from './host.js';
export { ContainerPaths, ContainerRecords } from './records.js';
export { createContainer, type CreateContainerOptions } from './create.js';
export { type ForegroundOptions, runForeground, startContainer } from './start.js';
export { cleanupContainer, containerSize, containerSizes, killContainer, pauseContainer, type PrunedContainer, pruneContainers, removeContainer, renameContainer, restartContainer, stopContainer, waitContainer, waitStopped } from './lifecycle.js';
export { mergeResources, runtimeResources, type UpdateRequest, updateContainer } from './update.js';
export { listContainers, lookupContainer, refresh, UNKNOWN_EXIT } from './state.js';
export { checkDestination, parseMount, parseTmpfs, parseVolume } from './mounts.js';
export { CommandError, commandOf, envOf, parseSecurityOpts } from './spec.js';
export { resolveSource } from './source.js';
export { containerLogs, type LogOptions } from './logs.js';
export { type ExecRequest, execInContainer } from './exec.js';
export { inspectView } from './inspect.js';
export { type Change, containerChanges, copyFromContainer, copyToContainer, exportContainer, mountContainer, unmountContainer } from './files.js';
export { type CommitOptions, commitContainer } from './commit.js';
export { type ContainerTop, containerStats, containerTop, type StatsRow } from './observe.js';
export { isMountPoint } from './rootfs.js';
export { DEFAULT_CONFIG_FILE, type EngineConfig, loadEngineConfig } from './config.js';
export { containerUsage, diskUsageDetail, imageUsage, percentOf, sharedSizes, type UsageDetail, type UsageRow, volumeUsage } from './disk-usage.js';
export { ANONYMOUS_LABEL, checkVolumeName, type CreateVolumeOptions, filterVolumes, usersOf, type Volume, VolumeStore } from './volumes.js';
