// Which cgroup layout the host has (v1, v2 or hybrid), where a container's cgroup goes, and
// docker's resource flags as the runtime-spec's linux.resources (runc writes v1 or v2 files).
import { availableParallelism } from 'node:os';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { invalidArgument } from '../internal/errors.js';
import { readTextOr } from '../internal/read.js';
import { major, minor } from './spec/host.js';
import type { SpecResources } from './spec/types.js';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';

export interface CgroupLayout {
  mode: CgroupMode;
  /** v1 controllers and where each is mounted (cpu -> /sys/fs/cgroup/cpu). */
  controllers: Record<string, string>;
  /** The cgroup2 mount point, if any (/sys/fs/cgroup or /sys/fs/cgroup/unified). */
  unified?: string;
  /** v1 memory controller supports memory+swap limits (memory.memsw.*). */
  swapAccounting: boolean;
}

/** Reads the layout from /proc/self/mountinfo (or the given text, for tests). */
export function detectCgroups(mountinfo?: string): CgroupLayout {
  const text = mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  const controllers: Record<string, string> = {};
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const mountPoint = left[4];
    if (right[0] === 'cgroup2') unified = mountPoint;
    else if (right[0] === 'cgroup') {
      for (const opt of (right[2] ?? '').split(',')) {
        if (opt === 'rw' || opt === 'ro' || opt.startsWith('name=') || opt === 'relatime') continue;
        controllers[opt] = mountPoint;
      }
    }
  }
  const hasV1 = Object.keys(controllers).length > 0;
  const mode: CgroupMode = hasV1 ? (unified ? 'hybrid' : 'v1') : 'v2';
  const memory = controllers.memory;
  const swapAccounting =
    mode === 'v2'
      ? existsSync(`${unified ?? '/sys/fs/cgroup'}/cgroup.controllers`)
      : memory !== undefined && existsSync(`${memory}/memory.memsw.limit_in_bytes`);
  return { mode, controllers, unified, swapAccounting };
}

/** cgroupfs path for a container, as runc's cgroupfs manager reads cgroupsPath: /berth/<id>. */
export function cgroupsPathFor(id: string, parent = '/berth'): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) throw invalidArgument(`invalid container id "${id}"`);
  return `${parent.replace(/\/+$/, '')}/${id}`;
}

/** A --device-*-bps/-iops value: a block device's path on the host and its rate. */
export interface DeviceRate {
  path: string;
  rate: number;
}

/** docker's resource flags, in their docker units. */
export interface ResourceInput {
  /** --memory, bytes. */
  memory?: number;
  /** --memory-swap, bytes of memory+swap; -1 unlimited swap. Default (docker): twice --memory. */
  memorySwap?: number;
  memoryReservation?: number;
  /** --memory-swappiness, 0..100 (-1: the host's); cgroup v1 only, dropped on v2 as docker drops it. */
  memorySwappiness?: number;
  /** --oom-kill-disable; cgroup v1 only, dropped on v2 as docker drops it. */
  oomKillDisable?: boolean;
  /** --cpus, e.g. 1.5. */
  cpus?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  /** --cpu-shares (relative weight, default 1024). */
  cpuShares?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** --pids-limit; 0 or -1 = unlimited. */
  pidsLimit?: number;
  /** --blkio-weight, 10..1000; dropped where the host's block I/O controller has no weight (docker drops it). */
  blkioWeight?: number;
  /** --blkio-weight-device: a block device's path and its weight, 10..1000; dropped like --blkio-weight. */
  blkioWeightDevice?: { path: string; weight: number }[];
  /** --kernel-memory, bytes (docker: deprecated; runc 1.1 leaves kmem unlimited); dropped where there is no kmem accounting. */
  kernelMemory?: number;
  /** --cpu-rt-period and --cpu-rt-runtime, microseconds (v1's real-time group scheduling). */
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  /** --device-read-bps and friends: a block device's path and its limit (bytes or operations a second). */
  deviceReadBps?: DeviceRate[];
  deviceWriteBps?: DeviceRate[];
  deviceReadIops?: DeviceRate[];
  deviceWriteIops?: DeviceRate[];
  /** The CPUs this host offers, the bound of --cpus; default os.availableParallelism(). */
  hostCpus?: number;
  /** The host's online CPUs and memory nodes as lists ("0-3"), the bound of --cpuset-*; default read from sysfs. */
  hostCpuset?: { cpus: string; mems: string };
}

