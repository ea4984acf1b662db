// The container monitor: conmon (Debian's package) outlives the berth CLI, holds the container's
// stdio, writes its log (k8s-file) and, at exit, the exit code in <exitDir>/<id> (time = mtime).
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { BerthError, failedPrecondition, internal, notFound } from '../internal/errors.js';
import { projectRoot } from '../internal/paths.js';
import { readFdText, readTextOr } from '../internal/read.js';
import { removeFile } from '../internal/remove.js';
import { memfd, pipe, readLine, type SpawnedProcess, spawnWait } from '../internal/spawn.js';
import { lookupBinary } from './detect.js';
import { errorsFromLog, runtimeError } from './errors.js';
import type { OciRuntime } from './oci-runtime.js';
import type { SpecHandoff } from './spec-handoff.js';

export interface MonitorOptions {
  id: string;
  /** The OCI bundle: config.json (and rootfs, unless config.json points elsewhere). */
  bundle: string;
  runtime: OciRuntime;
  /** The container's monitor files: pidfiles, exit/, the default log, conmon's persist dir. */
  stateDir: string;
  /** k8s-file log path; default <stateDir>/ctr.log. */
  logPath?: string;
  /**
   * With stdin: an attached client that leaves (its stdin at EOF, or detached) does not close
   * the container's stdin (docker's -i without StdinOnce). Default: the first client's EOF closes it.
   */
  leaveStdinOpen?: boolean;
  /** No log at all (conmon's none driver): the container's output goes nowhere. */
  noLog?: boolean;
  /** Rotate the log past this many bytes (conmon --log-size-max). */
  logSizeMax?: number;
  /** Allocate a pseudo-terminal (conmon -t: it takes the console from runc). */
  terminal?: boolean;
  /** Keep a pipe to the container's stdin, fed through conmon's attach socket (-i). */
  stdin?: boolean;
  name?: string;
  /** Program (and args) conmon runs after the container exited, e.g. `berth container cleanup ID`. */
  exitCommand?: string[];
  /** Where conmon puts its attach-socket symlinks (must be short: sun_path is 108 bytes). */
  socketDir?: string;
  /** conmon binary; default from PATH. */
  conmonPath?: string;
  noPivot?: boolean;
  /**
   * runDetachedShim()'s path: conmon runs it as its runtime, and the runtime starts the
   * container as it creates it (`run --detach`): no `start` to call after. For runc and crun.
   */
  runDetachedShim?: string;
  /**
   * Called once conmon made the container (its attach socket exists) and before the runtime
   * starts it: `start -a` attaches here, so no output is lost. Without it runc and crun create
   * and start in one process.
   */
  beforeStart?: (attachSocket: string) => Promise<void>;
  /**
   * Work that overlaps conmon's and the runtime's start (mounting the rootfs, writing the
   * spec): the runtime waits for the spec in `handoff` (spec-handoff.ts). When it throws, the
   * runtime is told to give up, and its error is the one thrown.
   */
  prepare?: { handoff: SpecHandoff; run: () => Promise<void> };
}

export interface MonitoredContainer {
  id: string;
  /** The container's init on the host. */
  pid: number;
  /** conmon's pid (it reaps the container and writes the exit file). */
  monitorPid: number;
  logPath: string;
  exitFile: string;
  /** conmon's control fifo: "1 HEIGHT WIDTH\n" resizes the terminal. */
  ctlPath: string;
  /** conmon's attach socket (SOCK_SEQPACKET): byte 2 prefixes stdout, 3 stderr. */
  attachSocket: string;
}

export interface ExitRecord {
  exitCode: number;
  exitedAt: Date;
  /** conmon saw the kernel's OOM killer in the container's cgroup. */
  oomKilled: boolean;
}

/** The files a monitored container has under its state dir. */
export function monitorPaths(stateDir: string, id: string, logPath?: string) {
  return {
    exitDir: path.join(stateDir, 'exits'),
    exitFile: path.join(stateDir, 'exits', id),
    oomFile: path.join(stateDir, 'oom'),
    pidFile: path.join(stateDir, 'pidfile'),
    conmonPidFile: path.join(stateDir, 'conmon.pid'),
    logPath: logPath ?? path.join(stateDir, 'ctr.log'),
  };
}

/**
 * berth-run-detached (native/monitor/run-detached.c), given to conmon as its runtime: it turns
 * conmon's `create` into the real runtime's `run --detach`, one runtime process instead of
 * `create` and then `start` (~7 ms of each `run -d`: two Go programs' starts and one round trip
 * through conmon and the CLI). undefined when it is not built.
 */
export function runDetachedShim(): string | undefined {
  const shim = path.join(projectRoot(), 'native', 'monitor', 'build', 'berth-run-detached');
  return existsSync(shim) ? shim : undefined;
}

