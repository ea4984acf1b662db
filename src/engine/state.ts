// Reconciliation: the recorded state checked against the truth (the monitor's exit file, the
// container's and monitor's processes, the runtime's state), and the cleanup of what stopped.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { acquireLock } from '../store/lock.js';
import { BerthError } from '../internal/errors.js';
import type { ExitRecord } from '../runtime/monitor.js';
import { releaseStrandedHandoff, strandedHandoff } from '../runtime/spec-handoff.js';
import { type ContainerRecord, isActive } from './container.js';
import { containerEvent } from './events.js';
import type { ContainerHost } from './host.js';
import { unmountRootfs } from './rootfs.js';
import { processAlive } from '../internal/process.js';
import { removeFile } from '../internal/remove.js';
import { readTextOr } from '../internal/read.js';

/** Exit code recorded when a container ended with nobody left to see how (monitor killed). */
export const UNKNOWN_EXIT = 255;

let bootTime: number | undefined;

/**
 * Whether `pid` is alive and is the process recorded at `startedAt`, not a later one that got
 * its number (after a reboot, or pid reuse): a process that began after the start is another.
 */
function sameProcess(pid: number, startedAt: string | undefined): boolean {
  if (!processAlive(pid)) return false;
  if (!startedAt) return true;
  try {
    bootTime ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]) * 1000;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const began = bootTime + (ticks / 100) * 1000;
    return began <= Date.parse(startedAt) + 5000;
  } catch {
    return true;
  }
}

/** Whether the container's init, as recorded by its monitor, still runs (and is no later process with its pid). */
export function initRunning(rec: ContainerRecord): boolean {
  return rec.state.mode === 'monitor' && rec.state.pid > 0 && sameProcess(rec.state.pid, rec.state.startedAt);
}

/** Whether a recorded running container still runs, cheaply (no runtime call while its processes live). */
type Seen = ExitRecord & { lost?: boolean };

/** The monitor's exit record (loaded on first use: the foreground path never needs it). */
async function readExit(stateDir: string, id: string): Promise<ExitRecord | undefined> {
  const m = await import('../runtime/monitor.js');
  return m.readExit(stateDir, id);
}

async function probe(host: ContainerHost, rec: ContainerRecord): Promise<Seen | 'running' | 'paused'> {
  const paths = host.records.paths(rec.id);
  const exit = await readExit(paths.stateDir, rec.id);
  if (exit) return exit;
  if (rec.state.mode === 'foreground' ? sameProcess(rec.state.monitorPid, rec.state.startedAt) : sameProcess(rec.state.pid, rec.state.startedAt)) {
    return rec.state.status === 'paused' ? 'paused' : 'running';
  }
  // The container's init is gone but its monitor lives: it is draining the output and about to
  // write the exit file, so the container is still ending (no runtime call needed to know).
  if (rec.state.mode !== 'foreground' && sameProcess(rec.state.monitorPid, rec.state.startedAt)) return 'running';
  let status: string;
  try {
    status = (await host.runtimeOf(rec).state(rec.id)).status;
  } catch {
    status = 'missing';
  }
  if (status === 'running' || status === 'paused') return status;
  const again = await readExit(paths.stateDir, rec.id);
  if (again) return again;
  return { exitCode: UNKNOWN_EXIT, exitedAt: new Date(), oomKilled: false, lost: true };
}

/**
 * The record with its true state; a container found stopped is cleaned up (runtime state,
 * cgroups, rootfs mount) and recorded as exited, and removed when it was run with --rm.
 * Returns undefined when the container was removed.
 */
export async function refresh(host: ContainerHost, rec: ContainerRecord, options: { cleanup?: boolean } = {}): Promise<ContainerRecord | undefined> {
  if (rec.state.status === 'created') return adoptCreated(host, rec);
  if (!isActive(rec.state.status)) {
    // An exited --rm container its attached CLI was to remove, and that CLI is gone (killed).
    if (rec.spec.autoRemove && rec.state.clientPid && options.cleanup !== false && !clientAttached(rec)) return removeAutoRemoved(host, rec);
    return rec;
  }
  const seen = await probe(host, rec);
  if (seen === 'running' || seen === 'paused') {
    if (seen !== rec.state.status) rec.state.status = seen;
    return rec;
  }
  if (options.cleanup === false) return { ...rec, state: exitedState(rec, seen) };
  const lock = await host.records.lock(rec.id);
  try {
    let cur: ContainerRecord;
    try {
      cur = await host.records.load(rec.id);
    } catch {
      return undefined;
    }
    if (!isActive(cur.state.status)) return cur;
    // Started again since the probe (a restart policy's start by whoever settled that exit
    // first): the probe saw the run before, and this one must not be settled, or restarted, by it.
    if (cur.state.startedAt !== rec.state.startedAt) return cur;
    cur.state = exitedState(cur, seen);
    // Its health timer ends with the init it watches; one that did not yet is ended here.
    if (cur.state.healthTimerPid) (await import('./health.js')).endHealthTimer(cur);
    await cleanupStopped(host, cur);
    await host.records.save(cur);
    containerEvent(host.runroot, cur, 'die', { exitCode: String(cur.state.exitCode ?? UNKNOWN_EXIT) });
    rec = cur;
  } finally {
    await lock.release();
  }
  if (rec.spec.autoRemove && !clientAttached(rec)) return removeAutoRemoved(host, rec);
  if (shouldRestart(rec)) {
    const { startContainer } = await import('./start.js');
    // The count goes up in the same write that records the new run: a reader never sees the
    // restart counted while the container still shows its previous exit.
    await startContainer(host, rec, { countRestart: true }).catch(() => {});
    return host.records.load(rec.id).catch(() => undefined);
  }
  return rec;
}