const CPU_PERIOD = 100000;

/** Parses docker's byte sizes: 64m, 1g, 512k, 1024 (b). */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(text.trim());
  if (!m) throw invalidArgument(`invalid size "${text}": want a number with an optional unit b, k, m, g`);
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase()] as number;
  return Math.floor(Number(m[1]) * mult);
}

/**
 * docker's --memory and its kin (go-units' RAMInBytes): a number, an optional space, then b or
 * one of k, m, g, t, p (binary) with an optional b or ib. docker's words for a bad one ("invalid
 * size: '-1'", "invalid suffix: 'x'"); a negative size is refused.
 */
export function parseRamBytes(text: string): number {
  let sep = -1;
  for (let i = text.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(text[i])) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw invalidArgument(`invalid size: '${text}'`);
  const num = text[sep] === ' ' ? text.slice(0, sep) : text.slice(0, sep + 1);
  const sfx = text.slice(sep + 1).toLowerCase();
  // Go's ParseFloat: an optional sign, digits with one optional point (and an exponent, not met here).
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(num)) throw invalidArgument(`strconv.ParseFloat: parsing "${num}": invalid syntax`);
  const size = Number(num);
  if (size < 0) throw invalidArgument(`invalid size: '${text}'`);
  if (sfx === '' || sfx === 'b') return Math.trunc(size);
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[sfx[0]];
  if (mult === undefined || sfx.length > 3 || (sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) {
    throw invalidArgument(`invalid suffix: '${sfx}'`);
  }
  return Math.trunc(size * mult);
}

const MIN_MEMORY = 6 * 1024 * 1024;

/** linux.resources for these flags, checked the way docker checks them. */
export function resourcesFrom(input: ResourceInput, layout?: CgroupLayout): SpecResources {
  return derive(input, layout).resources;
}

/**
 * The flags as create keeps them, checked the way docker's daemon checks them at create: an
 * invalid value is an error; a setting this host cannot apply is dropped (docker's HostConfig
 * shows it dropped too) with docker's warning for each.
 */
export function checkResources(input: ResourceInput, layout?: CgroupLayout): { resources: ResourceInput; warnings: string[] } {
  const { warnings, dropped } = derive(input, layout);
  return { resources: { ...input, ...dropped }, warnings };
}

