// generateSpec: a container's settings (docker's flags, already parsed) -> the runtime-spec
// config.json, with docker's defaults for everything the caller leaves out.
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { writeJsonAtomic } from '../../internal/atomic.js';
import { invalidArgument } from '../../internal/errors.js';
import { type CgroupMode, detectCgroups } from '../cgroups.js';
import { resolveCapabilities } from './capabilities.js';
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_PATH_ENV,
  DEFAULT_READONLY_PATHS,
  DEFAULT_SHM_SIZE,
  defaultDeviceRules,
  defaultMounts,
  NAMESPACED_SYSCTLS,
  SPEC_VERSION,
} from './defaults.js';
import { apparmorProfileLoaded, detectSecurityModules, hostDevices, type SecurityModules } from './host.js';
import { type HostLimit, resolveRlimits } from './rlimits.js';
import { seccompForContainer } from './seccomp.js';
import type {
  DockerSeccompProfile,
  NamespaceType,
  RuntimeSpec,
  SpecDevice,
  SpecDeviceRule,
  SpecIdMapping,
  SpecMount,
  SpecNamespace,
  SpecResources,
  SpecHooks,
  SpecRlimit,
} from './types.js';

export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

export type MountInput =
  | { type: 'bind'; source: string; destination: string; readonly?: boolean; propagation?: Propagation; recursive?: boolean }
  | { type: 'tmpfs'; destination: string; options?: string[] }
  | { type: 'volume'; source: string; destination: string; readonly?: boolean };

/** private (a new namespace), host (share the host's: omitted from the spec), or join a path. */
export type NamespaceMode = 'private' | 'host' | { path: string };

export interface ProcessInput {
  args: string[];
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number; additionalGids?: number[]; umask?: number };
  /** The user's home (from resolveUser): HOME when env has none. */
  home?: string;
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  /** docker's default is false; --security-opt no-new-privileges sets it. */
  noNewPrivileges?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  rlimits?: SpecRlimit[];
  oomScoreAdj?: number;
}

export interface SpecInput {
  rootfs: string;
  readonlyRootfs?: boolean;
  process: ProcessInput;
  privileged?: boolean;
  hostname?: string;
  mounts?: MountInput[];
  namespaces?: Partial<Record<NamespaceType, NamespaceMode>>;
  uidMappings?: SpecIdMapping[];
  gidMappings?: SpecIdMapping[];
  /** From resourcesFrom() in cgroups.ts. */
  resources?: SpecResources;
  cgroupsPath?: string;
  /** 'default' (docker's profile), 'unconfined', or a profile in docker's format. */
  seccomp?: 'default' | 'unconfined' | DockerSeccompProfile;
  /** Replace the default masked / read-only paths (--security-opt systempaths=unconfined: []). */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  annotations?: Record<string, string>;
  hooks?: SpecHooks;
  sysctls?: Record<string, string>;
  /** Extra device nodes (deviceFromHost in host.ts). */
  devices?: { device: SpecDevice; rule: SpecDeviceRule }[];
  /** Extra device cgroup rules with no node of their own (--device-cgroup-rule). */
  deviceRules?: SpecDeviceRule[];
  shmSize?: number;
  apparmorProfile?: string;
  selinuxLabel?: string;
  mountLabel?: string;
  /** Host facts, normally detected; tests pass their own. */
  host?: {
    capabilities?: string[];
    limits?: Record<string, HostLimit>;
    security?: SecurityModules;
    devices?: SpecDevice[];
    cgroupMode?: CgroupMode;
    /** The kernel runs x32 programs (kernelHasX32 in host.ts); unknown counts as true. */
    x32?: boolean;
  };
}

/** docker's default namespaces: everything but user and (on cgroup v1 and hybrid) cgroup is private. */
const DEFAULT_NAMESPACES: NamespaceType[] = ['pid', 'network', 'ipc', 'uts', 'mount'];

function checkAbsolute(p: string, what: string): string {
  if (!p.startsWith('/')) throw invalidArgument(`invalid ${what} "${p}": must be an absolute path`);
  return path.posix.normalize(p);
}

function namespacesFor(input: SpecInput): SpecNamespace[] {
  const modes: Partial<Record<NamespaceType, NamespaceMode>> = {};
  for (const t of DEFAULT_NAMESPACES) modes[t] = 'private';
  if ((input.host?.cgroupMode ?? detectCgroups().mode) === 'v2') modes.cgroup = 'private';
  Object.assign(modes, input.namespaces ?? {});
  const order: NamespaceType[] = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup', 'user'];
  const out: SpecNamespace[] = [];
  for (const type of order) {
    const mode = modes[type];
    if (mode === undefined || mode === 'host') continue;
    if (mode === 'private') out.push({ type });
    else out.push({ type, path: checkAbsolute(mode.path, `${type} namespace path`) });
  }
  if (!out.some((n) => n.type === 'mount')) throw invalidArgument('invalid namespaces: a container needs its own mount namespace');
  return out;
}

