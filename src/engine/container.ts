// The container as berth records it: a closed status enum, the user's settings (docker's flags,
// parsed), and the live facts (pids, times, exit) kept in containers/<id>/config.json.
import type { Digest } from '../digest/digest.js';
import { isIP } from 'node:net';
import { type BerthError, failedPrecondition, invalidArgument } from '../internal/errors.js';
import type { ResourceInput } from '../runtime/cgroups.js';
import type { JoinMode } from './joins.js';
import { randomBytes, randomHex } from '../internal/random.js';
import type { HealthConfig } from '../image/types.js';
import type { HealthState } from './health.js';

/** docker's states; "removing" while rm runs, "dead" when cleanup failed half way. */
export const CONTAINER_STATUSES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] as const;
export type ContainerStatus = (typeof CONTAINER_STATUSES)[number];

/** Whether the container's processes exist: it runs, or runs frozen (paused). */
export function isLive(status: ContainerStatus): boolean {
  return status === 'running' || status === 'paused';
}

/**
 * Whether the container is up as docker counts it (ps without -a, system df's ACTIVE, what a
 * stop or rm -f must end): live, or between the runs of its restart policy.
 */
export function isActive(status: ContainerStatus): boolean {
  return isLive(status) || status === 'restarting';
}

/** dockerd's refusal of a container that does not run (its errNotRunning): the full ID, as it says it. */
export function notRunning(rec: Pick<ContainerRecord, 'id'>): BerthError {
  return failedPrecondition(`Container ${rec.id} is not running`);
}

/**
 * A -v, --mount or --tmpfs request, checked (absolute destination, host source exists). A
 * volume's name is "" for an anonymous one until create gives it one (a record always names it).
 */
export type MountRequest =
  /** createSource: a -v bind whose host dir is made at the start when missing (docker's -v; --mount's must exist). */
  | { type: 'bind'; source: string; destination: string; readonly: boolean; propagation?: string; createSource?: boolean }
  | { type: 'tmpfs'; destination: string; options: string[] }
  | {
      type: 'volume';
      name: string;
      destination: string;
      readonly: boolean;
      nocopy?: boolean;
      /** --mount's volume-label= and volume-opt=: for a volume the create makes (dropped from the record once it is made). */
      labels?: Record<string, string>;
      driverOptions?: Record<string, string>;
    };

/** Everything `create` takes; defaults are docker's. */
export interface ContainerSpec {
  /** The image reference or layer ID the user gave. */
  image: string;
  /** The command after the image; replaces the image's Cmd. */
  cmd?: string[];
  /** --entrypoint: replaces the image's Entrypoint ("" clears it). */
  entrypoint?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  labels?: Record<string, string>;
  tty?: boolean;
  openStdin?: boolean;
  /** docker's Config.AttachStdin/Stdout/Stderr: the streams `run` or `create` attached (absent in older records). */
  attach?: { stdin: boolean; stdout: boolean; stderr: boolean };
  stopSignal?: string;
  stopTimeout?: number;
  mounts?: MountRequest[];
  /** docker's HostConfig.Binds: the -v values that name a host path or a volume, as given (absent in records made before it). */
  binds?: string[];
  /** The --mount values as given: docker's HostConfig.Mounts. */
  mountArgs?: string[];
  /** --cidfile: docker's HostConfig.ContainerIDFile. */
  cidfile?: string;
  /** The destinations of anonymous -v volumes (docker's Config.Volumes, with the image's VOLUMEs). */
  volumes?: string[];
  /** --volumes-from CONTAINER[:ro|:rw]: resolved into `mounts` at create, kept for inspect. */
  volumesFrom?: string[];
  readonlyRootfs?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  /** --security-opt values: no-new-privileges, seccomp=unconfined|FILE, apparmor=P, label=..., systempaths=unconfined. */
  securityOpt?: string[];
  /** private, host, or container:<ID> (joins that container's namespace; joins.ts). */
  pidMode?: 'private' | 'host' | JoinMode;
  /** shareable: its /dev/shm is a tmpfs on the host, which containers joining its IPC get too. */
  ipcMode?: 'private' | 'shareable' | 'host' | JoinMode;
  utsMode?: 'private' | 'host';
  networkMode?: 'none' | 'host' | JoinMode;
  /** --ulimit values, "nofile=1024:2048". */
  ulimits?: string[];
  init?: boolean;
  autoRemove?: boolean;
  restart?: { name: 'no' | 'always' | 'on-failure' | 'unless-stopped'; maximumRetryCount?: number };
  resources?: ResourceInput;
  shmSize?: number;
  /** --runtime NAME|PATH. */
  runtime?: string;
  /** --userns: a single mapping "host:size" for container root. */
  userns?: { hostId: number; size: number };
  /** --sysctl KEY=VALUE: namespaced kernel parameters. */
  sysctls?: Record<string, string>;
  /** --device HOST[:CONTAINER[:PERMISSIONS]]: a host device node (or a dir of them) for the container. */
  devices?: DeviceRequest[];
  /** --group-add: supplementary groups, by name (the container's /etc/group) or gid. */
  groupAdd?: string[];
  /** --oom-score-adj, -1000..1000. */
  oomScoreAdj?: number;
  /** --annotation KEY=VALUE: OCI annotations for the runtime. */
  annotations?: Record<string, string>;
  /** --cgroupns: private by default on cgroup v2, the host's on v1 (docker's defaults). */
  cgroupnsMode?: 'private' | 'host';
  /** --cgroup-parent: the cgroupfs parent of the container's cgroup, absolute; default /berth. */
  cgroupParent?: string;
  /** --domainname: the NIS domain name in the container's UTS namespace. */
  domainname?: string;
  /** --platform os/arch[/variant]: the image must be (or be pulled) for it. */
  platform?: string;
  /** --add-host: "HOST:IP" lines added to the container's /etc/hosts. */
  extraHosts?: string[];
  /** --dns, --dns-search, --dns-option: replace those lines of the host's resolv.conf. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --expose: ports the container listens on, "80/tcp" (metadata until networks publish them). */
  exposedPorts?: string[];
  /** --device-cgroup-rule "c 1:3 rwm": device cgroup rules beside the default ones. */
  deviceCgroupRules?: string[];
  /** --init-path: the init binary --init mounts (default: tini or catatonit from the host). */
  initPath?: string;
  /** --log-driver and --log-opt, checked (parseLogConfig). */
  log?: LogConfig;
  /**
   * docker's Healthcheck: --health-* and --no-healthcheck as given, replaced at create by the
   * resolved config (the image's, overridden field by field; Test ["NONE"]: no check).
   */
  healthcheck?: HealthConfig;
}