/** Whether a --rm container's attached CLI (ContainerState.clientPid) still runs: it removes the container. */
function clientAttached(rec: ContainerRecord): boolean {
  return rec.state.clientPid !== undefined && sameProcess(rec.state.clientPid, rec.state.startedAt);
}

async function removeAutoRemoved(host: ContainerHost, rec: ContainerRecord): Promise<undefined> {
  keepExitCode(host, rec);
  // The removal looks the container up again (a refresh): with the gone CLI still named, that
  // refresh would come back here, for ever.
  if (rec.state.clientPid !== undefined) await dropClient(host, rec.id);
  const { removeContainer } = await import('./lifecycle.js');
  await removeContainer(host, rec.id, { force: true, volumes: true }).catch(() => {});
  return undefined;
}

/**
 * Forgets the CLI a --rm container named as its remover (gone, or leaving it running), under
 * the lock; the record as saved, or undefined when it named none (or is gone).
 */
export async function dropClient(host: ContainerHost, id: string): Promise<ContainerRecord | undefined> {
  const lock = await host.records.lock(id);
  try {
    const cur = await host.records.load(id).catch(() => undefined);
    if (!cur || cur.state.clientPid === undefined) return undefined;
    delete cur.state.clientPid;
    await host.records.save(cur);
    return cur;
  } finally {
    await lock.release();
  }
}

/**
 * How long the exit code of a --rm container removed at its exit is kept (in the run root),
 * for `wait` and an attached CLI that learn of the exit only after the removal (podman keeps
 * such exit codes too).
 */
const REMOVED_EXIT_KEEP_MS = 10 * 60_000;

function removedExitsDir(host: ContainerHost): string {
  return path.join(host.runroot, 'removed-exits');
}

/** The exit code of a --rm container removed at its exit, while it is kept; else undefined. */
export function removedExitCode(host: ContainerHost, id: string): number | undefined {
  const text = readTextOr(path.join(removedExitsDir(host), id)).trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Keeps `rec`'s exit code past its removal; older ones go. A failure only loses the code. */
function keepExitCode(host: ContainerHost, rec: ContainerRecord): void {
  if (rec.state.exitCode === undefined) return;
  const dir = removedExitsDir(host);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const old = Date.now() - REMOVED_EXIT_KEEP_MS;
    for (const name of readdirSync(dir)) {
      try {
        if (statSync(path.join(dir, name)).mtimeMs < old) removeFile(path.join(dir, name));
      } catch {}
    }
    writeFileSync(path.join(dir, rec.id), String(rec.state.exitCode), { mode: 0o600 });
  } catch {}
}

function exitedState(rec: ContainerRecord, exit: Seen): ContainerRecord['state'] {
  const lost = exit.lost === true;
  return {
    ...rec.state,
    status: 'exited',
    pid: 0,
    monitorPid: 0,
    exitCode: exit.exitCode,
    oomKilled: exit.oomKilled,
    finishedAt: exit.exitedAt.toISOString(),
    ...(lost ? { error: 'the container monitor is gone: exit code unknown' } : {}),
  };
}

function shouldRestart(rec: ContainerRecord): boolean {
  const policy = rec.spec.restart;
  if (!policy || policy.name === 'no' || rec.state.stoppedByUser) return false;
  if (policy.name === 'on-failure') {
    if (rec.state.exitCode === 0) return false;
    if (policy.maximumRetryCount && rec.state.restartCount >= policy.maximumRetryCount) return false;
  }
  return true;
}

/**
 * Releases what a stopped container held: the runtime's state and cgroups, the rootfs mount,
 * and its share of its volumes' mounted file systems (the last user unmounts them).
 */