function mountFor(m: MountInput): SpecMount {
  const destination = checkAbsolute(m.destination, 'mount destination');
  if (m.type === 'tmpfs') {
    const opts = m.options ?? [];
    const defaults = ['nosuid', 'nodev', 'noexec'].filter((d) => !opts.some((o) => o === d || o === d.slice(2) || o === `no${d}`));
    return { destination, type: 'tmpfs', source: 'tmpfs', options: [...defaults, ...opts] };
  }
  const source = checkAbsolute(m.source, 'mount source');
  const options = [m.type === 'bind' && m.recursive === false ? 'bind' : 'rbind', m.readonly ? 'ro' : 'rw'];
  options.push(m.type === 'bind' && m.propagation ? m.propagation : 'rprivate');
  return { destination, type: 'bind', source, options };
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}

/** The namespaced sysctl rule a key falls under; a key no container may set (not namespaced) throws. */
export function checkSysctlName(key: string): (typeof NAMESPACED_SYSCTLS)[number] {
  const rule = NAMESPACED_SYSCTLS.find((r) => (r.exact ? key === r.prefix : key.startsWith(r.prefix)));
  if (!rule) throw invalidArgument(`invalid sysctl "${key}": not namespaced, so a container cannot set it`);
  return rule;
}

function checkSysctls(sysctls: Record<string, string>, namespaces: SpecNamespace[]): Record<string, string> {
  for (const key of Object.keys(sysctls)) {
    const rule = checkSysctlName(key);
    const ns = namespaces.find((n) => n.type === rule.namespace);
    if (!ns || ns.path) {
      throw invalidArgument(`invalid sysctl "${key}": needs a private ${rule.namespace} namespace`);
    }
  }
  return { ...sysctls };
}

/** Writes config.json into a bundle directory atomically (the runtime never reads half a spec). */
export async function writeBundle(bundle: string, spec: RuntimeSpec): Promise<string> {
  await mkdir(bundle, { recursive: true, mode: 0o700 });
  const file = path.join(bundle, 'config.json');
  await writeJsonAtomic(file, spec, { durable: false, mode: 0o600 });
  return file;
}

