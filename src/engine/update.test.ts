import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { resourcesFrom } from '../runtime/cgroups.js';
import type { ContainerRecord } from './container.js';
import { ContainerHost } from './host.js';
import type { SpecResources } from '../runtime/spec/types.js';
import { mergeResources, runtimeResources, updateContainer } from './update.js';

const M = 1024 * 1024;
const V1 = { mode: 'hybrid' as const, controllers: {}, swapAccounting: true };
const V2 = { mode: 'v2' as const, controllers: {}, swapAccounting: true };

test('merge: only the given settings change', () => {
  assert.deepEqual(mergeResources({ memory: 64 * M, pidsLimit: 10, cpuShares: 512 }, { pidsLimit: 50 }), { memory: 64 * M, pidsLimit: 50, cpuShares: 512 });
  assert.deepEqual(mergeResources({}, { memory: 128 * M, memorySwap: 256 * M, cpus: 0.5 }), { memory: 128 * M, memorySwap: 256 * M, cpus: 0.5 });
  assert.deepEqual(mergeResources({ cpusetCpus: '0' }, {}), { cpusetCpus: '0' });
});

// dockerd 20.10's update (docker 28's CLI), side by side: the recorded form of the CPU limit stays.
test('merge: --cpus is refused while a CFS period or quota is recorded, and the other way round', () => {
  assert.throws(() => mergeResources({ cpuPeriod: 50000, cpuShares: 512 }, { cpus: 1 }), { message: 'Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set' });
  assert.throws(() => mergeResources({ cpuQuota: 25000 }, { cpus: 1 }), { message: 'Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set' });
  assert.throws(() => mergeResources({ cpus: 1.5 }, { cpuPeriod: 50000 }), { message: 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set' });
  assert.throws(() => mergeResources({ cpus: 1.5 }, { cpuQuota: 20000 }), { message: 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set' });
  assert.deepEqual(mergeResources({ cpus: 1.5 }, { cpus: 0.5 }), { cpus: 0.5 });
  assert.deepEqual(mergeResources({ cpuQuota: 20000 }, { cpuQuota: 30000, cpuPeriod: 60000 }), { cpuQuota: 30000, cpuPeriod: 60000 });
  // Both in one call stay for resourcesFrom to refuse, as create refuses them.
  const both = mergeResources({}, { cpus: 1, cpuQuota: 20000 });
  assert.throws(() => resourcesFrom(both, V1), /conflicts with --cpu-quota/);
});

test('merge: a zero or an empty cpuset is no change (docker\'s); -1 takes a limit away', () => {
  const stored = { memory: 64 * M, memorySwap: 256 * M, memoryReservation: 32 * M, cpuShares: 512, cpuQuota: 20000, cpuPeriod: 50000, cpusetCpus: '0', cpusetMems: '0', pidsLimit: 10, blkioWeight: 300, cpuRtPeriod: 50000, cpuRtRuntime: 10000 };
  const zeros = { memory: 0, memorySwap: 0, memoryReservation: 0, cpuShares: 0, cpuQuota: 0, cpuPeriod: 0, cpusetCpus: '', cpusetMems: '', pidsLimit: 0, blkioWeight: 0, cpuRtPeriod: 0, cpuRtRuntime: 0, cpus: 0 };
  assert.deepEqual(mergeResources(stored, zeros), stored);
  const { cpuQuota: _quota, pidsLimit: _pids, ...unlimited } = stored;
  assert.deepEqual(mergeResources(stored, { cpuQuota: -1, pidsLimit: -1 }), unlimited);
  assert.deepEqual(mergeResources({ memory: 64 * M }, { memorySwap: -1 }), { memory: 64 * M, memorySwap: -1 });
  // berth's own settings, where 0 and false are values: swappiness -1 and no OOM-kill-disable remove them.
  assert.deepEqual(mergeResources({ memorySwappiness: 10, oomKillDisable: true }, { memorySwappiness: -1, oomKillDisable: false }), {});
  assert.deepEqual(mergeResources({ memorySwappiness: 10 }, { memorySwappiness: 0 }), { memorySwappiness: 0 });
});

test("merge: docker's memory rules", () => {
  // Above the recorded memory+swap limit without a new one: docker's message.
  assert.throws(() => mergeResources({ memory: 64 * M, memorySwap: 128 * M }, { memory: 256 * M }), /Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time/);
  assert.deepEqual(mergeResources({ memory: 64 * M, memorySwap: 128 * M }, { memory: 128 * M }), { memory: 128 * M, memorySwap: 128 * M });
  assert.deepEqual(mergeResources({ memory: 64 * M, memorySwap: 128 * M }, { memory: 256 * M, memorySwap: 512 * M }), { memory: 256 * M, memorySwap: 512 * M });
  // The default memory+swap limit (twice the memory) follows the memory limit.
  assert.deepEqual(resourcesFrom(mergeResources({ memory: 64 * M }, { memory: 256 * M }), V1).memory, { limit: 256 * M, swap: 512 * M });
  // A memory+swap limit needs a memory limit; below the memory limit it is refused.
  assert.throws(() => resourcesFrom(mergeResources({}, { memorySwap: 256 * M }), V1), /set --memory as well/);
  assert.throws(() => resourcesFrom(mergeResources({ memory: 128 * M }, { memorySwap: 64 * M }), V1), /larger than or equal to --memory/);
  assert.throws(() => resourcesFrom(mergeResources({}, { memory: 1024 }), V1), /minimum allowed memory limit is 6MB/);
});

test('the runtime gets every setting, and values that undo the settings removed', () => {
  const host = () => ({ cpus: '0-3', mems: '0' });
  const before = resourcesFrom({ memory: 64 * M, memoryReservation: 32 * M, cpuShares: 512, cpuPeriod: 50000, cpuQuota: 25000, cpusetCpus: '0', cpusetMems: '0', pidsLimit: 10, hostCpuset: { cpus: '0-3', mems: '0' } }, V1);
  const after = resourcesFrom({ cpus: 0.5 }, V1);
  assert.deepEqual(runtimeResources(before, after, V1, host), {
    memory: { limit: -1, swap: -1, reservation: -1 },
    cpu: { quota: 50000, period: 100000, shares: 1024, cpus: '0-3', mems: '0' },
    pids: { limit: -1 },
  });
  // On cgroup v2, the reservation and the weight through their files (runc would write -1 and weight 39).
  assert.deepEqual(runtimeResources(resourcesFrom({ memoryReservation: 32 * M, cpuShares: 512 }, V2), {}, V2, host), { unified: { 'memory.low': '0', 'cpu.weight': '100' } });
  // Unchanged settings are sent as they are; nothing to undo, nothing added; never device rules.
  const same = resourcesFrom({ memory: 64 * M, pidsLimit: 10 }, V1);
  assert.deepEqual(runtimeResources(same, { ...same, devices: [{ allow: false, access: 'rwm' }] }, V1, host), same);
  assert.deepEqual(runtimeResources({}, {}, V1, host), {});
  // Real-time scheduling back to the kernel's defaults; the block I/O weight to CFQ's (v1) or io.weight's (v2).
  const rt: SpecResources = { cpu: { realtimePeriod: 50000, realtimeRuntime: 10000 }, blockIO: { weight: 300 } };
  assert.deepEqual(runtimeResources(rt, {}, V1, host), { cpu: { realtimeRuntime: 0, realtimePeriod: 1000000 }, blockIO: { weight: 500 } });
  assert.deepEqual(runtimeResources({ blockIO: { weight: 300 } }, {}, V2, host), { unified: { 'io.weight': 'default 100' } });
});

const dir = mkdtempSync(path.join(tmpdir(), 'berth-update-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const host = new ContainerHost({ root: path.join(dir, 'root'), runroot: path.join(dir, 'run') });

async function stored(name: string, status: ContainerRecord['state']['status'], spec: Partial<ContainerRecord['spec']> = {}): Promise<ContainerRecord> {
  const rec: ContainerRecord = {
    id: name.padEnd(64, '0'),
    name,
    created: new Date().toISOString(),
    spec: { image: 'i', ...spec },
    source: { imageName: 'i', layers: [], config: {} },
    runtime: { path: '/nonexistent/runc', name: 'runc' },
    snapshot: 'a',
    state: { status, pid: 0, monitorPid: 0, restartCount: 0 },
  };
  mkdirSync(path.dirname(host.records.paths(rec.id).record), { recursive: true });
  await host.records.save(rec);
  return rec;
}

test('a stopped container: the record changes, no runtime is asked', async () => {
  await stored('a1', 'exited', { resources: { memory: 64 * M, cpuShares: 512 } });
  const rec = await updateContainer(host, 'a1', { resources: { memory: 128 * M, pidsLimit: 50 }, restart: { name: 'on-failure', maximumRetryCount: 3 } }, { layout: V1 });
  assert.deepEqual(rec.spec.resources, { memory: 128 * M, cpuShares: 512, pidsLimit: 50 });
  assert.deepEqual((await host.records.load(rec.id)).spec, rec.spec);
  assert.deepEqual(rec.spec.restart, { name: 'on-failure', maximumRetryCount: 3 });
  const cleared = await updateContainer(host, 'a1', { restart: { name: 'no' } }, { layout: V1 });
  assert.equal(cleared.spec.restart, undefined);
});

test('refused: a bad value, a restart policy with --rm, a container being removed; the record unchanged', async () => {
  const rec = await stored('b1', 'created', { resources: { memory: 64 * M } });
  await assert.rejects(updateContainer(host, 'b1', { resources: { memory: 1024 } }, { layout: V1 }), /^BerthError: cannot update container b1: invalid --memory: minimum allowed memory limit is 6MB$/);
  assert.deepEqual((await host.records.load(rec.id)).spec, rec.spec);
  const rm = await stored('b2', 'created', { autoRemove: true });
  await assert.rejects(updateContainer(host, 'b2', { restart: { name: 'always' } }), /cannot update container b2: Restart policy cannot be updated because AutoRemove is enabled for the container/);
  assert.equal((await updateContainer(host, 'b2', { restart: { name: 'no' } })).spec.restart, undefined);
  assert.deepEqual((await host.records.load(rm.id)).spec, rm.spec);
  await stored('b3', 'removing');
  await assert.rejects(updateContainer(host, 'b3', { resources: { pidsLimit: 5 } }), /cannot update container b3: it is being removed/);
  await stored('b4', 'dead');
  await assert.rejects(updateContainer(host, 'b4', { resources: { pidsLimit: 5 } }), /it is dead/);
  await assert.rejects(updateContainer(host, 'nosuch', { resources: { pidsLimit: 5 } }), /No such container/);
});