/** A container's log: conmon's k8s-file (what json-file and local ask for too), or none. */
export interface LogConfig {
  driver: 'k8s-file' | 'json-file' | 'local' | 'none';
  /** --log-opt as given (docker's HostConfig.LogConfig.Config). */
  options: Record<string, string>;
  /** max-size in bytes: conmon starts the file over past it. */
  maxSize?: number;
}

const LOG_DRIVERS = ['json-file', 'k8s-file', 'local', 'none'];

/** docker's --log-driver/--log-opt, as far as conmon's log goes: one file, optionally capped by max-size. */
export function parseLogConfig(driver: string | undefined, opts: string[], parseBytes: (text: string) => number): LogConfig | undefined {
  if (driver === undefined && opts.length === 0) return undefined;
  const d = driver ?? 'json-file';
  if (!LOG_DRIVERS.includes(d)) throw invalidArgument(`invalid --log-driver "${d}": berth keeps its log with conmon: want ${LOG_DRIVERS.join(', ')}`);
  const options: Record<string, string> = {};
  for (const o of opts) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw invalidArgument(`invalid --log-opt "${o}": want KEY=VALUE`);
    options[o.slice(0, eq)] = o.slice(eq + 1);
  }
  const out: LogConfig = { driver: d as LogConfig['driver'], options };
  for (const [k, v] of Object.entries(options)) {
    if (d === 'none') throw invalidArgument(`invalid --log-opt "${k}": the none log driver takes no options`);
    if (k === 'max-size') {
      if (v !== '-1') out.maxSize = parseBytes(v);
    } else if (k === 'max-file') {
      // docker's check; more than one is taken, create warns that berth keeps one (logFileWarning).
      if (!/^\d+$/.test(v) || Number(v) < 1) throw invalidArgument(`invalid value for max-file: ${v}: max-file must be a positive integer`);
    } else if (!['mode', 'max-buffer-size', 'tag', 'labels', 'env', 'compress'].includes(k)) {
      throw invalidArgument(`unknown log opt '${k}' for ${d} log driver`);
    }
  }
  return out;
}

/**
 * What create says of a log that asks docker's json-file for more than one file: conmon keeps
 * one, started over past max-size, so berth keeps the newest max-size of output where docker
 * keeps up to max-file files of it. Undefined when nothing differs.
 */
export function logFileWarning(log: LogConfig | undefined): string | undefined {
  const files = Number(log?.options['max-file'] ?? '1');
  if (files <= 1) return undefined;
  if (log?.maxSize === undefined) return `--log-opt max-file=${files} has no effect without max-size (as docker's)`;
  return `berth keeps one log file (conmon's), which starts over past max-size: at most ${log.options['max-size']} of the newest output is kept, not max-file=${files} files of it`;
}

