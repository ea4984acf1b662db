import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { major, minor } from './spec/host.js';
import { type CgroupLayout, cgroupsPathFor, checkResources, detectCgroups, parseBytes, parseDeviceBps, parseDeviceIops, parseRamBytes, parseWeightDevice, resourcesFrom } from './cgroups.js';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const V2 = '30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n';
const V1 = '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n';

test('hybrid, v2 and v1 layouts are told apart from mountinfo', () => {
  const h = detectCgroups(HYBRID);
  assert.equal(h.mode, 'hybrid');
  assert.equal(h.unified, '/sys/fs/cgroup/unified');
  assert.equal(h.controllers.memory, '/sys/fs/cgroup/memory');
  assert.equal(h.controllers.systemd, undefined);
  assert.equal(detectCgroups(V2).mode, 'v2');
  const v1 = detectCgroups(V1);
  assert.equal(v1.mode, 'v1');
  assert.equal(v1.controllers.cpuacct, '/sys/fs/cgroup/cpu,cpuacct');
});

test('this host is detected as what its mounts say', () => {
  assert.ok(['v1', 'v2', 'hybrid'].includes(detectCgroups().mode));
});

test('cgroupfs path /berth/<id>, ids checked', () => {
  assert.equal(cgroupsPathFor('abc'), '/berth/abc');
  assert.equal(cgroupsPathFor('abc', '/x/'), '/x/abc');
  assert.throws(() => cgroupsPathFor('../etc'), /invalid container id/);
});

test('docker flags to linux.resources', () => {
  assert.deepEqual(resourcesFrom({ cpus: 1.5 }), { cpu: { quota: 150000, period: 100000 } });
  assert.deepEqual(resourcesFrom({ cpus: 0.25 }).cpu, { quota: 25000, period: 100000 });
  assert.deepEqual(resourcesFrom({ memory: parseBytes('64m') }).memory, { limit: 67108864, swap: 134217728 });
  assert.deepEqual(resourcesFrom({ memory: 67108864, memorySwap: -1 }).memory, { limit: 67108864, swap: -1 });
  const noSwap = { mode: 'v1' as const, controllers: {}, swapAccounting: false };
  assert.deepEqual(resourcesFrom({ memory: 67108864 }, noSwap).memory, { limit: 67108864 });
  assert.deepEqual(resourcesFrom({ pidsLimit: 100, cpuShares: 512 }), { cpu: { shares: 512 }, pids: { limit: 100 } });
  assert.deepEqual(resourcesFrom({ pidsLimit: -1 }), {});
  assert.throws(() => resourcesFrom({ memory: 1024 }), /minimum allowed memory limit is 6MB/);
  assert.throws(() => resourcesFrom({ memory: 67108864, memorySwap: 1000 }), /larger than or equal/);
  assert.throws(() => resourcesFrom({ cpus: 1, cpuQuota: 5 }), /conflicts/);
  assert.throws(() => resourcesFrom({ cpus: 0 }), /above 0/);
  // docker's bounds: 0.01 to the host's CPU count.
  assert.deepEqual(resourcesFrom({ cpus: 4, hostCpus: 4 }).cpu, { quota: 400000, period: 100000 });
  assert.throws(() => resourcesFrom({ cpus: 4.5, hostCpus: 4 }), /range of CPUs is from 0\.01 to 4\.00, as there are only 4 CPUs available/);
  assert.throws(() => resourcesFrom({ cpus: 0.005, hostCpus: 4 }), /range of CPUs/);
});

test('byte sizes', () => {
  assert.equal(parseBytes('512k'), 524288);
  assert.equal(parseBytes('1g'), 1073741824);
  assert.equal(parseBytes('1.5m'), 1572864);
  assert.equal(parseBytes('100'), 100);
  assert.equal(parseBytes('2MiB'), 2097152);
  assert.throws(() => parseBytes('lots'), /invalid size/);
});