export function generateSpec(input: SpecInput): RuntimeSpec {
  const privileged = input.privileged ?? false;
  const proc = input.process;
  if (!proc.args?.length) throw invalidArgument('cannot create container: no command given (no CMD or ENTRYPOINT)');
  const namespaces = namespacesFor(input);
  const has = (t: NamespaceType) => namespaces.some((n) => n.type === t);
  if (input.hostname && !has('uts')) throw invalidArgument('invalid hostname: conflicts with the host UTS namespace');
  if (has('user') && !(input.uidMappings?.length && input.gidMappings?.length)) {
    throw invalidArgument('invalid user namespace: uid and gid mappings are required');
  }

  const caps = resolveCapabilities({
    add: proc.capAdd,
    drop: proc.capDrop,
    privileged,
    host: input.host?.capabilities,
  });
  // dockerd's order: PATH, HOSTNAME and TERM first, each replaced in place by the container's
  // own value, then the container's others in their order; HOME last when it has none.
  const env = [DEFAULT_PATH_ENV, ...(input.hostname ? [`HOSTNAME=${input.hostname}`] : []), ...(proc.terminal ? ['TERM=xterm'] : [])];
  for (const e of proc.env ?? []) {
    const key = e.slice(0, e.indexOf('=') + 1) || `${e}=`;
    const at = env.findIndex((d) => d.startsWith(key));
    if (at >= 0) env[at] = e;
    else env.push(e);
  }
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${proc.home ?? '/'}`);
  const user = proc.user ?? { uid: 0, gid: 0 };
  for (const id of [user.uid, user.gid, ...(user.additionalGids ?? [])]) {
    if (!Number.isInteger(id) || id < 0 || id > 4294967294) throw invalidArgument(`invalid user id ${id}`);
  }

  const spec: RuntimeSpec = {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: proc.terminal ?? false,
      user: {
        uid: user.uid,
        gid: user.gid,
        ...(user.umask !== undefined ? { umask: user.umask } : {}),
        ...(user.additionalGids?.length ? { additionalGids: [...user.additionalGids] } : {}),
      },
      args: [...proc.args],
      env,
      cwd: checkAbsolute(proc.cwd || '/', 'working directory'),
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      rlimits: resolveRlimits(proc.rlimits, input.host?.limits),
      noNewPrivileges: proc.noNewPrivileges ?? false,
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs ?? false },
    mounts: [],
    linux: { namespaces },
  };
  if (proc.consoleSize) spec.process.consoleSize = { ...proc.consoleSize };
  if (proc.oomScoreAdj !== undefined) {
    if (!Number.isInteger(proc.oomScoreAdj) || proc.oomScoreAdj < -1000 || proc.oomScoreAdj > 1000) {
      throw invalidArgument(`invalid oom score adjustment ${proc.oomScoreAdj}: must be in -1000..1000`);
    }
    spec.process.oomScoreAdj = proc.oomScoreAdj;
  }
  if (input.hostname) spec.hostname = input.hostname;

  // User mounts replace a default at the same destination; parents mount before children.
  const user_mounts = (input.mounts ?? []).map(mountFor);
  const taken = new Set(user_mounts.map((m) => m.destination));
  const defaults = defaultMounts({ privileged, shmSize: input.shmSize ?? DEFAULT_SHM_SIZE }).filter(
    (m) => !taken.has(m.destination),
  );
  if (has('user') && !has('network')) {
    // sysfs cannot be mounted in a user namespace that does not own the network namespace.
    const sys = defaults.find((m) => m.destination === '/sys');
    if (sys) Object.assign(sys, { type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  }
  spec.mounts = [...defaults, ...user_mounts]
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map((x) => x.m);
  if (user_mounts.some((m) => m.options?.some((o) => /shared$/.test(o)))) spec.linux.rootfsPropagation = 'rshared';
  else if (user_mounts.some((m) => m.options?.some((o) => /slave$/.test(o)))) spec.linux.rootfsPropagation = 'rslave';

  if (input.uidMappings?.length) spec.linux.uidMappings = input.uidMappings.map((m) => ({ ...m }));
  if (input.gidMappings?.length) spec.linux.gidMappings = input.gidMappings.map((m) => ({ ...m }));

  const resources: SpecResources = { ...(input.resources ?? {}) };
  const extraDevices = input.devices ?? [];
  if (privileged) {
    spec.linux.devices = [...(input.host?.devices ?? hostDevices())];
    resources.devices = [{ allow: true, access: 'rwm' }];
  } else {
    spec.linux.devices = extraDevices.map((d) => ({ ...d.device }));
    resources.devices = [...defaultDeviceRules(), ...extraDevices.map((d) => ({ ...d.rule })), ...(input.deviceRules ?? []).map((r) => ({ ...r }))];
  }
  spec.linux.resources = resources;
  if (input.cgroupsPath) spec.linux.cgroupsPath = input.cgroupsPath;

  const seccomp = input.seccomp ?? 'default';
  if (!privileged && seccomp !== 'unconfined') {
    spec.linux.seccomp = seccompForContainer(seccomp === 'default' ? undefined : seccomp, {
      capabilities: caps,
      ...(input.host?.x32 !== undefined ? { x32: input.host.x32 } : {}),
    });
  }
  if (!privileged) {
    spec.linux.maskedPaths = [...(input.maskedPaths ?? DEFAULT_MASKED_PATHS)];
    spec.linux.readonlyPaths = [...(input.readonlyPaths ?? DEFAULT_READONLY_PATHS)];
  }
  if (input.sysctls && Object.keys(input.sysctls).length) spec.linux.sysctl = checkSysctls(input.sysctls, namespaces);

  const lsm = input.host?.security ?? detectSecurityModules();
  if (lsm.apparmor && !privileged) {
    const profile = input.apparmorProfile ?? (apparmorProfileLoaded('docker-default') ? 'docker-default' : undefined);
    if (profile && profile !== 'unconfined') spec.process.apparmorProfile = profile;
  } else if (input.apparmorProfile && input.apparmorProfile !== 'unconfined') {
    throw invalidArgument(`cannot use AppArmor profile "${input.apparmorProfile}": AppArmor is not enabled on this host`);
  }
  if (input.selinuxLabel || input.mountLabel) {
    if (!lsm.selinux) throw invalidArgument('cannot use an SELinux label: SELinux is not enabled on this host');
    if (input.selinuxLabel) spec.process.selinuxLabel = input.selinuxLabel;
    if (input.mountLabel) spec.linux.mountLabel = input.mountLabel;
  }
  if (input.annotations && Object.keys(input.annotations).length) spec.annotations = { ...input.annotations };
  if (input.hooks) {
    for (const [stage, hooks] of Object.entries(input.hooks)) {
      for (const h of hooks ?? []) checkAbsolute(h.path, `${stage} hook path`);
    }
    spec.hooks = structuredClone(input.hooks);
  }
  return spec;
}
