// The verbs on a container that exists: stop (signal, grace period, SIGKILL), kill, pause,
// unpause, wait, rename, restart and rm; each reconciles first and leaves the truth on disk.
import { mkdirSync, watch, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { BerthError, failedPrecondition, invalidArgument, isBerthError } from '../internal/errors.js';
import { checkName, type ContainerRecord, isActive, notRunning } from './container.js';
import { checkSignal, containerEvent, signalNumber } from './events.js';
import { type LabelFilter, labelMatches } from './labels.js';
import { discardContainer } from './create.js';
import type { ContainerHost } from './host.js';
import { cleanupStopped, deleteRuntimeState, dropClient, initRunning, lookupContainer, refresh, removedExitCode } from './state.js';
import { initEntriesSize } from './rootfs.js';
import { processGone } from '../internal/spawn.js';

/** Waits until the container is no longer running (exit file watched, liveness checked). */
export async function waitStopped(host: ContainerHost, rec: ContainerRecord, timeoutMs = Infinity): Promise<ContainerRecord | undefined> {
  const exits = path.join(host.records.paths(rec.id).stateDir, 'exits');
  mkdirSync(exits, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let wake: (() => void) | undefined;
  const watcher = watch(exits, () => wake?.());
  try {
    for (;;) {
      const cur = await refresh(host, await host.records.load(rec.id).catch(() => rec));
      if (!cur || !isActive(cur.state.status)) return cur;
      const left = deadline - Date.now();
      if (left <= 0) return cur;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 100));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    watcher.close();
  }
}

/** docker stop: the stop signal, up to `timeoutSec` seconds, then SIGKILL. */
export async function stopContainer(host: ContainerHost, query: string, options: { timeoutSec?: number; signal?: string } = {}): Promise<ContainerRecord> {
  // -s is parsed first, as docker's API (1.42 on) parses it: "Invalid signal: FOO". Unchecked,
  // the runtime's refusal left the container to the SIGKILL at the end of the grace period.
  if (options.signal !== undefined) checkSignal(options.signal);
  let rec = await lookupContainer(host, query);
  if (!isActive(rec.state.status)) return rec;
  await markStoppedByUser(host, rec, true);
  const runtime = host.runtimeOf(rec);
  if (rec.state.status === 'paused') await runtime.resume(rec.id).catch(() => {});
  const sig = options.signal ?? rec.spec.stopSignal ?? rec.source.config.stopSignal ?? 'SIGTERM';
  const timeout = options.timeoutSec ?? rec.spec.stopTimeout ?? 10;
  await runtime.kill(rec.id, sig).catch(() => {});
  containerEvent(host.runroot, rec, 'kill', { signal: signalNumber(sig) });
  // A negative timeout waits as long as the container takes (docker's -t -1): no SIGKILL.
  let cur = timeout !== 0 ? await waitStopped(host, rec, timeout > 0 ? timeout * 1000 : Infinity) : rec;
  if (cur && isActive(cur.state.status)) {
    await runtime.kill(rec.id, 'SIGKILL', { all: true }).catch(() => runtime.kill(rec.id, 'SIGKILL').catch(() => {}));
    cur = await waitStopped(host, rec, 10_000);
  }
  rec = cur ?? rec;
  containerEvent(host.runroot, rec, 'stop');
  return rec;
}

/** endHealthTimer: the container is being stopped, so its health checks end now (docker's too). */
async function markStoppedByUser(host: ContainerHost, rec: ContainerRecord, endHealthTimer = false): Promise<void> {
  const lock = await host.records.lock(rec.id);
  try {
    const cur = await host.records.load(rec.id);
    cur.state.stoppedByUser = true;
    if (endHealthTimer && cur.state.healthTimerPid) {
      (await import('./health.js')).endHealthTimer(cur);
      delete rec.state.healthTimerPid;
    }
    await host.records.save(cur);
    rec.state.stoppedByUser = true;
  } finally {
    await lock.release();
  }
}

function needRunning(rec: ContainerRecord, verb: string): void {
  if (!isActive(rec.state.status)) throw failedPrecondition(`cannot ${verb} container ${rec.name}: it is not running`);
}

export async function killContainer(host: ContainerHost, query: string, signal = 'SIGKILL'): Promise<ContainerRecord> {
  // A name that is no signal is refused before the container is looked up, as docker's API
  // parses it; a number is then checked for the platform, and the container, in dockerd's words.
  const sig = checkSignal(signal);
  const rec = await lookupContainer(host, query).catch((err: unknown) => {
    throw BerthError.wrap(err, `Cannot kill container: ${query}`);
  });
  if (/^\d+$/.test(sig) && Number(sig) > 64) throw invalidArgument(`Cannot kill container: ${query}: The linux daemon does not support signal ${sig}`);
  if (!isActive(rec.state.status)) throw BerthError.wrap(notRunning(rec), `Cannot kill container: ${query}`);
  // A SIGKILL ends the container: its health checks end with it (other signals may not).
  await markStoppedByUser(host, rec, sig === 'SIGKILL' || sig === '9');
  await host.runtimeOf(rec).kill(rec.id, sig);
  containerEvent(host.runroot, rec, 'kill', { signal: signalNumber(sig) });
  return rec;
}

export async function pauseContainer(host: ContainerHost, query: string, pause: boolean): Promise<ContainerRecord> {
  const rec = await lookupContainer(host, query);
  // docker's checks: pause wants a running container not yet paused; unpause, a paused one.
  if (!pause && rec.state.status !== 'paused') throw failedPrecondition(`cannot unpause container ${rec.name}: it is not paused`);
  needRunning(rec, 'pause');
  if (pause && rec.state.status === 'paused') throw failedPrecondition(`cannot pause container ${rec.name}: it is already paused`);
  const lock = await host.records.lock(rec.id);
  try {
    const runtime = host.runtimeOf(rec);
    if (pause) await runtime.pause(rec.id);
    else await runtime.resume(rec.id);
    const cur = await host.records.load(rec.id);
    cur.state.status = pause ? 'paused' : 'running';
    await host.records.save(cur);
    containerEvent(host.runroot, cur, pause ? 'pause' : 'unpause');
    return cur;
  } finally {
    await lock.release();
  }
}

/** docker wait: blocks until the container stops; its exit code. */
export async function waitContainer(host: ContainerHost, query: string): Promise<number> {
  const rec = await lookupContainer(host, query);
  const cur = await waitStopped(host, rec);
  // A --rm container is gone once its exit is settled: its code was kept for this.
  return cur?.state.exitCode ?? removedExitCode(host, rec.id) ?? rec.state.exitCode ?? 0;
}

/**
 * docker rename, checked in dockerd's order and words: the container first ("No such
 * container"), then the same name ("Renaming a container with the same name as its current
 * name"), then the new name's form and whether it is free, each "Error when allocating new
 * name: ..." (the name said as "/NAME").
 */
export async function renameContainer(host: ContainerHost, query: string, newName: string): Promise<void> {
  const slashed = newName.startsWith('/') ? newName : `/${newName}`;
  const lock = await host.records.namesLock();
  try {
    const rec = await host.records.resolve(query);
    if (`/${rec.name}` === slashed) throw invalidArgument('Renaming a container with the same name as its current name');
    let name: string;
    try {
      name = checkName(slashed);
      await host.records.checkNameFree(name, rec.id);
    } catch (err) {
      throw BerthError.wrap(err, 'Error when allocating new name');
    }
    const clock = await host.records.lock(rec.id);
    try {
      const cur = await host.records.load(rec.id);
      const oldName = cur.name;
      cur.name = name;
      await host.records.save(cur);
      containerEvent(host.runroot, cur, 'rename', { oldName: `/${oldName}` });
    } finally {
      await clock.release();
    }
  } finally {
    await lock.release();
  }
}

export async function restartContainer(host: ContainerHost, query: string, options: { timeoutSec?: number; signal?: string } = {}): Promise<ContainerRecord> {
  const rec = await stopContainer(host, query, options);
  const { startContainer } = await import('./start.js');
  const started = await startContainer(host, rec).catch((err: unknown) => {
    // dockerd's words: "Cannot restart container NAME: <why it would not start>".
    const why = err instanceof Error ? err.message.replace(/^cannot start container(?: \S+)?: /, '') : String(err);
    const wrapped = new BerthError(isBerthError(err) ? err.kind : 'internal', `Cannot restart container ${query}: ${why}`, { cause: err });
    // Said already by the runtime on the CLI's stderr: not again.
    throw (err as { runtimeReported?: boolean }).runtimeReported ? Object.assign(wrapped, { runtimeReported: true }) : wrapped;
  });
  containerEvent(host.runroot, started, 'restart');
  return started;
}

/**
 * SIGKILL to every process of a running container. With a PID namespace of its own, a SIGKILL
 * to its init is that already (the kernel kills the rest of the namespace with it) and costs no
 * runtime process; otherwise (--pid=host; paused, whose frozen tasks die only once thawed; a
 * foreground run, whose init berth does not record) the runtime's `kill --all`.
 */
async function killAll(host: ContainerHost, rec: ContainerRecord): Promise<void> {
  if (rec.state.status === 'running' && (rec.spec.pidMode ?? 'private') === 'private' && initRunning(rec)) {
    try {
      process.kill(rec.state.pid, 'SIGKILL');
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return;
    }
  }
  const runtime = host.runtimeOf(rec);
  await runtime.kill(rec.id, 'SIGKILL', { all: true }).catch(() => runtime.kill(rec.id, 'SIGKILL').catch(() => {}));
}

/**
 * docker rm: a running container only with force (killed first); everything it held goes.
 * `volumes` (rm -v, --rm): its anonymous volumes too, once its record is gone.
 */
export async function removeContainer(host: ContainerHost, query: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<ContainerRecord> {
  const rec = await removeRecord(host, query, options);
  if (options.volumes && rec.spec.mounts?.some((m) => m.type === 'volume')) {
    const { removeAnonymousVolumes } = await import('./container-volumes.js');
    await removeAnonymousVolumes(host, rec);
  }
  return rec;
}

async function removeRecord(host: ContainerHost, query: string, options: { force?: boolean }): Promise<ContainerRecord> {
  let rec = await lookupContainer(host, query);
  if (isActive(rec.state.status)) {
    if (!options.force) {
      throw failedPrecondition(`cannot remove container ${rec.name}: it is ${rec.state.status}: stop it first or use force (-f)`);
    }
    // Being removed: the exit command of its monitor must not restart it.
    if (rec.spec.restart && rec.spec.restart.name !== 'no') await markStoppedByUser(host, rec);
    // Its health checks end first: none must run into a container being removed.
    if (rec.state.healthTimerPid) (await import('./health.js')).endHealthTimer(rec);
    // rm cleans up below; the monitor's exit command sees the marker and leaves it to us.
    const marker = host.records.paths(rec.id).removingMarker;
    try {
      writeFileSync(marker, '');
    } catch {}
    // Asked before the kill: the monitor ends a moment after the container.
    const monitored = rec.state.status === 'running' && rec.state.mode === 'monitor' && (await monitorAlive(host, rec));
    try {
      await killAll(host, rec);
      containerEvent(host.runroot, rec, 'kill', { signal: '9' });
    } catch (err) {
      await fs.rm(marker, { force: true });
      throw err;
    }
    if (monitored) return removeKilled(host, rec);
    // Under conmon, the runtime's delete --force (it kills what is left, waits for it and
    // releases the runtime's state and cgroups) and the rootfs unmount need not wait for the
    // exit record: done now, their ~10 ms overlap the monitor's exit bookkeeping, and the
    // reconciliation below finds them done. (A foreground run's `runtime run` deletes its own.)
    if (rec.state.mode !== 'foreground') {
      const lock = await host.records.lock(rec.id);
      try {
        await cleanupStopped(host, rec).catch(() => {});
      } finally {
        await lock.release();
      }
    }
    rec = (await waitStopped(host, rec, 10_000)) ?? rec;
  }
  const lock = await host.records.lock(rec.id);
  try {
    const cur = await host.records.load(rec.id).catch(() => undefined);
    if (!cur) return rec;
    cur.state.status = 'removing';
    await host.records.save(cur);
    await cleanupStopped(host, cur);
    await discardContainer(host, cur);
    return cur;
  } finally {
    await lock.release();
  }
}

/** Whether the container's recorded monitor is that conmon, still running (not a reused pid). */
async function monitorAlive(host: ContainerHost, rec: ContainerRecord): Promise<boolean> {
  if (rec.state.monitorPid <= 0) return false;
  const { monitorRunning } = await import('../runtime/monitor.js');
  return monitorRunning(host.records.paths(rec.id).stateDir, rec.id, rec.state.monitorPid);
}

/**
 * The rest of `rm -f` for a running container under its monitor, once SIGKILL is sent: all
 * under the container's lock. Once the container's init is gone, the runtime's delete --force
 * (its state and cgroups, ~8 ms of a runtime process) runs while everything else goes: once
 * the monitor is gone too (it reaped the container, wrote the exit record and ran its exit
 * command, which the marker turned away, so nothing writes in the container's files any more),
 * the record says "removing" and the rootfs, snapshot, hold and monitor files are removed; the
 * record's own dir goes last, after the runtime's delete, so a crash half way leaves a record
 * for the next rm to finish. (The runtime, asked while the init still ran, would kill it again
 * and poll for its end in 100 ms steps.)
 */
async function removeKilled(host: ContainerHost, rec: ContainerRecord): Promise<ContainerRecord> {
  const lock = await host.records.lock(rec.id);
  try {
    const cur = await host.records.load(rec.id).catch(() => undefined);
    if (!cur) return rec;
    await processGone(rec.state.pid, 10_000);
    const deleted = deleteRuntimeState(host, cur);
    try {
      // conmon ends a moment after the container; one that hangs is given up after 10 s (its
      // exit command then finds the marker gone and the record "removing", and does nothing).
      await processGone(rec.state.monitorPid, 10_000);
      containerEvent(host.runroot, cur, 'die', { exitCode: '137' });
      cur.state.status = 'removing';
      await host.records.save(cur);
      await discardContainer(host, cur, deleted);
    } finally {
      await deleted;
    }
    return cur;
  } finally {
    await lock.release();
  }
}

/**
 * A --rm container's attached CLI leaves it running (the detach keys): its removal at exit
 * goes back to whoever settles that exit (the monitor's cleanup). An exit settled already,
 * while the CLI still held the removal, is removed here.
 */
export async function releaseAutoRemove(host: ContainerHost, id: string): Promise<void> {
  const cur = await dropClient(host, id);
  if (cur && !isActive(cur.state.status)) await removeContainer(host, id, { force: true, volumes: true }).catch(() => {});
}

export interface PrunedContainer {
  id: string;
  /** Bytes of its writable layer, measured just before its removal. */
  size: number;
}

/**
 * docker container prune: every stopped container (exited, created, dead) is removed, each one's
 * writable layer measured first (what the removal frees). `labels`: each must hold (a label
 * present, or equal when a value is given); `notLabels`: none may.
 */
export async function pruneContainers(
  host: ContainerHost,
  options: { until?: Date; labels?: LabelFilter[]; notLabels?: LabelFilter[] } = {},
): Promise<PrunedContainer[]> {
  const { listContainers } = await import('./state.js');
  const removed: PrunedContainer[] = [];
  for (const rec of await listContainers(host)) {
    if (isActive(rec.state.status)) continue;
    if (options.until && Date.parse(rec.created) >= options.until.getTime()) continue;
    const labels = rec.spec.labels ?? {};
    const has = (l: LabelFilter) => labelMatches(labels, l);
    if (!(options.labels ?? []).every(has) || (options.notLabels ?? []).some(has)) continue;
    const size = await containerSize(host, rec);
    await removeContainer(host, rec.id, { force: false });
    removed.push({ id: rec.id, size });
  }
  return removed;
}

/**
 * Bytes of a container's writable layer (0 when its snapshot is gone), without docker's init
 * entries in it (rootfs.ts), which docker's init layer holds and its SizeRw does not count.
 */
export async function containerSize(host: ContainerHost, rec: ContainerRecord): Promise<number> {
  const driver = await host.driver();
  try {
    const bytes = await driver.usage(rec.snapshot);
    const upper = (await driver.data(rec.snapshot)).UpperDir;
    return bytes - (upper ? initEntriesSize(upper) : 0);
  } catch (err) {
    if (isBerthError(err, 'not-found') || isBerthError(err, 'invalid-argument')) return 0;
    throw err;
  }
}

/**
 * docker's container sizes: SizeRw, its writable layer; SizeRootFs, that plus the image layers
 * under it (their unpacked sizes as the store recorded them).
 */
export async function containerSizes(host: ContainerHost, rec: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
  const store = await host.store();
  const rw = await containerSize(host, rec);
  let layers = 0;
  for (const chain of rec.source.layers) layers += (await store.layers.get(chain))?.size ?? 0;
  return { rw, rootFs: rw + layers };
}

/** Run by conmon after a container exits: record the exit, release mounts and runtime state, --rm, restart. */
export async function cleanupContainer(host: ContainerHost, id: string): Promise<void> {
  const rec = await host.records.load(id).catch(() => undefined);
  if (rec) await refresh(host, rec);
}
