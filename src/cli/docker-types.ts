// The Go types docker's CLI (28) decodes `inspect` documents into, for berth's templates
// (go-types.ts): fields in declared order with their Go names, as moby's api/types declare them.
// berth's own fields are declared last in the struct that holds them, as extras: fields for
// templates, printed after docker's when the document has them.

import {
  BOOL,
  DURATION,
  EMPTY_STRUCT,
  type GoType,
  INT,
  INTERFACE,
  mapOf,
  named,
  ptrTo,
  STRING,
  STRING_MAP,
  STRINGS,
  sliceOf,
  struct,
  TIME,
} from './go-types.js';

const int64 = named('int', 'int64');
const uint16 = named('int', 'uint16');
const uint64 = named('int', 'uint64');
const strslice = sliceOf(STRING, 'strslice.StrSlice');
const portSet = mapOf(EMPTY_STRUCT, 'nat.Port', 'nat.PortSet');

const healthConfig = struct('v1.HealthcheckConfig', { Test: STRINGS, Interval: DURATION, Timeout: DURATION, StartPeriod: DURATION, StartInterval: DURATION, Retries: INT });

const healthcheckResult = struct('container.HealthcheckResult', { Start: TIME, End: TIME, ExitCode: INT, Output: STRING });

const health = struct('container.Health', { Status: named('string', 'container.HealthStatus'), FailingStreak: INT, Log: sliceOf(ptrTo(healthcheckResult)) });

const state = struct('container.State', {
  Status: named('string', 'container.ContainerState'),
  Running: BOOL,
  Paused: BOOL,
  Restarting: BOOL,
  OOMKilled: BOOL,
  Dead: BOOL,
  Pid: INT,
  ExitCode: INT,
  Error: STRING,
  StartedAt: STRING,
  FinishedAt: STRING,
  Health: ptrTo(health),
  // berth's extra: the pid of the container's monitor (conmon).
  MonitorPid: INT,
}, { extras: ['MonitorPid'] });

/** docker's container.Config; its image's Config and ContainerConfig had this type before API 1.50. */
export const CONTAINER_CONFIG = struct('container.Config', {
  Hostname: STRING,
  Domainname: STRING,
  User: STRING,
  AttachStdin: BOOL,
  AttachStdout: BOOL,
  AttachStderr: BOOL,
  ExposedPorts: portSet,
  Tty: BOOL,
  OpenStdin: BOOL,
  StdinOnce: BOOL,
  Env: STRINGS,
  Cmd: strslice,
  Healthcheck: ptrTo(healthConfig),
  ArgsEscaped: BOOL,
  Image: STRING,
  Volumes: mapOf(EMPTY_STRUCT),
  WorkingDir: STRING,
  Entrypoint: strslice,
  NetworkDisabled: BOOL,
  MacAddress: STRING,
  OnBuild: STRINGS,
  Labels: STRING_MAP,
  StopSignal: STRING,
  StopTimeout: ptrTo(INT),
  Shell: strslice,
});

const weightDevice = struct('blkiodev.WeightDevice', { Path: STRING, Weight: uint16 });
const throttleDevice = struct('blkiodev.ThrottleDevice', { Path: STRING, Rate: uint64 });
const throttles = sliceOf(ptrTo(throttleDevice));

