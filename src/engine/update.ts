// docker update: new cgroup limits and restart policy for a container that exists. The given
// settings are merged over the record's and checked as create checks them; a running or paused
// container gets them from the runtime's `update` first, and only once the runtime took them
// does the record change. A stopped container gets them at its next start.
import { BerthError, failedPrecondition, invalidArgument } from '../internal/errors.js';
import { type CgroupLayout, checkResources, detectCgroups, hostCpuset, type ResourceInput, resourcesFrom } from '../runtime/cgroups.js';
import type { SpecResources } from '../runtime/spec/types.js';
import { type ContainerRecord, type ContainerSpec, isLive } from './container.js';
import type { ContainerHost } from './host.js';
import { lookupContainer } from './state.js';

export interface UpdateRequest {
  /** Only the settings given (docker's flags): the others keep their recorded values. */
  resources?: ResourceInput;
  /** A new restart policy; name "no" clears it. */
  restart?: NonNullable<ContainerSpec['restart']>;
}

/**
 * The record's resources with the given ones over them, as docker's daemon updates them: a
 * zero (an empty cpuset) is no change; -1 takes a pids limit, a CFS quota or the memory+swap
 * limit away (swap unlimited). --cpus and the CFS pair are one setting in two forms: neither
 * is given while the other is recorded (dockerd's "Conflicting options: ..."). docker's rule:
 * a memory limit above the recorded memory+swap limit needs a new --memory-swap.
 */
export function mergeResources(stored: ResourceInput, requested: ResourceInput): ResourceInput {
  const given: ResourceInput = {};
  for (const [key, value] of Object.entries(requested)) {
    if (value !== undefined && value !== 0 && value !== '') (given as Record<string, unknown>)[key] = value;
  }
  // Booleans and swappiness, where 0 and false are values (berth's own, not docker update's).
  if (requested.memorySwappiness === 0) given.memorySwappiness = 0;
  if (requested.oomKillDisable === false) given.oomKillDisable = false;
  const out: ResourceInput = { ...stored };
  delete out.hostCpus;
  delete out.hostCpuset;
  const conflict = (what: string, recorded: string) => invalidArgument(`Conflicting options: ${what} cannot be updated as ${recorded} has already been set`);
  if ((given.cpus ?? 0) > 0 && (stored.cpuPeriod ?? 0) > 0) throw conflict('Nano CPUs', 'CPU Period');
  if ((given.cpus ?? 0) > 0 && (stored.cpuQuota ?? 0) > 0) throw conflict('Nano CPUs', 'CPU Quota');
  if ((given.cpuPeriod ?? 0) > 0 && (stored.cpus ?? 0) > 0) throw conflict('CPU Period', 'NanoCPUs');
  if ((given.cpuQuota ?? 0) > 0 && (stored.cpus ?? 0) > 0) throw conflict('CPU Quota', 'NanoCPUs');
  if (given.memory !== undefined && given.memorySwap === undefined) {
    if (given.memory > 0 && stored.memorySwap !== undefined && stored.memorySwap > 0 && given.memory > stored.memorySwap) {
      throw invalidArgument('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    // No memory limit, no memory+swap limit either.
    if (given.memory <= 0) delete out.memorySwap;
  }
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined && key !== 'hostCpus' && key !== 'hostCpuset') (out as Record<string, unknown>)[key] = value;
  }
  const none: [keyof ResourceInput, (v: never) => boolean][] = [
    ['memory', (v: number) => v <= 0],
    ['memorySwap', (v: number) => v === 0],
    ['memoryReservation', (v: number) => v <= 0],
    ['memorySwappiness', (v: number) => v === -1],
    ['oomKillDisable', (v: boolean) => !v],
    ['cpuShares', (v: number) => v <= 0],
    ['cpuQuota', (v: number) => v <= 0],
    ['cpuPeriod', (v: number) => v === 0],
    ['cpusetCpus', (v: string) => v === ''],
    ['cpusetMems', (v: string) => v === ''],
    ['pidsLimit', (v: number) => v <= 0],
    ['blkioWeight', (v: number) => v === 0],
    ['cpuRtPeriod', (v: number) => v === 0],
    ['cpuRtRuntime', (v: number) => v === 0],
  ];
  for (const [key, isNone] of none) if (out[key] !== undefined && isNone(out[key] as never)) delete out[key];
  return out;
}

/**
 * What the runtime's update gets for a running container: every setting the merged resources
 * have (a field left out is left as it is), plus the value that undoes each setting the old
 * ones had and the new ones lack (unlimited, the default period and shares, every CPU), so the
 * cgroup ends as a start with the new settings would make it. Never device rules.
 */