/**
 * docker's --add-host HOST:IP (or HOST=IP, IPv6 in brackets or not): a host name and an IPv4 or
 * IPv6 address; refused in docker's CLI's words (the why of its flag error).
 */
export function parseExtraHost(text: string): { host: string; ip: string } {
  const sep = text.includes('=') ? text.indexOf('=') : text.indexOf(':');
  const host = sep < 0 ? '' : text.slice(0, sep);
  const ip = sep < 0 ? '' : text.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
  if (host === '' || /\s/.test(host)) throw invalidArgument(`bad format for add-host: ${JSON.stringify(text)}`);
  if (ip === 'host-gateway') throw invalidArgument(`invalid --add-host "${text}": host-gateway needs a bridged network, which berth does not have yet`);
  if (isIP(ip) === 0) throw invalidArgument(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  return { host, ip };
}

/** A --device request, checked for syntax (the node is looked up on the host at each start, as docker does). */
export interface DeviceRequest {
  host: string;
  container: string;
  permissions: string;
}

/**
 * docker's --device syntax, checked in its CLI's words: HOST[:CONTAINER][:PERMISSIONS], the
 * container's path absolute, permissions each of r, w, m at most once. A relative host path is
 * refused too (docker's daemon finds no such device at the start).
 */
export function parseDevice(text: string): DeviceRequest {
  const parts = text.split(':');
  const isPerms = (p: string) => /^[rwm]{1,3}$/.test(p) && new Set(p).size === p.length;
  if (parts.length > 3 || parts[0] === '') throw invalidArgument(`bad format for path: ${text}`);
  let host = parts[0];
  let container = host;
  let permissions = 'rwm';
  if (parts.length === 2) {
    if (isPerms(parts[1])) permissions = parts[1];
    else container = parts[1];
  } else if (parts.length === 3) {
    container = parts[1];
    permissions = parts[2];
    if (!isPerms(permissions)) throw invalidArgument(`bad mode specified: ${permissions}`);
  }
  if (!container.startsWith('/')) throw invalidArgument(`${container} is not an absolute path`);
  if (!host.startsWith('/')) throw invalidArgument(`${host} is not an absolute path`);
  host = host.replace(/\/+$/, '') || '/';
  return { host, container: container.replace(/\/+$/, '') || '/', permissions };
}

/** The image the rootfs came from, resolved at create. */
export interface RootfsSource {
  /** Image ID (config digest) when an image was named or contains the layer. */
  imageId?: Digest;
  /** The image's name as resolved, or the layer ID. */
  imageName: string;
  /** Layer chain IDs, bottom first. */
  layers: Digest[];
  /** The image config's process settings (from the image, untrusted). */
  config: {
    entrypoint?: string[];
    cmd?: string[];
    env?: string[];
    workingDir?: string;
    user?: string;
    stopSignal?: string;
    labels?: Record<string, string>;
    /** The image's VOLUME destinations (anonymous volumes unless a user mount covers one). */
    volumes?: string[];
    /** EXPOSE: "80/tcp" (metadata; publishing comes with networks). */
    exposedPorts?: string[];
    /** The image's HEALTHCHECK. */
    healthcheck?: HealthConfig;
  };
}

export interface ContainerState {
  status: ContainerStatus;
  /** The container's init on the host (0 when not running). */
  pid: number;
  /** conmon's pid, or the CLI's pid when it runs the container in the foreground. */
  monitorPid: number;
  /** 'monitor': conmon holds stdio and writes the exit file; 'foreground': the CLI does. */
  mode?: 'monitor' | 'foreground';
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  oomKilled?: boolean;
  error?: string;
  /** Set by stop/kill so restart policies and ps can tell a user stop from a crash. */
  stoppedByUser?: boolean;
  restartCount: number;
  /** Mounted by `berth mount`: left mounted until `berth unmount`. */
  userMounted?: boolean;
  /** docker's State.Health, for a container with a health check once it ran. */
  health?: HealthState;
  /** The pid of its berth-health-timer while it runs (health.ts: checked before any signal). */
  healthTimerPid?: number;
  /**
   * A --rm container's attached CLI (run -it), which reads the exit code and then removes it
   * itself: while that process lives, settling the exit does not remove the container.
   */
  clientPid?: number;
}

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  spec: ContainerSpec;
  source: RootfsSource;
  /** The runtime chosen at create: its binary and name (state under <runroot>/<name>). */
  runtime: { path: string; name: string };
  /** The graph driver's snapshot key for the rootfs. */
  snapshot: string;
  state: ContainerState;
}

/** A new 64-hex container ID. */
export function newContainerId(): string {
  return randomHex(32);
}