const resources = struct(
  'container.Resources',
  {
    CPUShares: int64,
    Memory: int64,
    NanoCPUs: int64,
    CgroupParent: STRING,
    BlkioWeight: uint16,
    BlkioWeightDevice: sliceOf(ptrTo(weightDevice)),
    BlkioDeviceReadBps: throttles,
    BlkioDeviceWriteBps: throttles,
    BlkioDeviceReadIOps: throttles,
    BlkioDeviceWriteIOps: throttles,
    CPUPeriod: int64,
    CPUQuota: int64,
    CPURealtimePeriod: int64,
    CPURealtimeRuntime: int64,
    CpusetCpus: STRING,
    CpusetMems: STRING,
    Devices: sliceOf(struct('container.DeviceMapping', { PathOnHost: STRING, PathInContainer: STRING, CgroupPermissions: STRING })),
    DeviceCgroupRules: STRINGS,
    DeviceRequests: sliceOf(
      struct('container.DeviceRequest', { Driver: STRING, Count: INT, DeviceIDs: STRINGS, Capabilities: sliceOf(STRINGS), Options: STRING_MAP }),
    ),
    KernelMemory: int64,
    KernelMemoryTCP: int64,
    MemoryReservation: int64,
    MemorySwap: int64,
    MemorySwappiness: ptrTo(int64),
    OomKillDisable: ptrTo(BOOL),
    PidsLimit: ptrTo(int64),
    Ulimits: sliceOf(ptrTo(struct('units.Ulimit', { Name: STRING, Hard: int64, Soft: int64 }))),
    CPUCount: int64,
    CPUPercent: int64,
    IOMaximumIOps: uint64,
    IOMaximumBandwidth: uint64,
  },
  {
    json: {
      CPUShares: 'CpuShares',
      NanoCPUs: 'NanoCpus',
      CPUPeriod: 'CpuPeriod',
      CPUQuota: 'CpuQuota',
      CPURealtimePeriod: 'CpuRealtimePeriod',
      CPURealtimeRuntime: 'CpuRealtimeRuntime',
      CPUCount: 'CpuCount',
      CPUPercent: 'CpuPercent',
    },
  },
);

const opts = (name: string): GoType => ptrTo(struct(name, {}));
const mount = struct('mount.Mount', {
  Type: named('string', 'mount.Type'),
  Source: STRING,
  Target: STRING,
  ReadOnly: BOOL,
  Consistency: named('string', 'mount.Consistency'),
  BindOptions: ptrTo(struct('mount.BindOptions', { Propagation: named('string', 'mount.Propagation'), NonRecursive: BOOL, CreateMountpoint: BOOL, ReadOnlyNonRecursive: BOOL, ReadOnlyForceRecursive: BOOL })),
  VolumeOptions: ptrTo(struct('mount.VolumeOptions', { NoCopy: BOOL, Labels: STRING_MAP, Subpath: STRING, DriverConfig: ptrTo(struct('mount.Driver', { Name: STRING, Options: STRING_MAP })) })),
  ImageOptions: opts('mount.ImageOptions'),
  TmpfsOptions: ptrTo(struct('mount.TmpfsOptions', { SizeBytes: int64, Mode: named('int', 'fs.FileMode'), Options: sliceOf(STRINGS) })),
  ClusterOptions: opts('mount.ClusterOptions'),
});

const portMap = mapOf(sliceOf(struct('nat.PortBinding', { HostIP: STRING, HostPort: STRING })), 'nat.Port', 'nat.PortMap');

const hostConfig = struct(
  'container.HostConfig',
  {
    Binds: STRINGS,
    ContainerIDFile: STRING,
    LogConfig: struct('container.LogConfig', { Type: STRING, Config: STRING_MAP }),
    NetworkMode: named('string', 'container.NetworkMode'),
    PortBindings: portMap,
    RestartPolicy: struct('container.RestartPolicy', { Name: named('string', 'container.RestartPolicyMode'), MaximumRetryCount: INT }),
    AutoRemove: BOOL,
    VolumeDriver: STRING,
    VolumesFrom: STRINGS,
    ConsoleSize: { kind: 'array', elem: named('int', 'uint'), len: 2 },
    Annotations: STRING_MAP,
    CapAdd: strslice,
    CapDrop: strslice,
    CgroupnsMode: named('string', 'container.CgroupnsMode'),
    DNS: STRINGS,
    DNSOptions: STRINGS,
    DNSSearch: STRINGS,
    ExtraHosts: STRINGS,
    GroupAdd: STRINGS,
    IpcMode: named('string', 'container.IpcMode'),
    Cgroup: named('string', 'container.CgroupSpec'),
    Links: STRINGS,
    OomScoreAdj: INT,
    PidMode: named('string', 'container.PidMode'),
    Privileged: BOOL,
    PublishAllPorts: BOOL,
    ReadonlyRootfs: BOOL,
    SecurityOpt: STRINGS,
    StorageOpt: STRING_MAP,
    Tmpfs: STRING_MAP,
    UTSMode: named('string', 'container.UTSMode'),
    UsernsMode: named('string', 'container.UsernsMode'),
    ShmSize: int64,
    Sysctls: STRING_MAP,
    Runtime: STRING,
    Isolation: named('string', 'container.Isolation'),
    Resources: resources,
    Mounts: sliceOf(mount),
    MaskedPaths: STRINGS,
    ReadonlyPaths: STRINGS,
    Init: ptrTo(BOOL),
  },
  { json: { DNS: 'Dns', DNSOptions: 'DnsOptions', DNSSearch: 'DnsSearch' }, embedded: ['Resources'] },
);