export function runtimeResources(before: SpecResources, after: SpecResources, layout: CgroupLayout, host: () => { cpus: string; mems: string } = hostCpuset): SpecResources {
  const out: SpecResources = structuredClone(after);
  delete out.devices;
  const v2 = layout.mode === 'v2';
  const memory = (out.memory ??= {});
  const cpu = (out.cpu ??= {});
  const unified: Record<string, string> = {};
  if (before.memory?.limit !== undefined && memory.limit === undefined) memory.limit = -1;
  if (before.memory?.swap !== undefined && memory.swap === undefined) memory.swap = -1;
  // runc writes -1 to v1's soft limit (none) but would write it to v2's memory.low as is.
  if (before.memory?.reservation !== undefined && memory.reservation === undefined) {
    if (v2) unified['memory.low'] = '0';
    else memory.reservation = -1;
  }
  if (before.cpu?.quota !== undefined && cpu.quota === undefined) cpu.quota = -1;
  if (before.cpu?.period !== undefined && cpu.period === undefined) cpu.period = 100000;
  // v2's default weight is 100; runc would turn shares 1024 into weight 39.
  if (before.cpu?.shares !== undefined && cpu.shares === undefined) {
    if (v2) unified['cpu.weight'] = '100';
    else cpu.shares = 1024;
  }
  // The kernel's defaults for real-time group scheduling: a 1 s period, no runtime.
  if (before.cpu?.realtimeRuntime !== undefined && cpu.realtimeRuntime === undefined) cpu.realtimeRuntime = 0;
  if (before.cpu?.realtimePeriod !== undefined && cpu.realtimePeriod === undefined) cpu.realtimePeriod = 1000000;
  // The default weight: CFQ's 500 on v1, io.weight's 100 on v2.
  if (before.blockIO?.weight !== undefined && out.blockIO?.weight === undefined) {
    if (v2) unified['io.weight'] = 'default 100';
    else (out.blockIO ??= {}).weight = 500;
  }
  if (before.cpu?.cpus !== undefined && cpu.cpus === undefined) cpu.cpus = host().cpus;
  if (before.cpu?.mems !== undefined && cpu.mems === undefined) cpu.mems = host().mems;
  if (before.pids !== undefined && out.pids === undefined) out.pids = { limit: -1 };
  if (Object.keys(memory).length === 0) delete out.memory;
  if (Object.keys(cpu).length === 0) delete out.cpu;
  if (Object.keys(unified).length > 0) out.unified = unified;
  return out;
}

/** The merged resources of `rec` with `given`, checked; the error names the container. */
function checked<T>(rec: ContainerRecord, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw BerthError.wrap(err, `cannot update container ${rec.name}`, 'invalid-argument');
  }
}

/** docker update of one container (name or ID): its record after the change. */
export async function updateContainer(
  host: ContainerHost,
  query: string,
  request: UpdateRequest,
  options: { layout?: CgroupLayout; onWarning?: (text: string) => void } = {},
): Promise<ContainerRecord> {
  const found = await lookupContainer(host, query);
  const lock = await host.records.lock(found.id);
  try {
    const cur = await host.records.load(found.id);
    const status = cur.state.status;
    if (status === 'removing' || status === 'dead') {
      throw failedPrecondition(`cannot update container ${cur.name}: it is ${status === 'removing' ? 'being removed' : 'dead'}`);
    }
    const spec: ContainerSpec = { ...cur.spec };
    if (request.restart) {
      if (request.restart.name === 'no') delete spec.restart;
      else if (cur.spec.autoRemove) {
        throw invalidArgument(`cannot update container ${cur.name}: Restart policy cannot be updated because AutoRemove is enabled for the container`);
      } else spec.restart = request.restart;
    }
    const given = request.resources ?? {};
    if (Object.keys(given).length > 0) {
      const layout = options.layout ?? detectCgroups();
      // dockerd's own refusals of an update (a conflict with what is recorded) name the full ID.
      let merged: ResourceInput;
      try {
        merged = mergeResources(cur.spec.resources ?? {}, given);
      } catch (err) {
        throw BerthError.wrap(err, `Cannot update container ${cur.id}`, 'invalid-argument');
      }
      // Checked as create checks them: what this host cannot apply is dropped with docker's warning.
      const { resources, warnings } = checked(cur, () => checkResources(merged, layout));
      const after = resourcesFrom(resources, layout);
      spec.resources = resources;
      if (isLive(status)) await applyLive(host, cur, after, layout);
      for (const text of warnings) options.onWarning?.(text);
    }
    cur.spec = spec;
    await host.records.save(cur);
    return cur;
  } finally {
    await lock.release();
  }
}

/**
 * The runtime's update of a running or paused container; one that stopped meanwhile is left to
 * its next start. A failure puts back what the runtime may have half changed.
 */
async function applyLive(host: ContainerHost, rec: ContainerRecord, after: SpecResources, layout: CgroupLayout): Promise<void> {
  let before: SpecResources = {};
  try {
    before = resourcesFrom(rec.spec.resources ?? {}, layout);
  } catch {
    // Recorded settings this host no longer takes (fewer CPUs): nothing of theirs to undo.
  }
  // runc's update sets neither (they stay as the container started): refused rather than recorded unapplied.
  if (before.memory?.swappiness !== after.memory?.swappiness || (before.memory?.disableOOMKiller ?? false) !== (after.memory?.disableOOMKiller ?? false)) {
    throw failedPrecondition(`cannot update container ${rec.name}: --memory-swappiness and --oom-kill-disable cannot change while it runs: stop it first`);
  }
  const runtime = host.runtimeOf(rec);
  try {
    await runtime.update(rec.id, runtimeResources(before, after, layout));
  } catch (err) {
    const now = await runtime.state(rec.id).then(
      (s) => s.status,
      () => 'missing',
    );
    if (now !== 'running' && now !== 'paused') return;
    // The runtime may have set some files before one failed: the old settings back, as far as they go.
    await runtime.update(rec.id, runtimeResources(after, before, layout)).catch(() => {});
    // The runtime's message names the container by its ID; the user named it.
    if (err instanceof BerthError) throw new BerthError(err.kind, err.message.replace(rec.id, rec.name), { cause: err, detail: err.detail });
    throw err;
  }
}
