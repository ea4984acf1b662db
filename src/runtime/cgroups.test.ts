import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cgroupsPathFor, detectCgroups, parseBytes, parseDeviceBps, parseDeviceIops, resourcesFrom } from './cgroups.js';

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