const driverData = struct('storage.DriverData', { Data: STRING_MAP, Name: STRING });

const mountPoint = struct('container.MountPoint', {
  Type: named('string', 'mount.Type'),
  Name: STRING,
  Source: STRING,
  Destination: STRING,
  Driver: STRING,
  Mode: STRING,
  RW: BOOL,
  Propagation: named('string', 'mount.Propagation'),
});

const address = struct('network.Address', { Addr: STRING, PrefixLen: INT });

const endpointSettings = struct('network.EndpointSettings', {
  IPAMConfig: ptrTo(struct('network.EndpointIPAMConfig', { IPv4Address: STRING, IPv6Address: STRING, LinkLocalIPs: STRINGS })),
  Links: STRINGS,
  Aliases: STRINGS,
  MacAddress: STRING,
  DriverOpts: STRING_MAP,
  GwPriority: INT,
  NetworkID: STRING,
  EndpointID: STRING,
  Gateway: STRING,
  IPAddress: STRING,
  IPPrefixLen: INT,
  IPv6Gateway: STRING,
  GlobalIPv6Address: STRING,
  GlobalIPv6PrefixLen: INT,
  DNSNames: STRINGS,
});

const networkSettings = struct(
  'container.NetworkSettings',
  {
    NetworkSettingsBase: struct('container.NetworkSettingsBase', {
      Bridge: STRING,
      SandboxID: STRING,
      SandboxKey: STRING,
      Ports: portMap,
      HairpinMode: BOOL,
      LinkLocalIPv6Address: STRING,
      LinkLocalIPv6PrefixLen: INT,
      SecondaryIPAddresses: sliceOf(address),
      SecondaryIPv6Addresses: sliceOf(address),
    }),
    DefaultNetworkSettings: struct('container.DefaultNetworkSettings', {
      EndpointID: STRING,
      Gateway: STRING,
      GlobalIPv6Address: STRING,
      GlobalIPv6PrefixLen: INT,
      IPAddress: STRING,
      IPPrefixLen: INT,
      IPv6Gateway: STRING,
      MacAddress: STRING,
    }),
    Networks: mapOf(ptrTo(endpointSettings)),
  },
  { embedded: ['NetworkSettingsBase', 'DefaultNetworkSettings'] },
);

const descriptor = ptrTo(
  struct('v1.Descriptor', {
    MediaType: STRING,
    Digest: named('string', 'digest.Digest'),
    Size: int64,
    URLs: STRINGS,
    Annotations: STRING_MAP,
    Data: sliceOf(named('int', 'uint8')),
    Platform: ptrTo(struct('v1.Platform', { Architecture: STRING, OS: STRING, OSVersion: STRING, OSFeatures: STRINGS, Variant: STRING })),
    ArtifactType: STRING,
  }),
);

const containerJSONBase = struct(
  'container.ContainerJSONBase',
  {
    ID: STRING,
    Created: STRING,
    Path: STRING,
    Args: STRINGS,
    State: ptrTo(state),
    Image: STRING,
    ResolvConfPath: STRING,
    HostnamePath: STRING,
    HostsPath: STRING,
    LogPath: STRING,
    Name: STRING,
    RestartCount: INT,
    Driver: STRING,
    Platform: STRING,
    MountLabel: STRING,
    ProcessLabel: STRING,
    AppArmorProfile: STRING,
    ExecIDs: STRINGS,
    HostConfig: ptrTo(hostConfig),
    GraphDriver: driverData,
    SizeRw: ptrTo(int64),
    SizeRootFs: ptrTo(int64),
    // berth's extra: the OCI runtime that runs the container.
    OCIRuntime: STRING,
  },
  { json: { ID: 'Id' }, extras: ['OCIRuntime'] },
);

