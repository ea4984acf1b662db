// create and run's flags (docker's), turned into the engine's ContainerSpec (parsing only;
// the engine checks), and the create both verbs share, with docker's pull output on stderr.
import * as fs from 'node:fs';
import { isIP } from 'node:net';
import {
  type ContainerRecord,
  type ContainerSpec,
  type MountRequest,
  parseDevice,
  parseDeviceCgroupRule,
  parseExpose,
  parseExtraHost,
  parseLogConfig,
} from '../engine/container.js';
import type { ContainerHost } from '../engine/host.js';
import type { PullEvent } from '../engine/images/index.js';
import { healthConfigFromFlags } from '../engine/health.js';
import { checkMountFlag, parseMount, parseTmpfs, parseVolume } from '../engine/mounts.js';
import { checkSecurityOptsGiven } from '../engine/spec.js';
import type { PullObserver } from '../engine/source.js';
import { parsePlatform } from '../image/platform.js';
import { type ErrorKind, invalidArgument, isBerthError } from '../internal/errors.js';
import { familiarString, familiarText, parseNormalizedReference, withDefaultTag } from '../reference/index.js';
import { parseBytes, parseDeviceBps, parseDeviceIops, parseRamBytes, parseWeightDevice, type ResourceInput } from '../runtime/cgroups.js';
import { capabilityName } from '../runtime/spec/capabilities.js';
import { checkSysctlName } from '../runtime/spec/generate.js';
import { parseUlimit } from '../runtime/spec/rlimits.js';
import { type FlagSpec, type Flags, plainCliError, usageError } from './flags.js';
import { envEntries, labelFileEntries } from './container-common.js';
import type { CliContext } from './main.js';
import { PullProgress } from './progress.js';