// docker's rule: two characters at least (a one-letter name is refused as invalid).
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** A container's labels as docker has them: the image's, with the container's own over them. */
export function labelsOf(rec: Pick<ContainerRecord, 'source' | 'spec'>): Record<string, string> {
  return { ...rec.source.config.labels, ...rec.spec.labels };
}

/**
 * The network a container is on, as docker names it: none (berth's default) or host, each a
 * network of its own in docker; none for a container on another's stack (container:NAME).
 */
export function networkOf(spec: Pick<ContainerSpec, 'networkMode'>): 'none' | 'host' | undefined {
  const mode = spec.networkMode ?? 'none';
  return mode === 'none' || mode === 'host' ? mode : undefined;
}

/** docker's name rule ([a-zA-Z0-9][a-zA-Z0-9_.-]+); a leading "/" is accepted and dropped. */
export function checkName(name: string): string {
  const n = name.startsWith('/') ? name.slice(1) : name;
  if (!NAME.test(n) || n.length > 253) {
    // dockerd's words.
    throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return n;
}

const LEFT = ['admiring', 'brave', 'calm', 'eager', 'focused', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'modest', 'nifty', 'quirky', 'serene', 'sharp', 'vibrant', 'wizardly', 'zealous'];
const RIGHT = ['babbage', 'curie', 'darwin', 'euler', 'fermat', 'galois', 'hopper', 'kepler', 'lovelace', 'noether', 'pascal', 'ritchie', 'shannon', 'thompson', 'turing', 'wozniak'];

/** A docker-style "adjective_scientist" name; the caller retries on a clash. */
export function randomName(attempt = 0): string {
  const b = randomBytes(2);
  const base = `${LEFT[b[0] % LEFT.length]}_${RIGHT[b[1] % RIGHT.length]}`;
  return attempt === 0 ? base : `${base}${attempt}`;
}

/** docker's "Up 2 minutes", "Exited (0) 3 seconds ago", "Created". */
export function statusText(state: ContainerState, now = Date.now()): string {
  const ago = (iso: string | undefined) => duration(iso ? (now - Date.parse(iso)) / 1000 : 0);
  switch (state.status) {
    case 'running': {
      const h = state.health?.Status;
      return `Up ${ago(state.startedAt)}${h ? ` (${h === 'starting' ? 'health: starting' : h})` : ''}`;
    }
    case 'paused':
      return `Up ${ago(state.startedAt)} (Paused)`;
    case 'exited':
      return `Exited (${state.exitCode ?? -1}) ${ago(state.finishedAt)} ago`;
    case 'created':
      return 'Created';
    case 'restarting':
      return `Restarting (${state.exitCode ?? 0}) ${ago(state.finishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
  }
}

function duration(s: number): string {
  if (s < 1) return 'Less than a second';
  if (s < 60) return `${Math.floor(s)} second${Math.floor(s) === 1 ? '' : 's'}`;
  const m = Math.floor(s / 60);
  if (m < 60) return m === 1 ? 'About a minute' : `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h < 48) return h === 1 ? 'About an hour' : `${h} hours`;
  return `${Math.floor(h / 24)} days`;
}

/** docker's --expose PORT[/PROTO] or a range PORT-PORT[/PROTO], as "80/tcp" entries. */
export function parseExpose(text: string): string[] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/.exec(text);
  const from = Number(m?.[1]);
  const to = m?.[2] === undefined ? from : Number(m[2]);
  if (!m || from < 1 || to > 65535 || to < from) throw invalidArgument(`invalid --expose "${text}": want PORT[/PROTO] or PORT-PORT[/PROTO] (1-65535; tcp, udp or sctp)`);
  if (to - from > 10000) throw invalidArgument(`invalid --expose "${text}": a range of at most 10000 ports`);
  const out: string[] = [];
  for (let p = from; p <= to; p++) out.push(`${p}/${m[3] ?? 'tcp'}`);
  return out;
}

/** docker's --device-cgroup-rule: "TYPE MAJOR:MINOR ACCESS" (a, b or c; numbers or *; r, w, m). */
export function parseDeviceCgroupRule(text: string): { type: 'a' | 'b' | 'c'; major?: number; minor?: number; access: string } {
  const m = /^([abc]) (\d+|\*):(\d+|\*) ([rwm]{1,3})$/.exec(text.trim());
  if (!m || new Set(m[4]).size !== m[4].length) throw invalidArgument(`invalid --device-cgroup-rule "${text}": want TYPE MAJOR:MINOR ACCESS, such as "c 1:3 rwm" (type a, b or c; * for any number)`);
  return { type: m[1] as 'c', ...(m[2] === '*' ? {} : { major: Number(m[2]) }), ...(m[3] === '*' ? {} : { minor: Number(m[3]) }), access: m[4] };
}