export async function cleanupStopped(host: ContainerHost, rec: ContainerRecord): Promise<void> {
  // The runtime's state and the rootfs mount are independent: released side by side.
  const deleted = deleteRuntimeState(host, rec);
  try {
    await unmountRootfs(await host.driver(), host.records.paths(rec.id));
    if (rec.spec.mounts?.some((m) => m.type === 'volume')) await (await import('./container-volumes.js')).releaseVolumes(host, rec);
  } finally {
    await deleted;
  }
}

/**
 * The runtime's `delete --force` of the container (its state and cgroups); never rejects: a
 * failure other than "no such container" is kept in rec.state.error.
 */
export async function deleteRuntimeState(host: ContainerHost, rec: ContainerRecord): Promise<void> {
  const runtime = host.runtimeOf(rec);
  // runc and crun keep a container's state in <root>/<id>: without it there is nothing to delete
  // (the runtime would only say so), and asking would cost a runtime process.
  if (['runc', 'crun'].includes(runtime.name) && !existsSync(path.join(runtime.root, rec.id))) return;
  await runtime.delete(rec.id, { force: true }).catch((err: unknown) => {
    if (!(err instanceof BerthError && /does not exist|not exist|not found/i.test(err.message))) {
      rec.state.error = err instanceof Error ? err.message : String(err);
    }
  });
}

/**
 * A 'created' record whose start was cut short (the CLI killed after the monitor had the
 * runtime create the container): adopted as running when it runs, else the runtime's
 * half-made container and the rootfs mount are released. Skipped while a start holds the lock.
 */
async function adoptCreated(host: ContainerHost, rec: ContainerRecord): Promise<ContainerRecord> {
  const p = host.records.paths(rec.id);
  // A start killed before its runtime read the spec: that runtime (and its conmon) may wait on
  // the FIFO for ever; released here, once no start holds the lock.
  if (strandedHandoff(p.spec)) {
    const held = await acquireLock(p.lock, { wait: false });
    if (held) {
      try {
        await releaseStrandedHandoff(p.spec);
      } finally {
        await held.release();
      }
    }
  }
  let pidText: string;
  try {
    pidText = readFileSync(path.join(p.stateDir, 'pidfile'), 'utf8');
  } catch {
    return rec;
  }
  const lock = await acquireLock(p.lock, { wait: false });
  if (!lock) return rec;
  try {
    const cur = await host.records.load(rec.id);
    if (cur.state.status !== 'created') return cur;
    const runtime = host.runtimeOf(cur);
    const status = await runtime.state(cur.id).then(
      (st) => st.status,
      () => 'missing',
    );
    if (status === 'running' || status === 'paused') {
      const conmon = await fs.readFile(path.join(p.stateDir, 'conmon.pid'), 'utf8').catch(() => '0');
      const st = await fs.stat(path.join(p.stateDir, 'pidfile'));
      cur.state = { ...cur.state, status, pid: Number(pidText.trim()), monitorPid: Number(conmon.trim()), mode: 'monitor', startedAt: st.mtime.toISOString() };
    } else {
      const exit = await readExit(p.stateDir, cur.id);
      if (exit) cur.state = exitedState(cur, exit);
      await cleanupStopped(host, cur);
      await fs.rm(path.join(p.stateDir, 'pidfile'), { force: true });
    }
    await host.records.save(cur);
    return cur;
  } finally {
    await lock.release();
  }
}

/** Every record, reconciled (the view `ps` and `inspect` show); stale rootfs mounts released. */
export async function listContainers(host: ContainerHost): Promise<ContainerRecord[]> {
  const out: ContainerRecord[] = [];
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const rec of await host.records.list()) {
    const r = await refresh(host, rec);
    if (!r) continue;
    out.push(r);
    // A mount left by a killed command: not running, not mounted by `berth mount`, not being started.
    const rootfs = host.records.paths(r.id).rootfs;
    if (!isActive(r.state.status) && !r.state.userMounted && info.includes(` ${rootfs} `)) {
      const lock = await acquireLock(host.records.paths(r.id).lock, { wait: false });
      if (!lock) continue;
      try {
        const cur = await host.records.load(r.id);
        if (!isActive(cur.state.status) && !cur.state.userMounted) await unmountRootfs(await host.driver(), host.records.paths(r.id));
      } finally {
        await lock.release();
      }
    }
  }
  return out;
}

/** Resolves a name or ID and reconciles it. */
export async function lookupContainer(host: ContainerHost, query: string): Promise<ContainerRecord> {
  const rec = await host.records.resolve(query);
  const r = await refresh(host, rec);
  if (!r) {
    const { notFound } = await import('../internal/errors.js');
    throw notFound(`No such container: ${query}`);
  }
  return r;
}

/** Removes the exit file of a previous run before a new start. */
export async function clearExit(host: ContainerHost, id: string): Promise<void> {
  const p = host.records.paths(id);
  removeFile(`${p.stateDir}/exits/${id}`);
  removeFile(`${p.stateDir}/oom`);
}