test("memory flags' sizes as docker's CLI parses them (go-units' RAMInBytes), its words for bad ones", () => {
  assert.equal(parseRamBytes('64m'), 64 * 1024 ** 2);
  assert.equal(parseRamBytes('1.5 GiB'), 1.5 * 1024 ** 3);
  assert.equal(parseRamBytes('512KB'), 512 * 1024);
  assert.equal(parseRamBytes('100'), 100);
  assert.equal(parseRamBytes('100b'), 100);
  assert.equal(parseRamBytes('0'), 0);
  assert.throws(() => parseRamBytes('-1'), { message: "invalid size: '-1'" });
  assert.throws(() => parseRamBytes('lots'), { message: "invalid size: 'lots'" });
  assert.throws(() => parseRamBytes('1x'), { message: "invalid suffix: 'x'" });
  assert.throws(() => parseRamBytes('1MX'), { message: "invalid suffix: 'mx'" });
  assert.throws(() => parseRamBytes('1bb'), { message: "invalid suffix: 'bb'" });
  assert.throws(() => parseRamBytes('1kibb'), { message: "invalid suffix: 'kibb'" });
});

test('resourcesFrom: the CFS period and quota, cpusets, swappiness and the OOM killer as docker checks them', () => {
  const v1 = { mode: 'v1' as const, controllers: {}, swapAccounting: true };
  const v2 = { mode: 'v2' as const, controllers: {}, swapAccounting: true };
  const hostCpuset = { cpus: '0-1', mems: '0' };
  assert.deepEqual(resourcesFrom({ cpuPeriod: 50000, cpuQuota: 25000 }).cpu, { quota: 25000, period: 50000 });
  assert.throws(() => resourcesFrom({ cpuPeriod: 999 }), /can not be less than 1ms \(i\.e\. 1000\) or larger than 1s/);
  assert.throws(() => resourcesFrom({ cpuPeriod: 1000001 }), /or larger than 1s/);
  assert.throws(() => resourcesFrom({ cpuQuota: 500 }), /quota can not be less than 1ms/);
  assert.deepEqual(resourcesFrom({ cpusetCpus: '0,1', cpusetMems: '0', hostCpuset }).cpu, { cpus: '0,1', mems: '0' });
  assert.deepEqual(resourcesFrom({ cpusetCpus: '0-1', hostCpuset }).cpu, { cpus: '0-1' });
  assert.throws(() => resourcesFrom({ cpusetCpus: '0-4', hostCpuset }), /requested CPUs are not available - requested 0-4, available: 0-1/);
  assert.throws(() => resourcesFrom({ cpusetMems: '1', hostCpuset }), /requested memory nodes are not available/);
  assert.throws(() => resourcesFrom({ cpusetCpus: '1-0', hostCpuset }), /want a list such as 0-3/);
  assert.throws(() => resourcesFrom({ cpusetCpus: 'a', hostCpuset }), /want a list/);
  assert.deepEqual(resourcesFrom({ memorySwappiness: 10, oomKillDisable: true }, v1).memory, { swappiness: 10, disableOOMKiller: true });
  // cgroup v2 has neither: docker drops both (with a warning).
  assert.deepEqual(resourcesFrom({ memorySwappiness: 10, oomKillDisable: true }, v2), {});
  assert.deepEqual(resourcesFrom({ memorySwappiness: -1 }, v1), {});
  assert.throws(() => resourcesFrom({ memorySwappiness: 101 }, v1), /valid memory swappiness range is 0-100/);
});

