// The runtime layer's public face: OCI spec generation, the runc/crun CLI, the conmon monitor,
// cgroup layout and container logs. The engine builds `berth run` on these.
//
// A run, in order: findRuntime({runRoot}) -> resolveUser(rootfs, user) -> generateSpec({...,
// cgroupsPath: cgroupsPathFor(id), resources: resourcesFrom(flags)}) -> writeBundle(bundle, spec)
// -> createMonitored({id, bundle, runtime, stateDir, stdin?, terminal?}) -> [attachContainer
// before start, for -i/-t] -> runtime.start(id) (or startContainer = create + start)
// -> followLogs / waitForExit -> removeContainer. stopContainer does docker's stop.
export { type AttachOptions, type Attachment, attachContainer, attachHelperPath } from './attach.js';
export { cgroupsPathFor, detectCgroups, parseBytes, resourcesFrom } from './cgroups.js';
export type { CgroupLayout, CgroupMode, ResourceInput } from './cgroups.js';
export { DEFAULT_RUNTIMES, findRuntime, lookupBinary, probeRuntime } from './detect.js';
export type { FindRuntimeOptions, RuntimeChoice, RuntimeSkip } from './detect.js';
export { errorsFromLog, kindOfRuntimeMessage } from './errors.js';
export { removeContainer, type StopOptions, stopContainer } from './lifecycle.js';
export { followLogs, parseK8sLine, readLogs } from './logs.js';
export type { FollowLogOptions, LogEntry, ReadLogOptions } from './logs.js';
export { createMonitored, isLiveConmon, monitorPaths, monitorRunning, readExit, resizeTerminal, startContainer, waitForExit } from './monitor.js';
export type { ExitRecord, MonitoredContainer, MonitorOptions } from './monitor.js';
export { CONTAINER_STATUSES, OciRuntime, parseState } from './oci-runtime.js';
export type {
  ContainerState,
  ContainerStatus,
  CreateOptions,
  ExecOptions,
  ExecResult,
  OciRuntimeOptions,
  RuntimeStats,
} from './oci-runtime.js';
export {
  ALL_CAPABILITIES,
  capabilityMask,
  DEFAULT_CAPABILITIES,
  hostCapabilities,
  normalizeCapability,
  resolveCapabilities,
} from './spec/capabilities.js';
export { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DEFAULT_SHM_SIZE } from './spec/defaults.js';
export { generateSpec, writeBundle } from './spec/generate.js';
export type { MountInput, NamespaceMode, ProcessInput, Propagation, SpecInput } from './spec/generate.js';
export { detectSecurityModules, deviceFromHost, hostDevices } from './spec/host.js';
export { DEFAULT_NOFILE, hostLimits, parseProcLimits, parseUlimit, resolveRlimits } from './spec/rlimits.js';
export { DEFAULT_SECCOMP_PROFILE } from './spec/seccomp-default.js';
export { parseSeccompProfile, seccompForContainer } from './spec/seccomp.js';
export type * from './spec/types.js';
export { MAX_ID, resolveUser, securePath } from './spec/user.js';
export type { ResolvedUser } from './spec/user.js';