/** Whether a runtime has `run --detach` with create's options (runc's and crun's CLIs). */
function canRunDetached(runtime: OciRuntime): boolean {
  return runtime.name === 'runc' || runtime.name === 'crun';
}

/**
 * Creates the container under conmon and returns once the runtime's create is done (the
 * container's init waits for `start`): the engine can set up networking in between. With
 * runDetachedShim the runtime also started it.
 */
export async function createMonitored(options: MonitorOptions): Promise<MonitoredContainer> {
  const conmon = options.conmonPath ?? lookupBinary('conmon');
  if (!conmon) throw notFound('cannot create container: conmon is not installed (Debian package "conmon")');
  const p = monitorPaths(options.stateDir, options.id, options.logPath);
  const socketDir = options.socketDir ?? path.join(options.stateDir, 's');
  const runtimeLog = path.join(options.stateDir, 'runtime.log');
  // Direct calls: each awaited fs.promises call is a trip through the thread pool (0.1-0.4 ms
  // on a busy host), more than these mkdirs cost.
  for (const dir of [p.exitDir, socketDir, path.dirname(p.logPath), options.runtime.root]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  removeFile(runtimeLog);

  const shim = options.runDetachedShim;
  const args = [
    '--api-version', '1',
    '-c', options.id,
    '-u', options.id,
    '-r', shim ?? options.runtime.path,
    '-b', options.bundle,
    '-p', p.pidFile,
    '-n', options.name ?? options.id,
    '--exit-dir', p.exitDir,
    '--persist-dir', options.stateDir,
    '--socket-dir-path', socketDir,
    '-l', options.noLog ? 'none:' : `k8s-file:${p.logPath}`,
    '--log-level', 'error',
    '--conmon-pidfile', p.conmonPidFile,
  ];
  for (const a of [...(shim ? [options.runtime.path] : []), ...options.runtime.globalArgs(), '--log-format=json', `--log=${runtimeLog}`]) {
    args.push('--runtime-arg', a);
  }
  if (options.logSizeMax) args.push('--log-size-max', String(options.logSizeMax));
  if (options.terminal) args.push('-t');
  if (options.stdin) args.push('-i');
  if (options.stdin && options.leaveStdinOpen) args.push('--leave-stdin-open');
  if (options.noPivot) args.push('--no-pivot');
  if (options.exitCommand?.length) {
    args.push('--exit-command', options.exitCommand[0]);
    for (const a of options.exitCommand.slice(1)) args.push('--exit-command-arg', a);
  }

  // fd 3 is the sync pipe: conmon writes {"data": PID} or {"data": -1, "message": ...} after create.
  // cwd is the state dir: conmon outlives the CLI and must neither pin the caller's working
  // directory (a mount point, a test's temp dir) nor drop files into it. Spawned by the addon
  // (no fork of the Node process, no node:child_process to load); its stderr goes to an
  // anonymous file, read if it fails.
  const [syncRead, syncWrite] = pipe();
  const errFile = memfd('conmon-stderr');
  const prepare = options.prepare;
  let line: string;
  let stderr = '';
  try {
    let child: SpawnedProcess;
    try {
      // LC_ALL=C: conmon calls setlocale(LC_ALL, ""), which under a UTF-8 locale reads a dozen
      // locale files (~0.7 ms a start); it copies the container's bytes as they are either way.
      child = spawnWait(conmon, args, { fds: ['null', 'null', errFile, syncWrite], cwd: options.stateDir, env: { ...process.env, LC_ALL: 'C', _OCI_SYNCPIPE: '3' } });
    } finally {
      closeSync(syncWrite);
    }
    if (prepare) {
      try {
        await prepare.run();
      } catch (err) {
        // The runtime fails on the aborted spec; conmon answers and ends; nothing is left.
        prepare.handoff.abort();
        await readLine(syncRead).catch(() => {});
        await child.exited.catch(() => {});
        throw err;
      }
    }
    // conmon's first process exits once it forked its monitor, which answers on the pipe; a
    // conmon that fails before that (a usage error) leaves the pipe closed: EOF, no line.
    line = (await readLine(syncRead)).toString('utf8').trim();
    await child.exited;
    stderr = readFdText(errFile);
  } finally {
    // The runtime has read its spec (or failed, or never ran): the FIFO's end may close.
    prepare?.handoff.close();
    closeSync(syncRead);
    closeSync(errFile);
  }

  let msg: { data?: number; message?: string };
  try {
    msg = JSON.parse(line) as { data?: number; message?: string };
  } catch {
    throw internal(`cannot create container ${options.id}: conmon failed: ${stderr.trim() || line || 'no answer on the sync pipe'}`);
  }
  if (typeof msg.data !== 'number' || msg.data <= 0) {
    const log = await fs.readFile(runtimeLog, 'utf8').catch(() => '');
    const messages = errorsFromLog(log);
    throw runtimeError(`cannot create container ${options.id}`, options.runtime.name, messages.length ? messages : [msg.message ?? 'failed'], stderr);
  }
  let monitorPid = 0;
  try {
    monitorPid = Number(readFileSync(p.conmonPidFile, 'utf8').trim());
  } catch {}
  return {
    id: options.id,
    pid: msg.data,
    monitorPid,
    logPath: p.logPath,
    exitFile: p.exitFile,
    ctlPath: path.join(options.bundle, 'ctl'),
    attachSocket: path.join(options.bundle, 'attach'),
  };
}

/**
 * createMonitored, then the runtime's start: returns once the container's process runs. runc
 * and crun do both in one `run --detach` when the shim is built.
 */
export async function startContainer(options: MonitorOptions): Promise<MonitoredContainer> {
  const shim = options.beforeStart === undefined && canRunDetached(options.runtime) ? runDetachedShim() : undefined;
  if (shim) return createMonitored({ ...options, runDetachedShim: shim });
  const created = await createMonitored(options);
  try {
    await options.beforeStart?.(created.attachSocket);
    await options.runtime.start(options.id);
  } catch (err) {
    await options.runtime.delete(options.id, { force: true }).catch(() => {});
    throw err;
  }
  return created;
}

/** The exit record conmon wrote, or undefined while the container still runs. */
export async function readExit(stateDir: string, id: string): Promise<ExitRecord | undefined> {
  const p = monitorPaths(stateDir, id);
  let text: string;
  let mtime: Date;
  try {
    // Direct calls: every command that reconciles a container reads this small file.
    const fd = openSync(p.exitFile, 'r');
    try {
      text = readFileSync(fd, 'utf8');
      mtime = fstatSync(fd).mtime;
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw BerthError.wrap(err, `cannot read exit status of container ${id}`);
  }
  // conmon creates the file before writing it: an empty read means "not yet".
  if (text.trim() === '') return undefined;
  const exitCode = Number(text.trim());
  if (!Number.isInteger(exitCode)) throw internal(`cannot read exit status of container ${id}: "${text.trim()}"`);
  return { exitCode, exitedAt: mtime, oomKilled: existsSync(p.oomFile) };
}

/**
 * Whether the container's conmon still runs (a zombie counts as gone); `pid`, when given, must
 * be the one its pid file names.
 */
export async function monitorRunning(stateDir: string, id: string, pid?: number): Promise<boolean> {
  // Direct reads of two small files: through fs.promises (its module, the thread pool) they
  // cost ~3 ms of an rm -f.
  const recorded = Number(readTextOr(monitorPaths(stateDir, id).conmonPidFile).trim());
  if (pid !== undefined && recorded !== pid) return false;
  return isLiveConmon(recorded);
}

/** Whether `pid` is a conmon that still runs (not a zombie), from /proc/PID/stat. */
export function isLiveConmon(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const stat = readTextOr(`/proc/${pid}/stat`);
  // "pid (comm) state ...": the comm may hold spaces, so read after the last ')'.
  const close = stat.lastIndexOf(')');
  if (close < 0 || !stat.slice(stat.indexOf('(') + 1, close).startsWith('conmon')) return false;
  const state = stat.slice(close + 2, close + 3);
  return state !== 'Z' && state !== 'X';
}

/** Waits for the exit record (watching the exit dir, with a slow poll as a safety net). */
export async function waitForExit(
  stateDir: string,
  id: string,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ExitRecord> {
  const dir = monitorPaths(stateDir, id).exitDir;
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const watcher = fs.watch(dir, { signal: ac.signal });
    let wake: (() => void) | undefined;
    (async () => {
      try {
        for await (const _ of watcher) wake?.();
      } catch {
        // aborted
      }
    })();
    let turns = 0;
    for (;;) {
      const rec = await readExit(stateDir, id);
      if (rec) return rec;
      // A monitor that died without an exit file (killed, OOM) would leave us waiting forever.
      if (++turns % 4 === 0 && !(await monitorRunning(stateDir, id))) {
        const last = await readExit(stateDir, id);
        if (last) return last;
        throw failedPrecondition(`cannot wait for container ${id}: its monitor (conmon) is gone and left no exit status`);
      }
      if (options.signal?.aborted) throw new BerthError('aborted', `stopped waiting for container ${id}`);
      if (Date.now() > deadline) throw failedPrecondition(`container ${id} did not exit within ${options.timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 250);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    ac.abort();
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Resizes the container's terminal through conmon's control fifo. */
export async function resizeTerminal(ctlPath: string, height: number, width: number): Promise<void> {
  const fh = await fs.open(ctlPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK).catch((err: unknown) => {
    throw BerthError.wrap(err, 'cannot resize terminal: the container monitor is gone');
  });
  try {
    await fh.write(`1 ${Math.floor(height)} ${Math.floor(width)}\n`);
  } finally {
    await fh.close();
  }
}
