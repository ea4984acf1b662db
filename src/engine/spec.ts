// From a container record and its mounted rootfs to the runtime's SpecInput: the image's
// process settings under the user's flags, the user resolved in the image's own files.
import { existsSync, mkdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import * as path from 'node:path';
import { BerthError, errnoText, invalidArgument, notFound, systemError } from '../internal/errors.js';
import { parseGoBool } from '../internal/go-bool.js';
import { cgroupsPathFor, detectCgroups, resourcesFrom } from '../runtime/cgroups.js';
import type { MountInput, NamespaceMode, SpecInput } from '../runtime/spec/generate.js';
import { parseUlimit } from '../runtime/spec/rlimits.js';
import { parseSeccompProfile } from '../runtime/spec/seccomp.js';
import { deviceError, deviceFromHost, hostDevices } from '../runtime/spec/host.js';
import type { SpecDevice, SpecDeviceRule } from '../runtime/spec/types.js';
import { resolveGroups, resolveUser, securePath } from '../runtime/spec/user.js';
import { type ContainerRecord, type DeviceRequest, parseDeviceCgroupRule } from './container.js';
import type { Joined } from './joins.js';
import { hostFacts } from './hostfacts.js';
import type { ContainerPaths } from './records.js';

/** tini, static so it runs in any rootfs; mounted at /dev/init for --init. */
const INIT_BINARIES = ['/usr/bin/tini-static', '/usr/bin/catatonit', '/usr/libexec/podman/catatonit'];
const INIT_PATH = '/dev/init';

/** A failure to start the container's command: docker's 126 (cannot invoke) or 127 (not found). */
export class CommandError extends BerthError {
  constructor(
    readonly exitCode: 126 | 127,
    message: string,
  ) {
    super(exitCode === 127 ? 'not-found' : 'failed-precondition', message);
  }
}

/** Entrypoint + Cmd as docker combines them: a user entrypoint drops the image's Cmd. */
export function commandOf(rec: ContainerRecord): string[] {
  const s = rec.spec;
  const img = rec.source.config;
  const entrypoint = s.entrypoint !== undefined ? s.entrypoint.filter((a, i) => !(i === 0 && a === '')) : (img.entrypoint ?? []);
  const cmd = s.cmd?.length ? s.cmd : s.entrypoint !== undefined ? [] : (img.cmd ?? []);
  return [...entrypoint, ...cmd];
}

/** Image env, then the user's -e by key. */
export function envOf(rec: ContainerRecord): string[] {
  const out = new Map<string, string>();
  for (const e of [...(rec.source.config.env ?? []), ...(rec.spec.env ?? [])]) {
    const eq = e.indexOf('=');
    out.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  return [...out.values()];
}

/** The host path of a program the way the container's PATH finds it; throws 126/127. */
async function checkCommand(rootfs: string, args: string[], env: string[]): Promise<void> {
  const cmd = args[0];
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const candidates = cmd.includes('/') ? [cmd.startsWith('/') ? cmd : `/${cmd}`] : pathVar.split(':').filter((d) => d.startsWith('/')).map((d) => `${d}/${cmd}`);
  for (const c of candidates) {
    const host = await securePath(rootfs, c);
    let st: Stats;
    try {
      st = statSync(host);
    } catch {
      continue;
    }
    if (st.isDirectory()) throw new CommandError(126, `cannot start container: "${cmd}" is a directory`);
    if ((st.mode & 0o111) === 0) throw new CommandError(126, `cannot start container: "${cmd}": permission denied (not executable)`);
    return;
  }
  const where = cmd.includes('/') ? 'no such file or directory' : 'executable file not found in $PATH';
  throw new CommandError(127, `cannot start container: exec: "${cmd}": ${where}`);
}

export interface SpecFacts {
  terminal: boolean;
  consoleSize?: { height: number; width: number };
  /** The namespaces and files of the containers this one joins (--pid/--ipc/--network container:NAME). */
  joined?: Joined;
}

/** Builds the SpecInput for a container whose rootfs is mounted at paths.rootfs. */
export async function specInputFor(rec: ContainerRecord, paths: ContainerPaths, facts: SpecFacts): Promise<SpecInput> {
  const s = rec.spec;
  const rootfs = paths.rootfs;
  // Read while the rootfs is checked below (it never fails: unknown facts are detected again).
  const host = hostFacts(paths.runroot);
  let args = commandOf(rec);
  // dockerd's words (create refuses such a container first; a record from before may still lack one).
  if (args.length === 0) throw invalidArgument('No command specified');
  const env = envOf(rec);
  // The user, the working dir and the command are looked up in the rootfs side by side; a
  // failure is reported in docker's order all the same: the user and the working dir are its
  // daemon's (125), the command runc's (126, 127).
  const userSpec = s.user ?? rec.source.config.user ?? '';
  const cwd = path.posix.normalize(`/${s.workingDir ?? rec.source.config.workingDir ?? '/'}`);
  const [resolved, cwdPath, command] = await Promise.allSettled([resolveUser(rootfs, userSpec), securePath(rootfs, cwd), checkCommand(rootfs, args, env)]);
  // dockerd's words, as the lookup says them ("unable to find user x: no matching entries in passwd file").
  if (resolved.status === 'rejected') throw resolved.reason;
  if (cwdPath.status === 'rejected') throw cwdPath.reason;
  if (command.status === 'rejected') throw command.reason;
  const user = resolved.value;
  if (s.groupAdd?.length) {
    const extra = await resolveGroups(rootfs, s.groupAdd);
    user.additionalGids = [...new Set([...user.additionalGids, ...extra])];
  }

  // The working dir comes from the image or -w: resolved inside the rootfs (symlinks cannot
  // lead out) and created there, as docker does.
  const cwdHost = cwdPath.value;
  try {
    mkdirSync(cwdHost, { recursive: true, mode: 0o755 });
  } catch (err) {
    // Said in the container's paths, as docker's "Cannot mkdir: /etc/passwd is not a directory".
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'it or a directory above it is not a directory' : errnoText(err);
    throw invalidArgument(`cannot create working directory ${cwd}: ${why}`);
  }

  const mounts: MountInput[] = [];
  // On another container's network stack, its /etc files are this one's too (docker's way).
  const etcFiles = facts.joined?.etc ?? paths;
  const etc: [string, string][] = [
    ['/etc/hosts', etcFiles.hosts],
    ['/etc/resolv.conf', etcFiles.resolvConf],
    ['/etc/hostname', etcFiles.hostname],
  ];
  const userDests = new Set((s.mounts ?? []).map((m) => m.destination));
  for (const [dest, src] of etc) {
    if (userDests.has(dest)) continue;
    mounts.push({ type: 'bind', source: src, destination: dest, readonly: s.readonlyRootfs ?? false, recursive: false });
  }
  for (const m of s.mounts ?? []) {
    if (m.type === 'bind') {
      // docker's -v: a host dir missing at the start is made (root's, 0755), as its daemon does.
      if (m.createSource && !existsSync(m.source)) {
        try {
          mkdirSync(m.source, { recursive: true, mode: 0o755 });
        } catch (err) {
          throw BerthError.wrap(err, `cannot make the -v source ${m.source}`, 'invalid-argument');
        }
      }
      mounts.push({ type: 'bind', source: m.source, destination: m.destination, readonly: m.readonly, ...(m.propagation ? { propagation: m.propagation as 'rprivate' } : {}) });
    } else if (m.type === 'volume') {
      // The volume's _data, rbind and rprivate (the spec's default for a bind).
      mounts.push({ type: 'bind', source: path.join(paths.root, 'volumes', m.name, '_data'), destination: m.destination, readonly: m.readonly });
    } else mounts.push({ type: 'tmpfs', destination: m.destination, options: checkTmpfsOptions(m.options) });
  }
  // A shareable IPC's /dev/shm (its own, or the one of the container whose IPC it joins) is
  // the host-side tmpfs, bound over the runtime's default; with the host's IPC, the host's
  // /dev/shm, as docker binds it (POSIX shared memory lives there, not in the IPC namespace).
  const shm = s.ipcMode === 'shareable' ? paths.shm : s.ipcMode === 'host' ? '/dev/shm' : facts.joined?.shm;
  if (shm && !userDests.has('/dev/shm')) mounts.push({ type: 'bind', source: shm, destination: '/dev/shm', readonly: false, recursive: false });
  if (s.init) {
    const init = s.initPath ?? INIT_BINARIES.find((b) => existsSync(b));
    if (!init) throw notFound('cannot use --init: no tini or catatonit on this host (Debian package "tini")');
    if (!existsSync(init)) throw notFound(`cannot use --init: no init binary at ${init} (--init-path)`);
    mounts.push({ type: 'bind', source: init, destination: INIT_PATH, readonly: true, recursive: false });
    args = [INIT_PATH, '--', ...args];
  }

  const joined = facts.joined;
  const opts = parseSecurityOpts(s.securityOpt ?? []);
  const ns = (mode: string | undefined, path?: string): NamespaceMode => (path ? { path } : mode === 'host' ? 'host' : 'private');
  const layout = detectCgroups();
  const input: SpecInput = {
    rootfs: 'rootfs',
    readonlyRootfs: s.readonlyRootfs ?? false,
    process: {
      args,
      env,
      cwd,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      home: user.home,
      terminal: facts.terminal,
      ...(facts.consoleSize ? { consoleSize: facts.consoleSize } : {}),
      noNewPrivileges: opts.noNewPrivileges,
      capAdd: s.capAdd,
      capDrop: s.capDrop,
      rlimits: (s.ulimits ?? []).map(parseUlimit),
      ...(s.oomScoreAdj !== undefined ? { oomScoreAdj: s.oomScoreAdj } : {}),
    },
    privileged: s.privileged ?? false,
    mounts,
    namespaces: {
      pid: ns(s.pidMode, joined?.pid),
      ipc: ns(s.ipcMode, joined?.ipc),
      uts: ns(s.utsMode),
      network: joined?.network ? { path: joined.network } : s.networkMode === 'host' ? 'host' : 'private',
      // docker's default: a private cgroup namespace on v2, the host's on v1 and hybrid.
      ...((s.cgroupnsMode ?? (layout.mode === 'v2' ? 'private' : 'host')) === 'private' ? { cgroup: 'private' as const } : { cgroup: 'host' as const }),
      ...(s.userns ? { user: 'private' as const } : {}),
    },
    resources: resourcesFrom(s.resources ?? {}, layout),
    cgroupsPath: cgroupsPathFor(rec.id, rec.spec.cgroupParent),
    seccomp: opts.seccomp,
    annotations: { ...s.annotations, 'io.berth.container.name': rec.name },
    ...(s.utsMode === 'host' ? {} : { hostname: joined?.hostname ?? s.hostname ?? rec.id.slice(0, 12) }),
    ...(opts.systemPathsUnconfined ? { maskedPaths: [], readonlyPaths: [] } : {}),
    ...(opts.apparmor ? { apparmorProfile: opts.apparmor } : {}),
    ...(opts.label ? { selinuxLabel: opts.label } : {}),
    ...(s.shmSize ? { shmSize: s.shmSize } : {}),
    // The domain name as docker sets it: the UTS namespace's kernel.domainname sysctl (runc
    // before 1.2 ignores the spec's domainname field).
    ...(s.sysctls || s.domainname ? { sysctls: { ...(s.domainname ? { 'kernel.domainname': s.domainname } : {}), ...s.sysctls } } : {}),
    ...(s.devices?.length ? { devices: s.devices.flatMap(devicesFor) } : {}),
    ...(s.deviceCgroupRules?.length ? { deviceRules: s.deviceCgroupRules.map((r) => ({ allow: true, ...parseDeviceCgroupRule(r) })) } : {}),
    // The layout just read: the spec's cgroup namespace follows it without reading it again.
    host: { x32: (await host).x32, cgroupMode: layout.mode },
  };
  if (s.userns) {
    input.uidMappings = [{ containerID: 0, hostID: s.userns.hostId, size: s.userns.size }];
    input.gidMappings = [{ containerID: 0, hostID: s.userns.hostId, size: s.userns.size }];
  }
  return input;
}

/** A --device request as spec devices: one node, or every node under a directory (docker's rule). */
function devicesFor(d: DeviceRequest): { device: SpecDevice; rule: SpecDeviceRule }[] {
  let st: Stats;
  try {
    st = statSync(d.host);
  } catch (err) {
    throw deviceError(d.host, err);
  }
  if (!st.isDirectory()) return [deviceFromHost(d.host, d.container, d.permissions)];
  const nodes = hostDevices(d.host).map((n) => deviceFromHost(n.path, path.posix.join(d.container, path.relative(d.host, n.path)), d.permissions));
  if (nodes.length === 0) throw invalidArgument(`cannot add device ${d.host}: the directory holds no device nodes`);
  return nodes;
}

export interface SecurityOpts {
  noNewPrivileges: boolean;
  seccomp: SpecInput['seccomp'];
  apparmor?: string;
  label?: string;
  systemPathsUnconfined: boolean;
}

/**
 * docker's --security-opt values, as its daemon reads them (KEY=VALUE, or the old KEY:VALUE;
 * no-new-privileges alone, or with one of Go's bools), and refuses them, in its words; a
 * seccomp profile file is read here, unless `readProfile` is false (a caller that wants the
 * other settings only: the seccomp stays 'default').
 */
export function parseSecurityOpts(values: string[], options: { readProfile?: boolean } = {}): SecurityOpts {
  const out: SecurityOpts = { noNewPrivileges: false, seccomp: 'default', systemPathsUnconfined: false };
  for (const v of values) {
    if (v === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (v === 'disable') continue; // the label's, said without its key
    const sep = v.includes('=') ? v.indexOf('=') : v.indexOf(':');
    if (sep < 0) throw invalidArgument(`invalid --security-opt 1: ${JSON.stringify(v)}`);
    const key = v.slice(0, sep);
    const value = v.slice(sep + 1);
    const refused = () => invalidArgument(`invalid --security-opt 2: ${JSON.stringify(v)}`);
    if (key === 'no-new-privileges') {
      const on = parseGoBool(value);
      if (on === undefined) throw refused();
      out.noNewPrivileges = on;
    } else if (key === 'seccomp') {
      if (value === 'unconfined') out.seccomp = 'unconfined';
      else if (value === 'builtin' || value === '') out.seccomp = 'default';
      else if (options.readProfile !== false) {
        let text: string;
        try {
          text = readFileSync(value, 'utf8');
        } catch (err) {
          throw systemError(err, `opening seccomp profile (${value}) failed: open ${value}`);
        }
        out.seccomp = parseSeccompProfile(text, value);
      }
    } else if (key === 'apparmor') out.apparmor = value;
    else if (key === 'label') {
      if (value !== 'disable') out.label = value;
    } else if (key === 'systempaths' && value === 'unconfined') out.systemPathsUnconfined = true;
    else throw refused();
  }
  return out;
}

/**
 * docker's CLI's check of --security-opt before it sends them (its words; the verb exits 125):
 * each but no-new-privileges has a value after '=' (or ':'), and a seccomp profile other than
 * builtin or unconfined is a file it can open, and a profile.
 */
export function checkSecurityOptsGiven(values: string[]): void {
  for (const v of values) {
    let sep = v.indexOf('=');
    if (sep < 0 && v !== 'no-new-privileges') sep = v.indexOf(':');
    const key = sep < 0 ? v : v.slice(0, sep);
    const value = sep < 0 ? '' : v.slice(sep + 1);
    if (key === 'no-new-privileges') continue;
    if (value === '') throw invalidArgument(`Invalid --security-opt: ${JSON.stringify(v)}`);
    if (key === 'seccomp' && value !== 'builtin' && value !== 'unconfined') {
      let text: string;
      try {
        text = readFileSync(value, 'utf8');
      } catch (err) {
        throw systemError(err, `opening seccomp profile (${value}) failed: open ${value}`);
      }
      parseSeccompProfile(text, value);
    }
  }
}

/** The mount(8) flags dockerd takes among a tmpfs's options. */
const TMPFS_MOUNT_FLAGS = new Set([
  'defaults', 'ro', 'rw', 'suid', 'nosuid', 'dev', 'nodev', 'exec', 'noexec', 'sync', 'async', 'dirsync', 'remount', 'mand', 'nomand',
  'atime', 'noatime', 'diratime', 'nodiratime', 'bind', 'rbind', 'unbindable', 'runbindable', 'private', 'rprivate', 'shared', 'rshared',
  'slave', 'rslave', 'relatime', 'norelatime', 'strictatime', 'nostrictatime', 'tmpcopyup',
]);
/** The tmpfs data options dockerd takes. */
const TMPFS_DATA_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/**
 * dockerd's check of a --tmpfs's options at the start (its create takes any): mount flags, or
 * tmpfs data of the keys it knows; else 'invalid tmpfs option ["foo"]', the option as Go's %q
 * prints its KEY and VALUE.
 */
export function checkTmpfsOptions(options: string[]): string[] {
  for (const o of options) {
    if (TMPFS_MOUNT_FLAGS.has(o)) continue;
    const eq = o.indexOf('=');
    const parts = eq < 0 ? [o] : [o.slice(0, eq), o.slice(eq + 1)];
    if (!TMPFS_DATA_KEYS.has(parts[0])) throw invalidArgument(`invalid tmpfs option [${parts.map((p) => JSON.stringify(p)).join(' ')}]`);
  }
  return options;
}
