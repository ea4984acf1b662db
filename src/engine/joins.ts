// docker's --pid, --ipc and --network container:NAME: the new container joins the namespaces of
// a running one (a debugging sidecar that sees another's processes, shares its loopback, its
// SysV IPC and message queues). The target is named by ID in the record at create and must be
// running at each start; its init's /proc/PID/ns/* are the namespace paths the runtime joins.
// /dev/shm is shared as docker shares it: a target run with --ipc shareable has its /dev/shm as
// a tmpfs on the host (paths.shm), which a container joining its IPC gets bound too. A private
// target's /dev/shm is a tmpfs inside its own mount namespace, which cannot be bound from here:
// docker refuses to join such a target; berth joins its IPC namespace, with a /dev/shm of its own.
import { failedPrecondition } from '../internal/errors.js';
import type { ContainerRecord, ContainerSpec } from './container.js';
import type { ContainerHost } from './host.js';
import { lookupContainer } from './state.js';

/** A namespace mode naming another container: "container:<ID or name>". */
export type JoinMode = `container:${string}`;

const KINDS = ['pid', 'ipc', 'network'] as const;
type JoinKind = (typeof KINDS)[number];
const MODE_OF: Record<JoinKind, 'pidMode' | 'ipcMode' | 'networkMode'> = { pid: 'pidMode', ipc: 'ipcMode', network: 'networkMode' };

function isJoin(mode: string | undefined): mode is JoinMode {
  return mode?.startsWith('container:') === true;
}

/** At create: each container:REF names the target by its full ID, as docker records it (nothing to do without one). */
export async function resolveJoinTargets(host: ContainerHost, spec: ContainerSpec): Promise<void> {
  for (const kind of KINDS) {
    const mode = spec[MODE_OF[kind]];
    if (!isJoin(mode)) continue;
    const target = await host.records.resolve(mode.slice('container:'.length));
    spec[MODE_OF[kind]] = `container:${target.id}`;
  }
}

/** What a start needs from the containers it joins: the namespace paths, and for the network the target's /etc files and host name. */
export interface Joined {
  pid?: string;
  ipc?: string;
  network?: string;
  etc?: { hosts: string; resolvConf: string; hostname: string };
  hostname?: string;
  /** The host-side /dev/shm of a shareable IPC target. */
  shm?: string;
}

/** undefined when the container joins no other's namespace. */
export async function resolveJoins(host: ContainerHost, rec: ContainerRecord): Promise<Joined | undefined> {
  const out: Joined = {};
  let any = false;
  for (const kind of KINDS) {
    const mode = rec.spec[MODE_OF[kind]];
    if (!isJoin(mode)) continue;
    any = true;
    const target = await lookupContainer(host, mode.slice('container:'.length)).catch(() => {
      throw failedPrecondition(`cannot join the ${kind} namespace of container ${mode.slice(10)}: no such container`);
    });
    if (target.id === rec.id) throw failedPrecondition(`cannot join the ${kind} namespace of container ${rec.name}: it is this container`);
    if (target.state.status !== 'running' && target.state.status !== 'paused') {
      throw failedPrecondition(`cannot join the ${kind} namespace of container ${target.name}: it is not running`);
    }
    // A foreground run's record has no init pid (its CLI is the monitor): the runtime knows it.
    const pid = target.state.pid > 0 ? target.state.pid : (await host.runtimeOf(target).state(target.id)).pid;
    const ns = `/proc/${pid}/ns/${kind === 'network' ? 'net' : kind}`;
    if (kind === 'pid') out.pid = ns;
    else if (kind === 'ipc') {
      out.ipc = ns;
      if (target.spec.ipcMode === 'shareable') out.shm = host.records.paths(target.id).shm;
    }
    else {
      out.network = ns;
      const p = host.records.paths(target.id);
      out.etc = { hosts: p.hosts, resolvConf: p.resolvConf, hostname: p.hostname };
      out.hostname = target.spec.hostname ?? target.id.slice(0, 12);
    }
  }
  return any ? out : undefined;
}
