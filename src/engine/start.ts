// `start`: mount the rootfs, write the one runtime spec, and hand the bundle to the runtime,
// either under conmon (detached: it outlives the CLI) or in the foreground of the CLI itself.
import { closeSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { failedPrecondition, internal } from '../internal/errors.js';
import { exitStatus, memfd, type SpawnedProcess, spawnWait } from '../internal/spawn.js';
import { readFdText } from '../internal/read.js';
import { errorsFromLog } from '../runtime/errors.js';
import { generateSpec } from '../runtime/spec/generate.js';
import { readsSpecFromFifo, SpecHandoff } from '../runtime/spec-handoff.js';
import { type ContainerRecord, isLive } from './container.js';
import { containerEvent } from './events.js';
import { resolveJoins } from './joins.js';
import type { ContainerHost } from './host.js';
import { mountRootfs, mountShm, unmountRootfs } from './rootfs.js';
import { type SpecFacts, specInputFor } from './spec.js';
import { discardContainer } from './create.js';
import { clearExit } from './state.js';

/**
 * Mounts the rootfs and writes the runtime spec: into `handoff` when the runtime was spawned
 * already and waits for it there (spec-handoff.ts), else as the bundle's config.json.
 */
async function prepareBundle(host: ContainerHost, rec: ContainerRecord, facts: SpecFacts, handoff?: SpecHandoff): Promise<void> {
  const paths = host.records.paths(rec.id);
  const driver = await host.driver();
  await mountRootfs(driver, rec, paths);
  try {
    if (rec.spec.ipcMode === 'shareable') mountShm(rec, paths);
    if (rec.spec.mounts?.some((m) => m.type === 'volume')) {
      const { populateVolumes } = await import('./container-volumes.js');
      await populateVolumes(host, rec, paths.rootfs);
    }
    const joins = await resolveJoins(host, rec);
    const spec = JSON.stringify(generateSpec(await specInputFor(rec, paths, joins ? { ...facts, joined: joins } : facts)));
    if (handoff) handoff.write(spec);
    else writeFileSync(paths.spec, spec, { mode: 0o600 });
  } catch (err) {
    await unmountRootfs(driver, paths).catch(() => {});
    await releaseVolumes(host, rec);
    throw err;
  }
}

/** A start that failed lets go of the volumes' file systems it mounted (populateVolumes). */
async function releaseVolumes(host: ContainerHost, rec: ContainerRecord): Promise<void> {
  if (!rec.spec.mounts?.some((m) => m.type === 'volume')) return;
  const { releaseVolumes: release } = await import('./container-volumes.js');
  await release(host, rec);
}

/** Whether a start may go ahead: running and paused containers are left as they are. */
async function startable(host: ContainerHost, id: string): Promise<ContainerRecord | undefined> {
  const rec = await host.records.load(id);
  if (isLive(rec.state.status)) return undefined;
  if (rec.state.status === 'removing' || rec.state.status === 'dead') {
    throw failedPrecondition(`cannot start container ${rec.name}: it is ${rec.state.status}`);
  }
  return rec;
}

/**
 * Starts a created or exited container under conmon; returns its record once it runs.
 * countRestart: this start is a restart policy's (RestartCount goes up with it).
 */
export async function startContainer(
  host: ContainerHost,
  rec: ContainerRecord,
  options: {
    countRestart?: boolean;
    beforeStart?: (attachSocket: string) => Promise<void>;
    /** The terminal's size from its start (a -t container attached from a terminal). */
    consoleSize?: { height: number; width: number };
    /** The CLI that removes this --rm container itself once it read the exit (ContainerState.clientPid). */
    clientPid?: number;
  } = {},
): Promise<ContainerRecord> {
  const lock = await host.records.lock(rec.id);
  try {
    const cur = await startable(host, rec.id);
    if (!cur) return host.records.load(rec.id);
    const paths = host.records.paths(cur.id);
    const runtime = host.runtimeOf(cur);
    if (cur.state.startedAt) {
      // What a previous run may have left: its exit record and the runtime's stopped container.
      await clearExit(host, cur.id);
      await runtime.delete(cur.id, { force: true }).catch(() => {});
    }
    const facts = { terminal: cur.spec.tty ?? false, ...(options.consoleSize && cur.spec.tty ? { consoleSize: options.consoleSize } : {}) };
    // conmon and the runtime start while the rootfs is mounted and the spec written, when the
    // runtime can wait for its spec (spec-handoff.ts).
    let prepare: { handoff: SpecHandoff; run: () => Promise<void> } | undefined;
    if (readsSpecFromFifo(runtime.name)) {
      const handoff = SpecHandoff.open(paths.spec);
      prepare = { handoff, run: () => prepareBundle(host, cur, facts, handoff) };
    } else await prepareBundle(host, cur, facts);
    const cleanup = host.options.cleanupCommand;
    try {
      const { startContainer: startMonitored } = await import('../runtime/monitor.js');
      const started = await startMonitored({
        ...(prepare ? { prepare } : {}),
        id: cur.id,
        name: cur.name,
        bundle: paths.bundle,
        runtime,
        stateDir: paths.stateDir,
        logPath: paths.log,
        socketDir: paths.socketDir,
        terminal: cur.spec.tty ?? false,
        stdin: cur.spec.openStdin ?? false,
        // docker's StdinOnce is for an attached `run -i`, which berth runs in the foreground: a
        // monitored container's stdin stays open across attaches, so a detach leaves a -di shell.
        leaveStdinOpen: true,
        ...(options.beforeStart ? { beforeStart: options.beforeStart } : {}),
        ...(cur.spec.log?.driver === 'none' ? { noLog: true } : {}),
        ...(cur.spec.log?.maxSize ? { logSizeMax: cur.spec.log.maxSize } : {}),
        ...(cleanup ? { exitCommand: exitCommand(cleanup, cur.id, paths.removingMarker) } : {}),
      });
      cur.state = {
        ...cur.state,
        status: 'running',
        pid: started.pid,
        monitorPid: started.monitorPid,
        mode: 'monitor',
        startedAt: new Date().toISOString(),
        stoppedByUser: false,
        restartCount: cur.state.restartCount + (options.countRestart ? 1 : 0),
      };
      delete cur.state.error;
      if (options.clientPid) cur.state.clientPid = options.clientPid;
      else delete cur.state.clientPid;
      if (cur.spec.healthcheck) await armHealthcheck(host, cur, started.pid);
    } catch (err) {
      prepare?.handoff.close();
      await unmountRootfs(await host.driver(), paths).catch(() => {});
      await releaseVolumes(host, cur);
      cur.state.error = err instanceof Error ? err.message : String(err);
      await host.records.save(cur);
      throw err;
    }
    await host.records.save(cur);
    containerEvent(host.runroot, cur, 'start');
    return cur;
  } finally {
    await lock.release();
  }
}

/**
 * A container with a health check: its health starts over ("starting") and its timer starts,
 * watching `watchPid` (the container's init, or the runtime of a foreground run). A timer that
 * cannot start leaves the container running, the failure in its State.Error.
 */
async function armHealthcheck(host: ContainerHost, rec: ContainerRecord, watchPid: number): Promise<void> {
  const { healthProbe, startHealthTimer, startingHealth } = await import('./health.js');
  const probe = healthProbe(rec.spec.healthcheck);
  const command = host.options.healthcheckCommand;
  if (!probe) return;
  rec.state.health = startingHealth(rec.state.health);
  delete rec.state.healthTimerPid;
  if (!command || watchPid <= 0) return;
  try {
    rec.state.healthTimerPid = await startHealthTimer(watchPid, probe, command, rec.id);
  } catch (err) {
    rec.state.error = err instanceof Error ? err.message : String(err);
  }
}

/**
 * What conmon runs after the container exited: the cleanup command, unless `rm -f` is already
 * removing the container (its marker file exists), through sh so that check costs no Node start.
 */
function exitCommand(cleanup: string[], id: string, removingMarker: string): string[] {
  return ['/bin/sh', '-c', 'test -e "$0" || exec "$@"', removingMarker, ...cleanup, id];
}

export interface ForegroundOptions {
  /** Pass the CLI's stdin to the container (-i). */
  stdin: boolean;
  /** A terminal for the container (-t): the runtime copies between it and the CLI's tty. */
  tty: boolean;
  /** Which of the CLI's output streams the container gets (docker's -a); default both. */
  stdout?: boolean;
  stderr?: boolean;
  /** Called once the runtime was spawned (the container is about to run). */
  onSpawn?: () => void;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/**
 * Runs the container with the CLI as its monitor (`runtime run`, stdio inherited): the
 * fastest path, for `run --rm` and interactive runs. Signals to the CLI reach the container;
 * the CLI records the exit code. Returns the container's exit code.
 */
export async function runForeground(host: ContainerHost, rec: ContainerRecord, options: ForegroundOptions): Promise<number> {
  // The runtime's log is an anonymous file, its fd 3 (`--log=/proc/self/fd/3` reopens it), read
  // only after a failure: no file to create and remove in the container's dir.
  const logFd = memfd('runtime-log');
  try {
    return await runWithLog(host, rec, options, logFd);
  } finally {
    closeSync(logFd);
  }
}

async function runWithLog(host: ContainerHost, rec: ContainerRecord, options: ForegroundOptions, logFd: number): Promise<number> {
  const paths = host.records.paths(rec.id);
  const runtime = host.runtimeOf(rec);
  let child: SpawnedProcess | undefined;
  let notRun = 'failed to run';
  let unsaved: unknown;
  let handoff: SpecHandoff | undefined;
  const lock = await host.records.lock(rec.id);
  let cur: ContainerRecord;
  try {
    const ok = await startable(host, rec.id);
    if (!ok) throw failedPrecondition(`cannot start container ${rec.name}: it is already running`);
    cur = ok;
    const size = options.tty && process.stdout.isTTY && process.stdout.rows > 0 ? { height: process.stdout.rows, width: process.stdout.columns } : undefined;
    // The runtime starts before the rootfs and the spec are ready, when it can wait for the spec
    // (spec-handoff.ts), and before the record says "running": its own start overlaps the
    // mount, the spec, the record's write and the lock's release instead of following them.
    // Until the record is written the lock is held: no other command sees it half-started.
    // Spawned by the addon, not node:child_process: loading that module's graph (net, dgram,
    // ...) and libuv's fork() of the Node process cost ~4 ms of run --rm (spawn.ts: how).
    const spawnRuntime = () => {
      try {
        child = spawnWait(runtime.path, [...runtime.globalArgs(), '--log-format=json', '--log=/proc/self/fd/3', 'run', '--bundle', paths.bundle, cur.id], {
          fds: [options.stdin ? 'inherit' : 'null', options.stdout === false ? 'null' : 'inherit', options.stderr === false ? 'null' : 'inherit', logFd],
        });
      } catch (err) {
        // A runtime that cannot be executed (ENOENT, EACCES): a failure to start, as below.
        notRun = err instanceof Error ? err.message : String(err);
      }
    };
    const facts = { terminal: options.tty, ...(size ? { consoleSize: size } : {}) };
    if (readsSpecFromFifo(runtime.name)) {
      handoff = SpecHandoff.open(paths.spec);
      spawnRuntime();
      try {
        await prepareBundle(host, cur, facts, handoff);
      } catch (err) {
        // Killed rather than told: the CLI's stderr is the runtime's, and its complaint about
        // an aborted spec would only hide the real error.
        if (child) process.kill(child.pid, 'SIGKILL');
        await child?.exited.catch(() => {});
        handoff.close();
        throw err;
      }
    } else {
      await prepareBundle(host, cur, facts);
      spawnRuntime();
    }
    cur.state = { ...cur.state, status: 'running', pid: 0, monitorPid: process.pid, mode: 'foreground', startedAt: new Date().toISOString(), stoppedByUser: false };
    // The runtime's process lives as long as the container: the timer watches it.
    if (cur.spec.healthcheck && child) await armHealthcheck(host, cur, child.pid);
    unsaved = await host.records.save(cur).then(
      () => undefined,
      (err: unknown) => err,
    );
  } finally {
    await lock.release();
    if (!child) handoff?.close();
  }
  if (unsaved !== undefined) {
    // Unrecorded, the container must not run on: stopped, then settled like any exit.
    if (child) process.kill(child.pid, 'SIGKILL');
    await child?.exited.catch(() => {});
    handoff?.close();
    await finishForeground(host, cur.id, 127).catch(() => {});
    throw unsaved;
  }
  const pid = child?.pid;
  const forward = (sig: NodeJS.Signals) => {
    try {
      if (pid) process.kill(pid, sig);
    } catch {
      // Gone already: its exit is on the way.
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  if (child) containerEvent(host.runroot, cur, 'start');
  options.onSpawn?.();
  const code = child
    ? await child.exited.then(
        (e) => exitStatus(e),
        () => -1,
      )
    : -1;
  handoff?.close();
  for (const s of FORWARDED) process.off(s, forward);
  const log = code === 0 ? [] : errorsFromLog(readFdText(logFd));
  const failed = code === -1 || (code !== 0 && log.length > 0);
  if (!cur.spec.autoRemove) {
    // The exit file has conmon's format, so every later command reads one kind of record. (A
    // --rm container needs none: it is removed now, or, should this CLI die first, by the next
    // command that finds its monitor, this process, gone.)
    mkdirSync(path.join(paths.stateDir, 'exits'), { recursive: true });
    writeFileSync(path.join(paths.stateDir, 'exits', cur.id), String(failed ? 127 : code));
  }
  await finishForeground(host, cur.id, failed ? 127 : code);
  if (failed) {
    // The runtime shares the CLI's stderr here and has said why already (runc's "runc run failed:
    // ..."): marked, so the CLI does not say it twice.
    const err = internal(`cannot start container ${cur.name}: ${runtime.name}: ${log.join('; ') || notRun}`);
    throw code !== -1 && log.length > 0 ? Object.assign(err, { runtimeReported: true }) : err;
  }
  return code;
}

/**
 * After `runtime run` returned, the runtime has already deleted its state: only the exit,
 * the rootfs mount and (with --rm) the container itself are left to settle.
 */
async function finishForeground(host: ContainerHost, id: string, exitCode: number): Promise<void> {
  const lock = await host.records.lock(id);
  try {
    const cur = await host.records.load(id);
    cur.state = { ...cur.state, status: 'exited', pid: 0, monitorPid: 0, exitCode, finishedAt: new Date().toISOString() };
    if (cur.state.healthTimerPid) (await import('./health.js')).endHealthTimer(cur);
    containerEvent(host.runroot, cur, 'die', { exitCode: String(exitCode) });
    if (cur.spec.autoRemove) {
      cur.state.status = 'removing';
      await discardContainer(host, cur);
      // docker's --rm takes the container's anonymous volumes with it.
      if (cur.spec.mounts?.some((m) => m.type === 'volume')) {
        const { removeAnonymousVolumes } = await import('./container-volumes.js');
        await removeAnonymousVolumes(host, cur);
      }
    } else {
      await unmountRootfs(await host.driver(), host.records.paths(id));
      await releaseVolumes(host, cur);
      await host.records.save(cur);
    }
  } finally {
    await lock.release();
  }
}
