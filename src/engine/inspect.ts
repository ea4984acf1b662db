// docker's `container inspect` JSON from a reconciled record: the fields docker users and
// their scripts read (State, Config, HostConfig, Mounts, GraphDriver, Name with its "/").
import { type CgroupLayout, type DeviceRate, detectCgroups } from '../runtime/cgroups.js';
import { dockerMount } from './mounts.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../runtime/spec/defaults.js';
import { networkIdOf } from './networks.js';
import { commandOf, envOf, parseSecurityOpts, type SecurityOpts } from './spec.js';
import { type ContainerRecord, isLive, labelsOf, networkOf } from './container.js';
import type { ContainerHost } from './host.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function inspectView(host: ContainerHost, rec: ContainerRecord, driverName = 'overlay', driverData: Record<string, string> = {}): Record<string, unknown> {
  let layout: CgroupLayout | undefined;
  const cgroups = () => (layout ??= detectCgroups());
  const s = rec.spec;
  const st = rec.state;
  const paths = host.records.paths(rec.id);
  const args = commandOf(rec);
  const tmpfs = (s.mounts ?? []).flatMap((m) => (m.type === 'tmpfs' ? [[m.destination, m.options.join(',')] as const] : []));
  const stopSignal = s.stopSignal ?? rec.source.config.stopSignal;
  let security: SecurityOpts | undefined;
  try {
    // Its apparmor, label and systempaths settings: a seccomp profile is not read for them.
    security = parseSecurityOpts(s.securityOpt ?? [], { readProfile: false });
  } catch {
    // A value the start refuses (create keeps the options as given): the rest of the view stands.
  }
  const network = networkOf(s);
  const attach = s.attach ?? { stdin: false, stdout: false, stderr: false };
  return {
    Id: rec.id,
    Created: rec.created,
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: {
      Status: st.status,
      Running: isLive(st.status),
      Paused: st.status === 'paused',
      Restarting: st.status === 'restarting',
      OOMKilled: st.oomKilled ?? false,
      Dead: st.status === 'dead',
      Pid: st.pid,
      ExitCode: st.exitCode ?? 0,
      Error: st.error ?? '',
      StartedAt: st.startedAt ?? ZERO_TIME,
      FinishedAt: st.finishedAt ?? ZERO_TIME,
      MonitorPid: st.monitorPid,
      ...(st.health ? { Health: { Status: st.health.Status, FailingStreak: st.health.FailingStreak, Log: st.health.Log } } : {}),
    },
    Image: rec.source.imageId ?? rec.source.layers[rec.source.layers.length - 1] ?? '',
    ResolvConfPath: paths.resolvConf,
    HostnamePath: paths.hostname,
    HostsPath: paths.hosts,
    LogPath: paths.log,
    Name: `/${rec.name}`,
    MountLabel: '',
    ProcessLabel: security?.label ?? '',
    AppArmorProfile: security?.apparmor ?? '',
    ExecIDs: null,
    RestartCount: st.restartCount,
    Driver: driverName,
    Platform: 'linux',
    OCIRuntime: rec.runtime.name,
    HostConfig: {
      // As given with -v (docker's null for none); a record from before binds were kept: its binds.
      Binds: s.binds !== undefined ? (s.binds.length > 0 ? s.binds : null) : (s.mounts ?? []).filter((m) => m.type === 'bind').map((m) => `${m.source}:${m.destination}${m.readonly ? ':ro' : ''}`),
      VolumesFrom: s.volumesFrom ?? null,
      ContainerIDFile: s.cidfile ?? '',
      PortBindings: {},
      VolumeDriver: '',
      Links: null,
      PublishAllPorts: false,
      Cgroup: '',
      UsernsMode: '',
      ConsoleSize: [0, 0],
      Isolation: '',
      DeviceRequests: null,
      KernelMemoryTCP: 0,
      CpuCount: 0,
      CpuPercent: 0,
      IOMaximumIOps: 0,
      IOMaximumBandwidth: 0,
      // The paths the runtime masks and makes read-only (none for --privileged or systempaths=unconfined).
      MaskedPaths: s.privileged || security?.systemPathsUnconfined ? null : DEFAULT_MASKED_PATHS,
      ReadonlyPaths: s.privileged || security?.systemPathsUnconfined ? null : DEFAULT_READONLY_PATHS,
      ...(s.mountArgs?.length ? { Mounts: s.mountArgs.map(dockerMount) } : {}),
      NetworkMode: s.networkMode ?? 'none',
      RestartPolicy: { Name: s.restart?.name ?? 'no', MaximumRetryCount: s.restart?.maximumRetryCount ?? 0 },
      AutoRemove: s.autoRemove ?? false,
      // docker's nil for none given, and its omitempty fields left out when unset.
      CapAdd: s.capAdd?.length ? s.capAdd : null,
      CapDrop: s.capDrop?.length ? s.capDrop : null,
      IpcMode: s.ipcMode ?? 'private',
      PidMode: s.pidMode ?? '',
      UTSMode: s.utsMode ?? '',
      Privileged: s.privileged ?? false,
      ReadonlyRootfs: s.readonlyRootfs ?? false,
      SecurityOpt: s.securityOpt?.length ? s.securityOpt : null,
      ...(tmpfs.length ? { Tmpfs: Object.fromEntries(tmpfs) } : {}),
      ShmSize: s.shmSize ?? 67108864,
      Runtime: rec.runtime.name,
      Memory: s.resources?.memory ?? 0,
      // docker's default swap limit (twice the memory, where swap is accounted) as docker records it.
      MemorySwap: s.resources?.memorySwap ?? (s.resources?.memory && cgroups().swapAccounting ? s.resources.memory * 2 : 0),
      KernelMemory: s.resources?.kernelMemory ?? 0,
      MemoryReservation: s.resources?.memoryReservation ?? 0,
      MemorySwappiness: s.resources?.memorySwappiness ?? null,
      OomKillDisable: s.resources?.oomKillDisable ?? false,
      NanoCpus: s.resources?.cpus ? Math.round(s.resources.cpus * 1e9) : 0,
      CpuShares: s.resources?.cpuShares ?? 0,
      CpuPeriod: s.resources?.cpuPeriod ?? 0,
      CpuQuota: s.resources?.cpuQuota ?? 0,
      CpuRealtimePeriod: s.resources?.cpuRtPeriod ?? 0,
      CpuRealtimeRuntime: s.resources?.cpuRtRuntime ?? 0,
      BlkioWeight: s.resources?.blkioWeight ?? 0,
      BlkioWeightDevice: (s.resources?.blkioWeightDevice ?? []).map((d) => ({ Path: d.path, Weight: d.weight })),
      BlkioDeviceReadBps: rates(s.resources?.deviceReadBps),
      BlkioDeviceWriteBps: rates(s.resources?.deviceWriteBps),
      BlkioDeviceReadIOps: rates(s.resources?.deviceReadIops),
      BlkioDeviceWriteIOps: rates(s.resources?.deviceWriteIops),
      CpusetCpus: s.resources?.cpusetCpus ?? '',
      CpusetMems: s.resources?.cpusetMems ?? '',
      PidsLimit: s.resources?.pidsLimit ?? null,
      Ulimits: (s.ulimits ?? []).map(dockerUlimit),
      ...(s.init ? { Init: true } : {}),
      ...(s.sysctls && Object.keys(s.sysctls).length ? { Sysctls: s.sysctls } : {}),
      Devices: (s.devices ?? []).map((d) => ({ PathOnHost: d.host, PathInContainer: d.container, CgroupPermissions: d.permissions })),
      GroupAdd: s.groupAdd ?? null,
      OomScoreAdj: s.oomScoreAdj ?? 0,
      CgroupnsMode: s.cgroupnsMode ?? (cgroups().mode === 'v2' ? 'private' : 'host'),
      CgroupParent: s.cgroupParent ?? '',
      ...(s.annotations && Object.keys(s.annotations).length ? { Annotations: s.annotations } : {}),
      DeviceCgroupRules: s.deviceCgroupRules ?? null,
      ExtraHosts: s.extraHosts ?? null,
      LogConfig: { Type: s.log?.driver ?? 'json-file', Config: s.log?.options ?? {} },
      Dns: s.dns ?? [],
      DnsSearch: s.dnsSearch ?? [],
      DnsOptions: s.dnsOptions ?? [],
    },
    GraphDriver: { Name: driverName, Data: { ...driverData, MergedDir: paths.rootfs } },
    Mounts: (s.mounts ?? []).map((m) =>
      m.type === 'bind'
        ? { Type: 'bind', Source: m.source, Destination: m.destination, Mode: m.readonly ? 'ro' : '', RW: !m.readonly, Propagation: m.propagation ?? 'rprivate' }
        : m.type === 'volume'
          ? { Type: 'volume', Name: m.name, Source: host.volumes.mountpoint(m.name), Destination: m.destination, Driver: 'local', Mode: m.readonly ? 'ro' : '', RW: !m.readonly, Propagation: '' }
          : { Type: 'tmpfs', Source: '', Destination: m.destination, Mode: '', RW: !m.options.includes('ro'), Propagation: '' },
    ),
    Config: {
      Hostname: s.hostname ?? rec.id.slice(0, 12),
      Domainname: s.domainname ?? '',
      User: s.user ?? rec.source.config.user ?? '',
      AttachStdin: attach.stdin,
      AttachStdout: attach.stdout,
      AttachStderr: attach.stderr,
      Tty: s.tty ?? false,
      OpenStdin: s.openStdin ?? false,
      StdinOnce: (s.openStdin ?? false) && attach.stdin,
      OnBuild: null,
      Image: s.image,
      ...runConfigOf(rec),
      ...(stopSignal ? { StopSignal: stopSignal } : {}),
      ...(s.stopTimeout !== undefined ? { StopTimeout: s.stopTimeout } : {}),
    },
    // docker's fields for a container without a network of its own: empty; its mode as its one network.
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: {},
      SandboxKey: '',
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      ...NO_ADDRESS,
      Networks: network ? { [network]: emptyEndpoint(networkIdOf(rec)) } : {},
    },
  };
}

