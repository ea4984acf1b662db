// Types of the OCI runtime-spec config.json (runtime-spec 1.0.2, the part runc and crun read
// on Linux), plus seccomp profiles in docker's format, which berth accepts as input.

export interface RuntimeSpec {
  ociVersion: string;
  process: SpecProcess;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: SpecMount[];
  annotations?: Record<string, string>;
  hooks?: SpecHooks;
  linux: SpecLinux;
}

export interface SpecHook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

/** Runtime hooks (runtime-spec config.md#posix-platform-hooks), e.g. network set-up at createRuntime. */
export interface SpecHooks {
  prestart?: SpecHook[];
  createRuntime?: SpecHook[];
  createContainer?: SpecHook[];
  startContainer?: SpecHook[];
  poststart?: SpecHook[];
  poststop?: SpecHook[];
}

export interface SpecUser {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

export interface SpecCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
  ambient: string[];
}

export interface SpecRlimit {
  type: string;
  hard: number;
  soft: number;
}

export interface SpecProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: SpecUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities?: SpecCapabilities;
  rlimits?: SpecRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
}

export interface SpecMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

export interface SpecNamespace {
  type: NamespaceType;
  path?: string;
}

export interface SpecIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface SpecDevice {
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface SpecDeviceRule {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access?: string;
}

/** A block device's limit (linux.resources.blockIO throttle lists). */
export interface SpecThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface SpecResources {
  devices?: SpecDeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number; kernel?: number; swappiness?: number; disableOOMKiller?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; realtimeRuntime?: number; realtimePeriod?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  blockIO?: {
    weight?: number;
    weightDevice?: { major: number; minor: number; weight: number }[];
    throttleReadBpsDevice?: SpecThrottleDevice[];
    throttleWriteBpsDevice?: SpecThrottleDevice[];
    throttleReadIOPSDevice?: SpecThrottleDevice[];
    throttleWriteIOPSDevice?: SpecThrottleDevice[];
  };
  /** cgroup v2 files and their values, written as they are (runc and crun). */
  unified?: Record<string, string>;
}

export interface SpecSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface SpecSeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SpecSeccompArg[];
}

export interface SpecSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: SpecSeccompSyscall[];
}

export interface SpecLinux {
  namespaces: SpecNamespace[];
  uidMappings?: SpecIdMapping[];
  gidMappings?: SpecIdMapping[];
  devices?: SpecDevice[];
  cgroupsPath?: string;
  resources?: SpecResources;
  seccomp?: SpecSeccomp;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  sysctl?: Record<string, string>;
  mountLabel?: string;
  rootfsPropagation?: string;
}

/** A seccomp profile as docker writes it (profiles/seccomp/default.json and `--security-opt seccomp=FILE`). */
export interface DockerSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  flags?: string[];
  syscalls?: DockerSeccompRule[];
}

export interface DockerSeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface DockerSeccompRule {
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: SpecSeccompArg[] | null;
  comment?: string;
  includes?: DockerSeccompFilter;
  excludes?: DockerSeccompFilter;
}