test("docker's DEVICE:RATE and DEVICE:N for the block I/O limits; the weight's range", () => {
  assert.deepEqual(parseDeviceBps('--device-read-bps', '/dev/sda:1mb'), { path: '/dev/sda', rate: 1048576 });
  assert.deepEqual(parseDeviceBps('--device-read-bps', '/dev/sda:512'), { path: '/dev/sda', rate: 512 });
  assert.deepEqual(parseDeviceBps('--device-write-bps', '/dev/sda:2G'), { path: '/dev/sda', rate: 2 * 1024 ** 3 });
  assert.deepEqual(parseDeviceIops('--device-read-iops', '/dev/sda:100'), { path: '/dev/sda', rate: 100 });
  assert.throws(() => parseDeviceBps('--device-read-bps', 'sda:1'), /<device-path>:<number>\[<unit>\]/);
  assert.throws(() => parseDeviceBps('--device-read-bps', '/dev/sda:-1'), /positive integer/);
  assert.throws(() => parseDeviceIops('--device-read-iops', '/dev/sda:1k'), /<device-path>:<number>/);
  assert.throws(() => resourcesFrom({ blkioWeight: 5 }), /range of blkio weight is from 10 to 1000/);
  assert.throws(() => resourcesFrom({ deviceReadBps: [{ path: '/dev/null', rate: 1 }] }), /not a block device/);
  assert.throws(() => resourcesFrom({ deviceReadBps: [{ path: '/dev/no-such-disk', rate: 1 }] }), /no such device/);
});

// A v1 host of files in a temp dir: each controller a dir holding the files given.
const fakeRoot = mkdtempSync(path.join(tmpdir(), 'berth-cgroups-'));
after(() => rmSync(fakeRoot, { recursive: true, force: true }));
function fakeV1(name: string, files: Record<string, string[]>, swapAccounting = true): CgroupLayout {
  const controllers: Record<string, string> = {};
  for (const [controller, names] of Object.entries(files)) {
    const dir = path.join(fakeRoot, name, controller);
    mkdirSync(dir, { recursive: true });
    for (const f of names) writeFileSync(path.join(dir, f), '');
    controllers[controller] = dir;
  }
  return { mode: 'v1', controllers, swapAccounting };
}
const V2_LAYOUT: CgroupLayout = { mode: 'v2', controllers: {}, unified: path.join(fakeRoot, 'no-such-v2'), swapAccounting: true };

/** A block device of this host (any), for rules that name one. */
function someBlockDevice(): { path: string; major: number; minor: number } | undefined {
  for (const name of readdirSync('/sys/block')) {
    try {
      if (!statSync(`/dev/${name}`).isBlockDevice()) continue;
    } catch {
      continue;
    }
    const rdev = statSync(`/dev/${name}`).rdev;
    return { path: `/dev/${name}`, major: major(rdev), minor: minor(rdev) };
  }
  return undefined;
}

test("checkResources: what this host cannot apply is dropped with docker's warning, as docker's HostConfig shows it", () => {
  const bare = fakeV1('bare', { memory: [], blkio: [], cpu: [] }, false);
  const { resources, warnings } = checkResources({ memory: 64 << 20, blkioWeight: 300, blkioWeightDevice: [{ path: '/dev/vda', weight: 300 }], kernelMemory: 10 << 20 }, bare);
  assert.deepEqual(warnings, [
    'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.',
    'Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.',
    'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
    'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
  ]);
  assert.equal(resources.memory, 64 << 20);
  assert.equal(resources.memorySwap, -1);
  for (const key of ['blkioWeight', 'blkioWeightDevice', 'kernelMemory'] as const) assert.equal(resources[key], undefined, key);
  // The throttles too, where blkio has no throttle files.
  const dropped = checkResources({ deviceReadBps: [{ path: '/dev/vda', rate: 1 }], deviceWriteIops: [{ path: '/dev/vda', rate: 1 }] }, bare);
  assert.deepEqual(dropped.warnings, [
    'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.',
    'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.',
  ]);
  assert.equal(dropped.resources.deviceReadBps, undefined);
  // v2: no swappiness, no OOM-killer switch, no kmem; the OOM warning without a memory limit.
  const v2 = checkResources({ memorySwappiness: 10, oomKillDisable: true, kernelMemory: 10 << 20 }, V2_LAYOUT);
  assert.deepEqual(v2.warnings, [
    'Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.',
    'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.',
    'Your kernel does not support OomKillDisable. OomKillDisable discarded.',
    'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
  ]);
  assert.deepEqual(JSON.parse(JSON.stringify(v2.resources)), {});
  // Nothing to say of what applies.
  const full = fakeV1('full', { memory: ['memory.kmem.limit_in_bytes'], blkio: ['blkio.weight'], cpu: ['cpu.rt_runtime_us'] });
  const fine = checkResources({ memory: 64 << 20, memorySwap: 128 << 20, blkioWeight: 300, cpuRtPeriod: 50000 }, full);
  assert.deepEqual(fine, { resources: { memory: 64 << 20, memorySwap: 128 << 20, blkioWeight: 300, cpuRtPeriod: 50000 }, warnings: [] });
});