/** `docker container inspect`'s document: container.InspectResponse (types.ContainerJSON before docker 28). */
export const CONTAINER_INSPECT = struct(
  'container.InspectResponse',
  { ContainerJSONBase: ptrTo(containerJSONBase), Mounts: sliceOf(mountPoint), Config: ptrTo(CONTAINER_CONFIG), NetworkSettings: ptrTo(networkSettings), ImageManifestDescriptor: descriptor },
  { embedded: ['ContainerJSONBase'] },
);

/** An image's config as docker's CLI 28 decodes it: the OCI image config and docker's extension. */
const imageConfig = struct(
  'v1.DockerOCIImageConfig',
  {
    ImageConfig: struct('v1.ImageConfig', {
      User: STRING,
      ExposedPorts: mapOf(EMPTY_STRUCT),
      Env: STRINGS,
      Entrypoint: STRINGS,
      Cmd: STRINGS,
      Volumes: mapOf(EMPTY_STRUCT),
      WorkingDir: STRING,
      Labels: STRING_MAP,
      StopSignal: STRING,
      ArgsEscaped: BOOL,
    }),
    DockerOCIImageConfigExt: struct('v1.DockerOCIImageConfigExt', { Healthcheck: ptrTo(healthConfig), OnBuild: STRINGS, Shell: STRINGS }),
  },
  { embedded: ['ImageConfig', 'DockerOCIImageConfigExt'] },
);

/** `docker image inspect`'s document: image.InspectResponse. */
export const IMAGE_INSPECT = struct(
  'image.InspectResponse',
  {
    ID: STRING,
    RepoTags: STRINGS,
    RepoDigests: STRINGS,
    Parent: STRING,
    Comment: STRING,
    Created: STRING,
    Container: STRING,
    ContainerConfig: ptrTo(CONTAINER_CONFIG),
    DockerVersion: STRING,
    Author: STRING,
    Config: ptrTo(imageConfig),
    Architecture: STRING,
    Variant: STRING,
    Os: STRING,
    OsVersion: STRING,
    Size: int64,
    VirtualSize: int64,
    GraphDriver: driverData,
    RootFS: struct('image.RootFS', { Type: STRING, Layers: STRINGS }),
    Metadata: struct('image.Metadata', { LastTagTime: TIME }),
    Descriptor: descriptor,
    Manifests: sliceOf(INTERFACE),
    // berth's extras: the manifest the store holds and the config's labels.
    Digest: named('string', 'digest.Digest'),
    ManifestMediaType: STRING,
    Labels: STRING_MAP,
  },
  { json: { ID: 'Id' }, extras: ['Digest', 'ManifestMediaType', 'Labels'] },
);

/** `docker volume inspect`'s document: volume.Volume. */
export const VOLUME_INSPECT = struct('volume.Volume', {
  ClusterVolume: ptrTo(struct('volume.ClusterVolume', {})),
  CreatedAt: STRING,
  Driver: STRING,
  Labels: STRING_MAP,
  Mountpoint: STRING,
  Name: STRING,
  Options: STRING_MAP,
  Scope: STRING,
  Status: mapOf(INTERFACE),
  UsageData: ptrTo(struct('volume.UsageData', { RefCount: int64, Size: int64 })),
});

/** `docker network inspect`'s document: network.Inspect (docker 28's fields berth fills). */
export const NETWORK_INSPECT = struct(
  'network.Inspect',
  {
    Name: STRING,
    ID: STRING,
    Created: TIME,
    Scope: STRING,
    Driver: STRING,
    EnableIPv6: BOOL,
    IPAM: struct('network.IPAM', { Driver: STRING, Options: STRING_MAP, Config: sliceOf(struct('network.IPAMConfig', { Subnet: STRING, IPRange: STRING, Gateway: STRING, AuxAddress: STRING_MAP })) }),
    Internal: BOOL,
    Attachable: BOOL,
    Ingress: BOOL,
    ConfigFrom: struct('network.ConfigReference', { Network: STRING }),
    ConfigOnly: BOOL,
    Containers: mapOf(struct('network.EndpointResource', { Name: STRING, EndpointID: STRING, MacAddress: STRING, IPv4Address: STRING, IPv6Address: STRING })),
    Options: STRING_MAP,
    Labels: STRING_MAP,
  },
  { json: { ID: 'Id' } },
);