function derive(input: ResourceInput, layout?: CgroupLayout): { resources: SpecResources; warnings: string[]; dropped: ResourceInput } {
  let known = layout;
  const host = () => (known ??= detectCgroups());
  const warnings: string[] = [];
  const dropped: ResourceInput = {};
  const drop = <K extends keyof ResourceInput>(key: K, value: ResourceInput[K], warning: string) => {
    dropped[key] = value;
    warnings.push(warning);
  };
  const out: SpecResources = {};
  if (input.memory !== undefined && input.memory > 0) {
    if (input.memory < MIN_MEMORY) throw invalidArgument('invalid --memory: minimum allowed memory limit is 6MB');
    if (input.memoryReservation !== undefined && input.memoryReservation > input.memory) {
      throw invalidArgument('invalid --memory: minimum memory limit can not be less than memory reservation limit');
    }
    out.memory = { limit: input.memory };
    // Without swap accounting a memory+swap limit makes runc fail: docker drops it with a warning.
    const swapOk = host().swapAccounting;
    if (!swapOk && input.memorySwap !== -1) {
      drop('memorySwap', -1, 'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    }
    if (input.memorySwap !== undefined && input.memorySwap !== 0) {
      if (input.memorySwap > 0 && input.memorySwap < input.memory) {
        throw invalidArgument('invalid --memory-swap: must be larger than or equal to --memory');
      }
      if (swapOk) out.memory.swap = input.memorySwap;
    } else if (swapOk) {
      out.memory.swap = input.memory * 2;
    }
  } else if (input.memorySwap !== undefined && input.memorySwap > 0) {
    throw invalidArgument('invalid --memory-swap: set --memory as well');
  }
  if (input.memoryReservation) {
    if (input.memoryReservation < MIN_MEMORY) throw invalidArgument('invalid --memory-reservation: minimum memory reservation allowed is 6MB');
    (out.memory ??= {}).reservation = input.memoryReservation;
  }
  if (input.kernelMemory) {
    if (input.kernelMemory < MIN_MEMORY) throw invalidArgument('invalid --kernel-memory: minimum kernel memory limit allowed is 6MB');
    if (!v1Has(host(), 'memory', 'memory.kmem.limit_in_bytes')) {
      drop('kernelMemory', undefined, 'Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
    } else {
      warnings.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
      (out.memory ??= {}).kernel = input.kernelMemory;
    }
  }
  if (input.cpus !== undefined) {
    if (input.cpuQuota !== undefined || input.cpuPeriod !== undefined) {
      throw invalidArgument('invalid --cpus: conflicts with --cpu-quota and --cpu-period');
    }
    if (!(input.cpus > 0)) throw invalidArgument(`invalid --cpus ${input.cpus}: must be above 0`);
    // docker's bounds: a quota of at least 1% of a CPU, at most every CPU there is.
    const hostCpus = input.hostCpus ?? availableParallelism();
    if (input.cpus < 0.01 || input.cpus > hostCpus) {
      throw invalidArgument(`invalid --cpus ${input.cpus}: range of CPUs is from 0.01 to ${hostCpus}.00, as there are only ${hostCpus} CPUs available`);
    }
    out.cpu = { quota: Math.round(input.cpus * CPU_PERIOD), period: CPU_PERIOD };
  } else {
    if (input.cpuQuota !== undefined) (out.cpu ??= {}).quota = input.cpuQuota;
    if (input.cpuPeriod !== undefined) (out.cpu ??= {}).period = input.cpuPeriod;
  }
  if (input.cpuPeriod !== undefined && input.cpuPeriod !== 0 && (input.cpuPeriod < 1000 || input.cpuPeriod > 1000000)) {
    throw invalidArgument(`invalid --cpu-period ${input.cpuPeriod}: CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)`);
  }
  if (input.cpuQuota !== undefined && input.cpuQuota > 0 && input.cpuQuota < 1000) {
    throw invalidArgument(`invalid --cpu-quota ${input.cpuQuota}: CPU cfs quota can not be less than 1ms (i.e. 1000)`);
  }
  if (input.cpuShares !== undefined && input.cpuShares > 0) (out.cpu ??= {}).shares = input.cpuShares;
  // Real-time group scheduling: v1's cpu controller with CONFIG_RT_GROUP_SCHED. docker refuses it
  // where the kernel has none; the parent cgroup needs a budget of its own for a runtime above 0
  // (dockerd's --cpu-rt-runtime gives its parent one; here the host's administrator does).
  for (const [value, what] of [[input.cpuRtPeriod, 'period'], [input.cpuRtRuntime, 'runtime']] as const) {
    if (!value) continue;
    if (!v1Has(host(), 'cpu', 'cpu.rt_runtime_us')) {
      throw invalidArgument(`invalid --cpu-rt-${what}: your kernel does not support cgroup cpu real-time ${what}`);
    }
    if (!Number.isInteger(value) || value < 0) throw invalidArgument(`invalid --cpu-rt-${what} ${value}: want microseconds, a positive integer`);
  }
  if (input.cpuRtPeriod && input.cpuRtRuntime && input.cpuRtRuntime > input.cpuRtPeriod) {
    throw invalidArgument('invalid --cpu-rt-runtime: cpu real-time runtime cannot be higher than cpu real-time period');
  }
  if (input.cpuRtPeriod) (out.cpu ??= {}).realtimePeriod = input.cpuRtPeriod;
  if (input.cpuRtRuntime) (out.cpu ??= {}).realtimeRuntime = input.cpuRtRuntime;
  let cpuset = input.hostCpuset;
  const hostSet = () => (cpuset ??= hostCpuset());
  if (input.cpusetCpus) (out.cpu ??= {}).cpus = checkCpuset('--cpuset-cpus', input.cpusetCpus, () => hostSet().cpus, 'CPUs');
  if (input.cpusetMems) (out.cpu ??= {}).mems = checkCpuset('--cpuset-mems', input.cpusetMems, () => hostSet().mems, 'memory nodes');
  if (input.memorySwappiness !== undefined && input.memorySwappiness !== -1) {
    if (!Number.isInteger(input.memorySwappiness) || input.memorySwappiness < 0 || input.memorySwappiness > 100) {
      throw invalidArgument(`invalid --memory-swappiness ${input.memorySwappiness}: valid memory swappiness range is 0-100`);
    }
    if (host().mode !== 'v2') (out.memory ??= {}).swappiness = input.memorySwappiness;
    else drop('memorySwappiness', undefined, 'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
  }
  if (input.oomKillDisable) {
    if (host().mode !== 'v2') (out.memory ??= {}).disableOOMKiller = true;
    else drop('oomKillDisable', undefined, 'Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    if (!input.memory) warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (input.blkioWeight !== undefined && input.blkioWeight !== 0) {
    if (!isBlkioWeight(input.blkioWeight)) {
      throw invalidArgument(`invalid --blkio-weight ${input.blkioWeight}: range of blkio weight is from 10 to 1000`);
    }
    if (blkioWeightSupported(host(), 'weight')) (out.blockIO ??= {}).weight = input.blkioWeight;
    else drop('blkioWeight', undefined, 'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
  }
  if (input.blkioWeightDevice?.length) {
    for (const d of input.blkioWeightDevice) {
      if (d.weight !== 0 && !isBlkioWeight(d.weight)) throw invalidArgument(`invalid --blkio-weight-device "${d.path}:${d.weight}": invalid weight for device`);
    }
    if (blkioWeightSupported(host(), 'weight_device')) {
      (out.blockIO ??= {}).weightDevice = input.blkioWeightDevice.map((d) => ({ ...blockDevice('--blkio-weight-device', d.path), weight: d.weight }));
    } else drop('blkioWeightDevice', undefined, 'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.');
  }
  const throttles: [keyof NonNullable<SpecResources['blockIO']>, keyof ResourceInput, string, string, string][] = [
    ['throttleReadBpsDevice', 'deviceReadBps', '--device-read-bps', 'read_bps_device', 'BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit'],
    ['throttleWriteBpsDevice', 'deviceWriteBps', '--device-write-bps', 'write_bps_device', 'BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit'],
    ['throttleReadIOPSDevice', 'deviceReadIops', '--device-read-iops', 'read_iops_device', 'IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit'],
    ['throttleWriteIOPSDevice', 'deviceWriteIops', '--device-write-iops', 'write_iops_device', 'IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit'],
  ];
  for (const [key, inputKey, flag, file, what] of throttles) {
    const rates = input[inputKey] as DeviceRate[] | undefined;
    if (!rates?.length) continue;
    if (!throttleSupported(host(), file)) {
      drop(inputKey, undefined, `Your kernel does not support ${what} discarded.`);
      continue;
    }
    (out.blockIO ??= {})[key] = rates.map((r) => ({ ...blockDevice(flag, r.path), rate: r.rate })) as never;
  }
  if (input.pidsLimit !== undefined && input.pidsLimit > 0) out.pids = { limit: input.pidsLimit };
  return { resources: out, warnings, dropped };
}

/** The host's online CPUs and memory nodes, in the kernel's list syntax. */
export function hostCpuset(): { cpus: string; mems: string } {
  const read = (file: string, fallback: string) => readTextOr(file).trim() || fallback;
  return { cpus: read('/sys/devices/system/cpu/online', `0-${availableParallelism() - 1}`), mems: read('/sys/devices/system/node/online', '0') };
}

/** The numbers in a list such as "0-2,5"; undefined when it is not one. */
function parseCpuList(list: string): Set<number> | undefined {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(list)) return undefined;
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const [a, b = a] = part.split('-').map(Number);
    if (b < a || b - a > 4096) return undefined;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return out;
}

/** docker's check of --cpuset-cpus/--cpuset-mems: the list's syntax, and only what the host has online. */
function checkCpuset(flag: string, list: string, available: () => string, what: string): string {
  const wanted = parseCpuList(list);
  if (!wanted) throw invalidArgument(`invalid ${flag} "${list}": want a list such as 0-3 or 0,1`);
  const have = parseCpuList(available());
  if (have && [...wanted].some((n) => !have.has(n))) {
    throw invalidArgument(`invalid ${flag} "${list}": requested ${what} are not available - requested ${list}, available: ${available()}`);
  }
  return list;
}

/** docker's block I/O weight: 10 to 1000 (0, "none", is the caller's to allow). */
function isBlkioWeight(weight: number): boolean {
  return Number.isInteger(weight) && weight >= 10 && weight <= 1000;
}

/** Whether a v1 controller is mounted here with `file` in it (the kernel supports that setting). */
function v1Has(layout: CgroupLayout, controller: string, file: string): boolean {
  const dir = layout.mode === 'v2' ? undefined : layout.controllers[controller];
  return dir !== undefined && existsSync(`${dir}/${file}`);
}

/** Whether v2 has the io controller. */
function ioControllerV2(layout: CgroupLayout): boolean {
  return readTextOr(`${layout.unified ?? '/sys/fs/cgroup'}/cgroup.controllers`).split(/\s+/).includes('io');
}

/** Whether the block I/O controller has a proportional weight (or one per device) here: CFQ or BFQ on v1, io.weight on v2. */
function blkioWeightSupported(layout: CgroupLayout, file: 'weight' | 'weight_device'): boolean {
  if (layout.mode === 'v2') return ioControllerV2(layout);
  return v1Has(layout, 'blkio', `blkio.${file}`) || v1Has(layout, 'blkio', `blkio.bfq.${file}`);
}

/** Whether the block I/O controller throttles (blkio.throttle.FILE on v1, io.max on v2). */
function throttleSupported(layout: CgroupLayout, file: string): boolean {
  if (layout.mode === 'v2') return ioControllerV2(layout);
  return v1Has(layout, 'blkio', `blkio.throttle.${file}`);
}

/** The major and minor number of a block device on the host, for a throttle rule. */
function blockDevice(flag: string, devicePath: string): { major: number; minor: number } {
  let st: import('node:fs').Stats;
  try {
    st = statSync(devicePath);
  } catch {
    throw invalidArgument(`invalid ${flag} "${devicePath}": no such device on the host`);
  }
  if (!st.isBlockDevice()) throw invalidArgument(`invalid ${flag} "${devicePath}": not a block device`);
  return { major: major(st.rdev), minor: minor(st.rdev) };
}

/** docker's DEVICE:WEIGHT for --blkio-weight-device (a /dev path; 0, or 10 to 1000), with docker's errors. */
export function parseWeightDevice(text: string): { path: string; weight: number } {
  const colon = text.indexOf(':');
  if (colon < 0) throw invalidArgument(`invalid --blkio-weight-device "${text}": bad format: want DEVICE:WEIGHT`);
  const devicePath = text.slice(0, colon);
  if (!devicePath.startsWith('/dev/')) throw invalidArgument(`invalid --blkio-weight-device "${text}": bad format for device path: want a /dev path`);
  const weight = /^\d+$/.test(text.slice(colon + 1)) ? Number(text.slice(colon + 1)) : Number.NaN;
  if (weight !== 0 && !isBlkioWeight(weight)) throw invalidArgument(`invalid --blkio-weight-device "${text}": invalid weight for device: want 10 to 1000 (or 0)`);
  return { path: devicePath, weight };
}

/** docker's DEVICE:RATE for --device-read-bps and --device-write-bps (RATE with an optional kb, mb or gb). */
export function parseDeviceBps(flag: string, text: string): DeviceRate {
  const m = /^(\/dev\/[^:]+):(\d+)([kmg]?)b?$/i.exec(text);
  if (!m) throw invalidArgument(`invalid ${flag} "${text}": the format is <device-path>:<number>[<unit>], a /dev path and a positive integer with an optional kb, mb or gb`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[3].toLowerCase()] as number;
  return { path: m[1], rate: Number(m[2]) * mult };
}

/** docker's DEVICE:N for --device-read-iops and --device-write-iops. */
export function parseDeviceIops(flag: string, text: string): DeviceRate {
  const m = /^(\/dev\/[^:]+):(\d+)$/.exec(text);
  if (!m) throw invalidArgument(`invalid ${flag} "${text}": the format is <device-path>:<number>, a /dev path and a positive integer`);
  return { path: m[1], rate: Number(m[2]) };
}