test('kernel memory and real-time scheduling as docker checks them; the weight per device', () => {
  const full = fakeV1('rt', { memory: ['memory.kmem.limit_in_bytes'], blkio: ['blkio.weight', 'blkio.weight_device'], cpu: ['cpu.rt_runtime_us'] });
  const kmem = checkResources({ kernelMemory: 10 << 20 }, full);
  assert.deepEqual(kmem.warnings, ['Specifying a kernel memory limit is deprecated and will be removed in a future release.']);
  assert.equal(kmem.resources.kernelMemory, 10 << 20);
  assert.deepEqual(resourcesFrom({ kernelMemory: 10 << 20 }, full).memory, { kernel: 10 << 20 });
  assert.throws(() => checkResources({ kernelMemory: 1 << 20 }, full), /minimum kernel memory limit allowed is 6MB/);
  assert.throws(() => checkResources({ memoryReservation: 1 << 20 }, full), /minimum memory reservation allowed is 6MB/);
  assert.throws(() => checkResources({ memory: 8 << 20, memoryReservation: 16 << 20 }, full), /can not be less than memory reservation limit/);
  assert.deepEqual(resourcesFrom({ cpuRtPeriod: 50000, cpuRtRuntime: 10000 }, full).cpu, { realtimePeriod: 50000, realtimeRuntime: 10000 });
  assert.throws(() => checkResources({ cpuRtPeriod: 1000, cpuRtRuntime: 5000 }, full), /cpu real-time runtime cannot be higher than cpu real-time period/);
  const noRt = fakeV1('nort', { cpu: [] });
  assert.throws(() => checkResources({ cpuRtPeriod: 50000 }, noRt), /your kernel does not support cgroup cpu real-time period/);
  assert.throws(() => checkResources({ cpuRtRuntime: 50000 }, V2_LAYOUT), /your kernel does not support cgroup cpu real-time runtime/);
  const dev = someBlockDevice();
  if (dev) {
    assert.deepEqual(resourcesFrom({ blkioWeightDevice: [{ path: dev.path, weight: 300 }] }, full).blockIO, { weightDevice: [{ major: dev.major, minor: dev.minor, weight: 300 }] });
  }
  assert.throws(() => resourcesFrom({ blkioWeightDevice: [{ path: '/dev/null', weight: 300 }] }, full), /not a block device/);
  assert.deepEqual(parseWeightDevice('/dev/sda:300'), { path: '/dev/sda', weight: 300 });
  assert.deepEqual(parseWeightDevice('/dev/sda:0'), { path: '/dev/sda', weight: 0 });
  assert.throws(() => parseWeightDevice('/dev/sda:5'), /invalid weight for device/);
  assert.throws(() => parseWeightDevice('/dev/sda:1001'), /invalid weight for device/);
  assert.throws(() => parseWeightDevice('/dev/sda:x'), /invalid weight for device/);
  assert.throws(() => parseWeightDevice('sda:300'), /bad format for device path/);
  assert.throws(() => parseWeightDevice('bad'), /bad format/);
});