/** docker's cgroup flags, shared by create/run and update. */
export const RESOURCE_FLAGS: FlagSpec[] = [
  { name: 'memory', short: 'm', type: 'string', value: 'BYTES', description: 'Memory limit' },
  { name: 'memory-swap', type: 'string', value: 'BYTES', description: 'Memory plus swap limit (-1: unlimited swap)' },
  { name: 'memory-reservation', type: 'string', value: 'BYTES', description: 'Memory soft limit' },
  { name: 'memory-swappiness', type: 'string', value: 'N', description: 'Tune container memory swappiness (0 to 100; cgroup v1)' },
  { name: 'oom-kill-disable', type: 'bool', description: "Disable the OOM killer (cgroup v1)" },
  { name: 'cpus', type: 'string', value: 'N', description: 'Number of CPUs' },
  { name: 'cpu-shares', short: 'c', type: 'string', value: 'N', description: 'CPU shares (relative weight)' },
  { name: 'cpu-period', type: 'string', value: 'US', description: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', type: 'string', value: 'US', description: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpuset-cpus', type: 'string', value: 'LIST', description: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', type: 'string', value: 'LIST', description: 'Memory nodes in which to allow execution (0-3, 0,1)' },
  { name: 'pids-limit', type: 'string', value: 'N', description: 'Tune container pids limit (-1 for unlimited)' },
  { name: 'blkio-weight', type: 'string', value: 'N', description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable' },
  { name: 'cpu-rt-period', type: 'string', value: 'MICROSECONDS', description: 'Limit CPU real-time period in microseconds' },
  { name: 'cpu-rt-runtime', type: 'string', value: 'MICROSECONDS', description: 'Limit CPU real-time runtime in microseconds' },
];

export const CREATE_FLAGS: FlagSpec[] = [
  { name: 'name', type: 'string', value: 'NAME', description: 'Assign a name to the container' },
  { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open' },
  { name: 'attach', short: 'a', type: 'list', value: 'STREAM', description: 'Attach to STDIN, STDOUT or STDERR (default: STDOUT and STDERR)' },
  { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  { name: 'rm', type: 'bool', description: 'Remove the container when it exits' },
  { name: 'env', short: 'e', type: 'list', value: 'KEY=VALUE', description: 'Set environment variables' },
  { name: 'env-file', type: 'list', value: 'FILE', description: 'Read environment variables from a file' },
  { name: 'workdir', short: 'w', type: 'string', value: 'DIR', description: 'Working directory inside the container' },
  { name: 'user', short: 'u', type: 'string', value: 'USER[:GROUP]', description: 'User name or UID (and group)' },
  { name: 'entrypoint', type: 'string', value: 'CMD', description: "Overwrite the image's ENTRYPOINT" },
  { name: 'volume', short: 'v', type: 'list', value: 'SRC:CTR[:ro]', description: 'Bind mount a host path (/host:/ctr), a named volume (NAME:/ctr) or an anonymous one (/ctr)' },
  { name: 'mount', type: 'list', value: 'SPEC', description: 'Attach a mount: type=bind|volume|tmpfs,source=,target=[,readonly][,volume-nocopy]' },
  { name: 'volumes-from', type: 'list', value: 'CONTAINER[:ro|:rw]', description: "Mount the volumes and bind mounts of the container at the same places" },
  { name: 'tmpfs', type: 'list', value: 'DIR[:OPTS]', description: 'Mount a tmpfs' },
  { name: 'read-only', type: 'bool', description: "Mount the container's root filesystem read-only" },
  { name: 'privileged', type: 'bool', description: 'All capabilities, no seccomp, host devices' },
  { name: 'cap-add', type: 'list', value: 'CAP', description: 'Add Linux capabilities' },
  { name: 'cap-drop', type: 'list', value: 'CAP', description: 'Drop Linux capabilities' },
  { name: 'security-opt', type: 'list', value: 'OPT', description: 'Security options (no-new-privileges, seccomp=, apparmor=, label=)' },
  { name: 'pid', type: 'string', value: 'MODE', description: 'PID namespace: host, private or container:NAME' },
  { name: 'ipc', type: 'string', value: 'MODE', description: 'IPC namespace: host, private, shareable or container:NAME' },
  { name: 'uts', type: 'string', value: 'MODE', description: 'UTS namespace: host or private' },
  { name: 'network', type: 'string', value: 'MODE', aliases: ['net'], description: 'Network: none (default), host or container:NAME' },
  { name: 'hostname', short: 'h', type: 'string', value: 'NAME', description: 'Container host name' },
  { name: 'ulimit', type: 'list', value: 'NAME=SOFT[:HARD]', description: 'Ulimit options' },
  { name: 'init', type: 'bool', description: 'Run an init (tini) as PID 1 that forwards signals and reaps' },
  { name: 'label', short: 'l', type: 'list', value: 'KEY=VALUE', description: 'Set metadata on the container' },
  { name: 'restart', type: 'string', value: 'POLICY', description: 'no, always, on-failure[:N], unless-stopped' },
  ...RESOURCE_FLAGS,
  { name: 'shm-size', type: 'string', value: 'BYTES', description: 'Size of /dev/shm' },
  { name: 'runtime', type: 'string', value: 'NAME|PATH', description: 'OCI runtime (runc, crun or a path)' },
  { name: 'stop-signal', type: 'string', value: 'SIGNAL', description: 'Signal to stop the container' },
  { name: 'stop-timeout', type: 'string', value: 'SECONDS', description: 'Timeout to stop the container' },
  { name: 'pull', type: 'string', value: 'POLICY', description: 'Pull image before running: missing (default), never, always' },
  { name: 'userns', type: 'string', value: 'HOSTID:SIZE', description: 'Map container root to host ids HOSTID..+SIZE in a user namespace' },
  { name: 'sig-proxy', type: 'bool', description: 'Proxy received signals to the process (default true)' },
  { name: 'sysctl', type: 'list', value: 'KEY=VALUE', description: 'Namespaced kernel parameters (net.*, kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*)' },
  { name: 'device', type: 'list', value: 'HOST[:CTR[:PERMS]]', description: 'Add a host device to the container' },
  { name: 'group-add', type: 'list', value: 'GROUP', description: 'Add additional groups to join' },
  { name: 'oom-score-adj', type: 'string', value: 'N', description: "Tune host's OOM preferences (-1000 to 1000)" },
  { name: 'annotation', type: 'list', value: 'KEY=VALUE', description: 'Add an annotation to the container (passed through to the OCI runtime)' },
  { name: 'cgroupns', type: 'string', value: 'MODE', description: 'Cgroup namespace: host or private (default: private on cgroup v2, host on v1)' },
  { name: 'domainname', type: 'string', value: 'NAME', description: 'Container NIS domain name' },
  { name: 'label-file', type: 'list', value: 'FILE', description: 'Read in a line delimited file of labels' },
  { name: 'cidfile', type: 'string', value: 'FILE', description: 'Write the container ID to the file' },
  { name: 'platform', type: 'string', value: 'OS/ARCH', description: 'Set platform if server is multi-platform capable' },
  { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the pull output' },
  { name: 'add-host', type: 'list', value: 'HOST:IP', description: 'Add a custom host-to-IP mapping to /etc/hosts' },
  { name: 'dns', type: 'list', value: 'IP', description: 'Set custom DNS servers' },
  { name: 'dns-search', type: 'list', value: 'DOMAIN', description: 'Set custom DNS search domains' },
  { name: 'dns-option', type: 'list', value: 'OPT', aliases: ['dns-opt'], description: 'Set DNS options' },
  { name: 'blkio-weight-device', type: 'list', value: 'DEV:WEIGHT', description: 'Block IO weight (relative device weight)' },
  { name: 'kernel-memory', type: 'string', value: 'BYTES', description: 'Kernel memory limit (deprecated, as in docker)' },
  { name: 'device-read-bps', type: 'list', value: 'DEV:RATE', description: 'Limit read rate (bytes per second) from a device' },
  { name: 'device-write-bps', type: 'list', value: 'DEV:RATE', description: 'Limit write rate (bytes per second) to a device' },
  { name: 'device-read-iops', type: 'list', value: 'DEV:N', description: 'Limit read rate (IO per second) from a device' },
  { name: 'device-write-iops', type: 'list', value: 'DEV:N', description: 'Limit write rate (IO per second) to a device' },
  { name: 'expose', type: 'list', value: 'PORT', description: 'Expose a port or a range of ports (metadata until networks publish them)' },
  { name: 'publish', short: 'p', type: 'list', value: 'PORTS', description: "Publish a container's port(s) to the host (needs a bridged network: refused until berth has one)" },
  { name: 'publish-all', short: 'P', type: 'bool', description: 'Publish all exposed ports to random ports (refused, as -p)' },
  { name: 'device-cgroup-rule', type: 'list', value: 'RULE', description: "Add a rule to the cgroup allowed devices list (\"c 1:3 rwm\")" },
  { name: 'init-path', type: 'string', value: 'PATH', description: 'Path to the init binary --init runs' },
  { name: 'storage-opt', type: 'list', value: 'OPT', description: "Storage driver options for the container (none on berth's overlay)" },
  { name: 'isolation', type: 'string', value: 'TECH', description: 'Container isolation technology (default: the only one on Linux)' },
  { name: 'cgroup-parent', type: 'string', value: 'PATH', description: 'Parent cgroup for the container (default /berth)' },
  { name: 'gpus', type: 'string', value: 'GPUS', description: 'GPU devices to add (needs a GPU device driver: berth has none)' },
  { name: 'volume-driver', type: 'string', value: 'DRIVER', description: 'Volume driver for the container (local, the only one)' },
  { name: 'disable-content-trust', type: 'bool', description: 'Skip image verification (berth verifies no signatures: accepted as docker\'s default)' },
  { name: 'log-driver', type: 'string', value: 'DRIVER', description: 'Logging driver: json-file (default), k8s-file, local or none' },
  { name: 'log-opt', type: 'list', value: 'KEY=VALUE', description: 'Log driver options: max-size' },
  { name: 'health-cmd', type: 'string', value: 'CMD', description: 'Command to run to check health' },
  { name: 'health-interval', type: 'string', value: 'DURATION', description: 'Time between running the check (ms|s|m|h) (default 0s)' },
  { name: 'health-timeout', type: 'string', value: 'DURATION', description: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
  { name: 'health-start-period', type: 'string', value: 'DURATION', description: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
  { name: 'health-start-interval', type: 'string', value: 'DURATION', description: 'Time between running the check during the start period (ms|s|m|h) (default 0s: 5s)' },
  { name: 'health-retries', type: 'int', value: 'N', description: 'Consecutive failures needed to report unhealthy' },
  { name: 'no-healthcheck', type: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
];

/**
 * An integer flag as docker's CLI parses it (Go's strconv; --blkio-weight is unsigned): a bad
 * value is its flag error (125), `invalid argument "abc" for "-c, --cpu-shares" flag:
 * strconv.ParseInt: parsing "abc": invalid syntax`.
 */
function intFlag(flags: Flags, name: string): number | undefined {
  const v = flags.string(name);
  if (v === undefined) return undefined;
  const unsigned = name === 'blkio-weight';
  if (!(unsigned ? /^\+?\d+$/ : /^[+-]?\d+$/).test(v)) throw flags.valueError(name, v, `strconv.${unsigned ? 'ParseUint' : 'ParseInt'}: parsing "${v}": invalid syntax`);
  if (unsigned && Number(v) > 0xffff) throw flags.valueError(name, v, `strconv.ParseUint: parsing "${v}": value out of range`);
  return Number(v);
}


/**
 * A memory flag's bytes as docker's CLI parses them (--memory-swap alone takes -1, unlimited);
 * a bad value is its flag error: `invalid argument "-1" for "-m, --memory" flag: invalid size: '-1'`.
 */
function bytesFlag(flags: Flags, name: string): number | undefined {
  const v = flags.string(name);
  if (v === undefined) return undefined;
  if (v === '-1' && name === 'memory-swap') return -1;
  return flags.checked(name, v, parseRamBytes);
}

/**
 * --uts (and --pid, --ipc): host or private (podman's word; docker's is none); a bad one in
 * docker's words: its CLI's for --uts and --pid, its daemon's for --ipc.
 */
function hostOrPrivate(flags: Flags, name: 'uts' | 'pid' | 'ipc'): 'host' | 'private' | undefined {
  const v = flags.string(name);
  if (v === undefined || v === '' || v === 'private' || v === 'shareable') return v === undefined ? undefined : 'private';
  if (v === 'host') return 'host';
  if (name === 'ipc') throw daemonSide(invalidArgument(`Invalid IPC mode: ${v}`));
  throw invalidArgument(`--${name}: invalid ${name.toUpperCase()} mode`);
}

/** --pid and --ipc: host, private, or container:NAME (that running container's namespace). */
function namespaceMode(flags: Flags, name: 'pid' | 'ipc'): 'host' | 'private' | `container:${string}` | undefined {
  const v = flags.string(name);
  if (v?.startsWith('container:')) {
    if (v.length === 'container:'.length) {
      throw name === 'pid' ? invalidArgument('--pid: invalid PID mode') : invalidArgument(`invalid --${name} "${v}": name a container after "container:"`);
    }
    return v as `container:${string}`;
  }
  return hostOrPrivate(flags, name);
}



/** KEY=VALUE flags as a map (a bare KEY has an empty value; the last of a key wins). */
function keyValues(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of entries) {
    const eq = l.indexOf('=');
    out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return out;
}

/** --label-file's lines, then --label (which wins), as docker reads them. */
function labels(flags: Flags): Record<string, string> {
  const entries = [...flags.list('label-file').flatMap(labelFileEntries), ...flags.list('label')];
  // docker's check of a label: a name, without blanks.
  for (const l of entries) {
    const key = (l.includes('=') ? l.slice(0, l.indexOf('=')) : l).replace(/^[ \t]+/, '');
    if (key === '') throw invalidArgument(`invalid label '${l}': empty name`);
    if (/[ \t]/.test(key)) throw invalidArgument(`invalid label '${l}': label '${key}' contains whitespaces`);
  }
  return keyValues(entries);
}

/**
 * An error docker's daemon gives rather than its CLI: a create that fails with it exits 1, not
 * 125 (usageError leaves it unmarked); run exits 125 for either.
 */
function daemonSide<E>(err: E): E {
  if (err instanceof Error) Object.assign(err, { usage: false });
  return err;
}

/** `parse()`, its errors (of `kind`, if given) daemonSide's. */
function daemonChecked<T>(parse: () => T, kind?: ErrorKind): T {
  try {
    return parse();
  } catch (err) {
    throw kind === undefined || isBerthError(err, kind) ? daemonSide(err) : err;
  }
}

/**
 * --cap-add and --cap-drop as docker's CLI sends them: each name upper case with CAP_ before it
 * (ALL as it is), once, in sorted order.
 */
function capabilityNames(names: string[]): string[] {
  return [...new Set(names.map(capabilityName))].sort();
}

/** --ulimit as docker's CLI sends them: one a name (the last given), in the names' order. */
function ulimitsByName(values: string[]): string[] {
  const byName = new Map(values.map((v) => [v.trim().split('=')[0], v.trim()]));
  return [...byName.keys()].sort().map((k) => byName.get(k) as string);
}

/** --mount: its fields checked as docker's CLI checks them (its flag error), the rest as its daemon does (create exits 1). */
function mountRequests(flags: Flags): MountRequest[] {
  for (const m of flags.list('mount')) flags.checked('mount', m, checkMountFlag);
  return flags.list('mount').map((m) => daemonChecked(() => parseMount(m)));
}

const IPC_SYSCTLS = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];

/** --sysctl KEY=VALUE: which keys a container may set is the spec's check (namespaced ones only). */
function sysctls(flags: Flags): Record<string, string> | undefined {
  const list = flags.list('sysctl');
  if (list.length === 0) return undefined;
  // docker's CLI's list: a few IPC keys, and the net. and fs.mqueue. trees (its flag error).
  for (const e of list) {
    const key = e.split('=')[0];
    const allowed = e.includes('=') && (IPC_SYSCTLS.includes(key) || key.startsWith('net.') || key.startsWith('fs.mqueue.'));
    if (!allowed) throw flags.valueError('sysctl', e, `sysctl '${e}' is not allowed`);
  }
  return keyValues(list);
}

function annotations(flags: Flags): Record<string, string> | undefined {
  const list = flags.list('annotation');
  if (list.length === 0) return undefined;
  for (const e of list) {
    if (!/^[^=]+=/.test(e)) throw invalidArgument(`invalid --annotation "${e}": want KEY=VALUE`);
  }
  return keyValues(list);
}

/** docker's --restart POLICY as its CLI parses it: a name and a count, or its words for the form. */
export function parseRestartPolicy(v: string): { name: string; retries: number } {
  const colon = v.indexOf(':');
  if (colon === 0) throw invalidArgument('invalid restart policy format: no policy provided before colon');
  const count = colon < 0 ? '' : v.slice(colon + 1);
  // Go's Atoi: an optional sign, then digits.
  if (count !== '' && !/^[+-]?\d+$/.test(count)) throw invalidArgument('invalid restart policy format: maximum retry count must be an integer');
  return { name: colon < 0 ? v : v.slice(0, colon), retries: Number(count) };
}

/**
 * docker's --restart POLICY; "no" (or nothing) is no policy. Refused in docker's words: its
 * CLI's for the form (parseRestartPolicy), its daemon's (20.10) for the rest.
 */
export function restartPolicy(v: string | undefined, parsed = v ? parseRestartPolicy(v) : undefined): ContainerSpec['restart'] {
  if (!parsed) return undefined;
  const { name, retries } = parsed;
  if (name !== 'no' && name !== 'always' && name !== 'unless-stopped' && name !== 'on-failure') throw invalidArgument(`invalid restart policy '${name}'`);
  if (retries !== 0 && name !== 'on-failure') throw invalidArgument(`maximum retry count cannot be used with restart policy '${name}'`);
  if (retries < 0) throw invalidArgument('maximum retry count cannot be negative');
  if (name === 'no') return undefined;
  return { name, ...(retries > 0 ? { maximumRetryCount: retries } : {}) };
}

/**
 * docker's -a/--attach: the streams named (none with -d), or all three by default (stdin only
 * with -i, the caller's rule). A stream it does not know is its flag error, found before -d's
 * conflict as pflag finds it.
 */
export function attachedStreams(flags: Flags): { stdin: boolean; stdout: boolean; stderr: boolean } {
  const names = flags.list('attach');
  const wanted = new Set<string>();
  for (const n of names) {
    const s = n.toLowerCase();
    if (s !== 'stdin' && s !== 'stdout' && s !== 'stderr') throw flags.valueError('attach', n, 'valid streams are STDIN, STDOUT and STDERR');
    wanted.add(s);
  }
  if (names.length === 0) return { stdin: true, stdout: true, stderr: true };
  if (flags.bool('detach')) throw plainCliError(invalidArgument('conflicting options: cannot specify both --attach and --detach'));
  return { stdin: wanted.has('stdin'), stdout: wanted.has('stdout'), stderr: wanted.has('stderr') };
}

/** docker's Config.AttachStdin/Stdout/Stderr: what run or create -a names, else stdout and stderr (and stdin with -i); none with run -d. */
function attachRecord(flags: Flags): NonNullable<ContainerSpec['attach']> {
  const given = attachedStreams(flags);
  if (flags.bool('detach')) return { stdin: false, stdout: false, stderr: false };
  if (flags.list('attach').length === 0) return { stdin: flags.bool('interactive'), stdout: true, stderr: true };
  return given;
}

/** The RESOURCE_FLAGS given, in the engine's terms (only those set: update changes only them). */
export function resourcesFromFlags(flags: Flags): ResourceInput {
  const out: ResourceInput = {};
  const memory = bytesFlag(flags, 'memory');
  if (memory !== undefined) out.memory = memory;
  const memorySwap = bytesFlag(flags, 'memory-swap');
  if (memorySwap !== undefined) out.memorySwap = memorySwap;
  const memoryReservation = bytesFlag(flags, 'memory-reservation');
  if (memoryReservation !== undefined) out.memoryReservation = memoryReservation;
  const swappiness = intFlag(flags, 'memory-swappiness');
  if (swappiness !== undefined) out.memorySwappiness = swappiness;
  // --oom-kill-disable=false is given too: update clears a recorded one with it.
  if (flags.has('oom-kill-disable')) out.oomKillDisable = flags.bool('oom-kill-disable');
  const cpus = flags.string('cpus');
  if (cpus !== undefined) {
    if (!/^\d*\.?\d+$/.test(cpus)) throw flags.valueError('cpus', cpus, `failed to parse ${cpus} as a rational number`);
    out.cpus = Number(cpus);
  }
  const cpuShares = intFlag(flags, 'cpu-shares');
  if (cpuShares !== undefined) out.cpuShares = cpuShares;
  const cpuPeriod = intFlag(flags, 'cpu-period');
  if (cpuPeriod !== undefined) out.cpuPeriod = cpuPeriod;
  const cpuQuota = intFlag(flags, 'cpu-quota');
  if (cpuQuota !== undefined) out.cpuQuota = cpuQuota;
  const cpusetCpus = flags.string('cpuset-cpus');
  if (cpusetCpus !== undefined) out.cpusetCpus = cpusetCpus;
  const cpusetMems = flags.string('cpuset-mems');
  if (cpusetMems !== undefined) out.cpusetMems = cpusetMems;
  const pidsLimit = intFlag(flags, 'pids-limit');
  if (pidsLimit !== undefined) out.pidsLimit = pidsLimit;
  const weight = intFlag(flags, 'blkio-weight');
  if (weight !== undefined) out.blkioWeight = weight;
  const rtPeriod = intFlag(flags, 'cpu-rt-period');
  if (rtPeriod !== undefined) out.cpuRtPeriod = rtPeriod;
  const rtRuntime = intFlag(flags, 'cpu-rt-runtime');
  if (rtRuntime !== undefined) out.cpuRtRuntime = rtRuntime;
  return out;
}

/** create and run's block I/O limits and kernel memory (not update's, as docker's update has none). */
function createOnlyResourcesFromFlags(flags: Flags): ResourceInput {
  const out: ResourceInput = {};
  if (flags.list('blkio-weight-device').length) out.blkioWeightDevice = flags.list('blkio-weight-device').map(parseWeightDevice);
  const kernelMemory = bytesFlag(flags, 'kernel-memory');
  if (kernelMemory !== undefined) out.kernelMemory = kernelMemory;
  const bps = (name: 'device-read-bps' | 'device-write-bps') => flags.list(name).map((v) => parseDeviceBps(`--${name}`, v));
  const iops = (name: 'device-read-iops' | 'device-write-iops') => flags.list(name).map((v) => parseDeviceIops(`--${name}`, v));
  if (flags.list('device-read-bps').length) out.deviceReadBps = bps('device-read-bps');
  if (flags.list('device-write-bps').length) out.deviceWriteBps = bps('device-write-bps');
  if (flags.list('device-read-iops').length) out.deviceReadIops = iops('device-read-iops');
  if (flags.list('device-write-iops').length) out.deviceWriteIops = iops('device-write-iops');
  return out;
}

/** The flags of create/run (after the image) as a ContainerSpec. */
export function containerSpecFrom(flags: Flags, image: string, cmd: string[]): ContainerSpec {
  const network = flags.string('network');
  const joinsNetwork = network?.startsWith('container:') === true;
  // Publishing needs a network of the container's own behind a host port: berth has none yet.
  if (flags.list('publish').length > 0 || flags.bool('publish-all')) {
    throw invalidArgument('cannot publish ports (-p/--publish, -P): berth has no bridged networks yet; with --network host the container listens on the host\'s own addresses');
  }
  if (network !== undefined && network !== 'none' && network !== 'host' && !(joinsNetwork && network.length > 'container:'.length)) {
    throw invalidArgument(`invalid --network "${network}": berth supports none, host and container:NAME (bridged networks come later)`);
  }
  // docker's rule: a container on another's network stack takes its host name and /etc files too.
  if (joinsNetwork) {
    for (const [flag, given] of [['hostname', flags.string('hostname') !== undefined], ['domainname', flags.string('domainname') !== undefined], ['dns', flags.list('dns').length > 0], ['add-host', flags.list('add-host').length > 0]] as const) {
      if (given) throw invalidArgument(`conflicting options: --${flag} and the network mode (${network})`);
    }
  }
  const entrypoint = flags.string('entrypoint');
  const userns = flags.string('userns');
  let usernsMap: ContainerSpec['userns'];
  if (userns !== undefined && userns !== '' && userns !== 'host') {
    const m = /^(\d+):(\d+)$/.exec(userns);
    if (!m) throw invalidArgument(`invalid --userns "${userns}": want HOSTID:SIZE (container root maps to HOSTID)`);
    usernsMap = { hostId: Number(m[1]), size: Number(m[2]) };
  }
  const pull = flags.string('pull');
  if (pull !== undefined && !['missing', 'never', 'always'].includes(pull)) {
    throw invalidArgument(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }
  const stopTimeout = intFlag(flags, 'stop-timeout');
  const shm = bytesFlag(flags, 'shm-size');
  const pidMode = namespaceMode(flags, 'pid');
  // docker's shareable: its /dev/shm on the host, for containers that join its IPC.
  const ipcMode = flags.string('ipc') === 'shareable' ? 'shareable' : namespaceMode(flags, 'ipc');
  const utsMode = hostOrPrivate(flags, 'uts');
  const oomScoreAdj = intFlag(flags, 'oom-score-adj');
  if (oomScoreAdj !== undefined && (oomScoreAdj < -1000 || oomScoreAdj > 1000)) {
    throw daemonSide(invalidArgument(`invalid --oom-score-adj ${oomScoreAdj}: range for oom score adj is [-1000, 1000]`));
  }
  const cgroupns = flags.string('cgroupns');
  if (cgroupns !== undefined && cgroupns !== 'host' && cgroupns !== 'private') throw invalidArgument('--cgroupns: invalid CGROUP mode');
  const platform = flags.string('platform');
  if (platform !== undefined && parsePlatform(platform).os !== 'linux') throw invalidArgument(`invalid --platform "${platform}": berth runs linux containers only`);
  const groupAdd = flags.list('group-add');
  for (const g of groupAdd) if (!/^[^:\s]+$/.test(g)) throw invalidArgument(`invalid --group-add "${g}": want a group name or id`);
  const extraHosts = flags.list('add-host');
  for (const h of extraHosts) flags.checked('add-host', h, parseExtraHost);
  const dns = flags.list('dns');
  for (const d of dns) if (isIP(d) === 0) throw flags.valueError('dns', d, `IP address is not correctly formatted: ${d}`);
  const log = parseLogConfig(flags.string('log-driver'), flags.list('log-opt'), parseBytes);
  if (flags.list('storage-opt').length > 0) {
    throw invalidArgument("invalid --storage-opt: berth's overlay driver has no per-container options (docker's size quota needs overlay on xfs with pquota)");
  }
  const isolation = flags.string('isolation');
  if (isolation !== undefined && isolation !== '' && isolation !== 'default') throw invalidArgument(`invalid --isolation "${isolation}": linux only supports 'default'`);
  // docker's error when no GPU device driver (nvidia's) is installed: berth has none.
  if (flags.string('gpus') !== undefined) throw invalidArgument(`could not select device driver "" with capabilities: [[gpu]]`);
  const volumeDriver = flags.string('volume-driver');
  if (volumeDriver !== undefined && volumeDriver !== '' && volumeDriver !== 'local') {
    throw invalidArgument(`error looking up volume plugin ${volumeDriver}: plugin "${volumeDriver}" not found (berth has the local driver only)`);
  }
  const cgroupParent = parseCgroupParent(flags.string('cgroup-parent'));
  const volumeMounts = flags.list('volume').map((v) => daemonChecked(() => parseVolume(v)));
  const exposed = [...new Set(flags.list('expose').flatMap(parseExpose))];
  const deviceRules = flags.list('device-cgroup-rule');
  for (const r of deviceRules) parseDeviceCgroupRule(r);
  const initPath = flags.string('init-path');
  if (initPath !== undefined && !initPath.startsWith('/')) throw invalidArgument(`invalid --init-path "${initPath}": want an absolute path`);
  const sysctlMap = sysctls(flags);
  // Values docker's CLI parses itself (125 from create too): the runtime's checks, run early.
  for (const u of flags.list('ulimit')) parseUlimit(u);
  for (const key of Object.keys(sysctlMap ?? {})) checkSysctlName(key);
  checkSecurityOptsGiven(flags.list('security-opt'));
  const annotationMap = annotations(flags);
  const devices = flags.list('device').map(parseDevice);
  // The form is the CLI's to refuse (125), the policy its daemon's (1).
  const restartFlag = flags.string('restart');
  const parsedRestart = restartFlag ? parseRestartPolicy(restartFlag) : undefined;
  const restart = daemonChecked(() => restartPolicy(restartFlag, parsedRestart));
  if (restart && flags.bool('rm')) throw invalidArgument('conflicting options: cannot specify both --restart and --rm');
  const healthcheck = healthConfigFromFlags({
    ...(flags.string('health-cmd') !== undefined ? { cmd: flags.string('health-cmd') } : {}),
    ...(flags.string('health-interval') !== undefined ? { interval: flags.string('health-interval') } : {}),
    ...(flags.string('health-timeout') !== undefined ? { timeout: flags.string('health-timeout') } : {}),
    ...(flags.string('health-start-period') !== undefined ? { startPeriod: flags.string('health-start-period') } : {}),
    ...(flags.string('health-start-interval') !== undefined ? { startInterval: flags.string('health-start-interval') } : {}),
    ...(flags.int('health-retries') !== undefined ? { retries: flags.int('health-retries') } : {}),
    none: flags.bool('no-healthcheck'),
  });
  const spec: ContainerSpec = {
    image,
    ...(cmd.length ? { cmd } : {}),
    ...(entrypoint !== undefined ? { entrypoint: entrypoint === '' ? [''] : [entrypoint] } : {}),
    env: envEntries(flags),
    labels: labels(flags),
    tty: flags.bool('tty'),
    openStdin: flags.bool('interactive'),
    attach: attachRecord(flags),
    // A --mount of a type berth has not (unsupported) is refused by docker's daemon, its syntax by its CLI.
    mounts: [...volumeMounts, ...mountRequests(flags), ...flags.list('tmpfs').map((t) => daemonChecked(() => parseTmpfs(t)))],
    // docker's HostConfig.Binds: each -v that names a host path or a volume, as given.
    binds: flags.list('volume').filter((_, i) => !isAnonymous(volumeMounts[i])),
    ...(flags.list('mount').length > 0 ? { mountArgs: flags.list('mount') } : {}),
    ...(flags.string('cidfile') !== undefined ? { cidfile: flags.string('cidfile') } : {}),
    // and Config.Volumes: the anonymous ones' destinations (the image's are added by inspect).
    ...(volumeMounts.some(isAnonymous) ? { volumes: volumeMounts.filter(isAnonymous).map((m) => m.destination) } : {}),
    ...(flags.list('volumes-from').length ? { volumesFrom: flags.list('volumes-from') } : {}),
    readonlyRootfs: flags.bool('read-only'),
    privileged: flags.bool('privileged'),
    capAdd: capabilityNames(flags.list('cap-add')),
    capDrop: capabilityNames(flags.list('cap-drop')),
    securityOpt: flags.list('security-opt'),
    ulimits: ulimitsByName(flags.list('ulimit')),
    init: flags.bool('init'),
    autoRemove: flags.bool('rm'),
    resources: { ...resourcesFromFlags(flags), ...createOnlyResourcesFromFlags(flags) },
    ...(flags.string('workdir') !== undefined ? { workingDir: flags.string('workdir') } : {}),
    ...(flags.string('user') !== undefined ? { user: flags.string('user') } : {}),
    ...(flags.string('hostname') !== undefined ? { hostname: flags.string('hostname') } : {}),
    ...(flags.string('stop-signal') !== undefined ? { stopSignal: flags.string('stop-signal') } : {}),
    ...(stopTimeout !== undefined ? { stopTimeout } : {}),
    ...(shm !== undefined ? { shmSize: shm } : {}),
    ...(pidMode ? { pidMode } : {}),
    ...(ipcMode ? { ipcMode } : {}),
    ...(utsMode ? { utsMode } : {}),
    ...(network ? { networkMode: network as 'none' } : {}),
    ...(restart ? { restart } : {}),
    ...(flags.string('runtime') !== undefined ? { runtime: flags.string('runtime') } : {}),
    ...(usernsMap ? { userns: usernsMap } : {}),
    ...(sysctlMap ? { sysctls: sysctlMap } : {}),
    ...(devices.length ? { devices } : {}),
    ...(groupAdd.length ? { groupAdd } : {}),
    ...(oomScoreAdj !== undefined ? { oomScoreAdj } : {}),
    ...(annotationMap ? { annotations: annotationMap } : {}),
    ...(cgroupns ? { cgroupnsMode: cgroupns as 'host' } : {}),
    ...(cgroupParent ? { cgroupParent } : {}),
    ...(flags.string('domainname') !== undefined ? { domainname: flags.string('domainname') } : {}),
    ...(platform !== undefined ? { platform } : {}),
    ...(extraHosts.length ? { extraHosts } : {}),
    ...(log ? { log } : {}),
    ...(exposed.length ? { exposedPorts: exposed } : {}),
    ...(deviceRules.length ? { deviceCgroupRules: deviceRules } : {}),
    ...(initPath ? { initPath } : {}),
    ...(dns.length ? { dns } : {}),
    ...(flags.list('dns-search').length ? { dnsSearch: flags.list('dns-search') } : {}),
    ...(flags.list('dns-option').length ? { dnsOptions: flags.list('dns-option') } : {}),
    ...(healthcheck ? { healthcheck } : {}),
  };
  if (spec.domainname !== undefined && spec.utsMode === 'host') throw invalidArgument('conflicting options: --domainname and --uts=host');
  if (spec.hostname !== undefined && spec.utsMode === 'host') throw daemonSide(invalidArgument('conflicting options: hostname and the UTS mode'));
  return spec;
}

/**
 * What create and run share: the container from `IMAGE [COMMAND...]` and the create flags
 * (--name, --pull). The engine's create module loads here, not in every verb that imports this file.
 */
export async function createFromFlags(
  host: ContainerHost,
  flags: Flags,
  options: { startNow?: boolean; ctx?: CliContext } = {},
): Promise<{ spec: ContainerSpec; rec: ContainerRecord }> {
  const { createContainer } = await import('../engine/create.js');
  const [image, ...cmd] = flags.args;
  // docker's CLI checks these values itself (125); the engine's refusals below are its daemon's.
  let spec: ContainerSpec;
  try {
    spec = containerSpecFrom(flags, image, cmd);
  } catch (err) {
    throw usageError(err);
  }
  const name = flags.string('name');
  const pull = flags.string('pull') as 'missing' | undefined;
  const cidfile = flags.string('cidfile');
  // docker makes the file first, so a second container with the same --cidfile fails before it is created.
  let cidFd: number | undefined;
  if (cidfile !== undefined) {
    try {
      cidFd = fs.openSync(cidfile, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw invalidArgument(`container ID file found, make sure the other container isn't running or delete ${cidfile}`);
      }
      throw invalidArgument(`cannot create the container ID file ${cidfile}: ${(err as Error).message}`);
    }
  }
  let rec: ContainerRecord;
  try {
    const pullObserver = options.ctx && !flags.bool('quiet') ? pullOutput(options.ctx) : undefined;
    rec = await createContainer(host, spec, {
      ...(name !== undefined ? { name } : {}),
      ...(pull ? { pull } : {}),
      ...(spec.platform ? { platform: spec.platform } : {}),
      ...(pullObserver ? { pullObserver } : {}),
      ...(options.startNow ? { startNow: true } : {}),
      // docker prints the daemon's warnings (a setting this host cannot apply) on stderr.
      ...(options.ctx ? { onWarning: (text: string) => options.ctx?.err(`WARNING: ${text}\n`) } : {}),
    });
  } catch (err) {
    if (cidFd !== undefined) {
      fs.closeSync(cidFd);
      fs.rmSync(cidfile as string, { force: true });
    }
    throw err;
  }
  if (cidFd !== undefined) {
    fs.writeSync(cidFd, rec.id);
    fs.closeSync(cidFd);
  }
  return { spec, rec };
}

/** docker's name for an image to pull: familiar, with the default tag when none is given ("busybox:latest"). */
function familiarWithTag(query: string): string {
  try {
    return familiarString(withDefaultTag(parseNormalizedReference(query)));
  } catch {
    return familiarText(query);
  }
}

/** docker run's output on stderr when the image must be pulled first (-q: none). */
function pullOutput(ctx: CliContext): PullObserver {
  let progress: { onEvent(e: PullEvent): void; finish(): void } | undefined;
  let fetched = false;
  return {
    missing(query) {
      ctx.err(`Unable to find image '${familiarWithTag(query)}' locally\n`);
      progress = new PullProgress(ctx.stderr, (ctx.stderr as NodeJS.WriteStream).isTTY === true);
    },
    event(e) {
      if (e.type === 'layer' && e.phase === 'downloading') fetched = true;
      progress?.onEvent(e);
    },
    pulled(result) {
      progress?.finish();
      ctx.err(`Digest: ${result.digest}\n`);
      const familiar = familiarText(result.reference);
      ctx.err(fetched ? `Status: Downloaded newer image for ${familiar}\n` : `Status: Image is up to date for ${familiar}\n`);
    },
  };
}

/**
 * --cgroup-parent as an absolute cgroupfs path ("/a/b"): a relative one is taken from the root
 * (docker resolves it against its daemon's cgroup; a daemonless CLI's own cgroup changes from one
 * command to the next). No "..", no empty or dot components.
 */
export function parseCgroupParent(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  const parts = text.split('/').filter((p) => p !== '');
  if (parts.length === 0) throw invalidArgument(`invalid --cgroup-parent "${text}": not the root itself`);
  for (const p of parts) {
    if (p === '.' || p === '..' || !/^[A-Za-z0-9_.:@-]+$/.test(p)) throw invalidArgument(`invalid --cgroup-parent "${text}": "${p}" is not a cgroup name`);
  }
  return `/${parts.join('/')}`;
}

/** An anonymous -v (/ctr alone): docker lists it in Config.Volumes, not in HostConfig.Binds. */
function isAnonymous(m: MountRequest): boolean {
  return m.type === 'volume' && m.name === '';
}