/** docker's address fields, empty: NetworkSettings and each EndpointSettings have them. */
const NO_ADDRESS = { EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '' };

/** docker's EndpointSettings of a network with no addresses (none, host). */
function emptyEndpoint(networkId: string): Record<string, unknown> {
  return { IPAMConfig: null, Links: null, Aliases: null, NetworkID: networkId, ...NO_ADDRESS, DriverOpts: null };
}

/** A --device-*-bps/-iops list as docker's HostConfig shows it. */
function rates(list: DeviceRate[] | undefined): { Path: string; Rate: number }[] {
  return (list ?? []).map((r) => ({ Path: r.path, Rate: r.rate }));
}

/**
 * The container's run config as docker's Config has it (the image's, with the container's own
 * settings over it): what inspect shows and what commit starts the new image's config from.
 */
export function runConfigOf(rec: ContainerRecord): Record<string, unknown> {
  const s = rec.spec;
  const c = rec.source.config;
  const ports = [...(c.exposedPorts ?? []), ...(s.exposedPorts ?? [])];
  return {
    User: s.user ?? c.user ?? '',
    Env: envOf(rec),
    Cmd: s.cmd?.length ? s.cmd : s.entrypoint !== undefined ? null : (c.cmd ?? null),
    WorkingDir: s.workingDir ?? c.workingDir ?? '',
    // --entrypoint '' clears it: docker's null.
    Entrypoint: s.entrypoint !== undefined ? (s.entrypoint.join('') !== '' ? s.entrypoint : null) : (c.entrypoint ?? null),
    Labels: labelsOf(rec),
    ...(ports.length > 0 ? { ExposedPorts: Object.fromEntries(ports.map((p) => [p, {}])) } : {}),
    // docker's: the image's VOLUMEs and the anonymous -v destinations, null when none.
    Volumes: configVolumes(rec),
    ...(s.healthcheck ? { Healthcheck: s.healthcheck } : {}),
  };
}

function configVolumes(rec: ContainerRecord): Record<string, Record<string, never>> | null {
  const dests = [...(rec.source.config.volumes ?? []), ...(rec.spec.volumes ?? [])];
  return dests.length > 0 ? Object.fromEntries(dests.map((d) => [d, {}])) : null;
}

/** A --ulimit NAME=SOFT[:HARD] as docker's units.Ulimit: the numbers as given (-1 unlimited). */
function dockerUlimit(text: string): { Name: string; Hard: number; Soft: number } {
  const [name, value = ''] = text.split('=');
  const [soft, hard = soft] = value.split(':').map(Number);
  return { Name: name, Hard: hard, Soft: soft };
}
