// `exec`: another process in a running container, with the container's own confinement
// (capabilities, seccomp, AppArmor from its spec) and docker's -e/-u/-w/-t/-i/-d overrides.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { BerthError, failedPrecondition, internal } from '../internal/errors.js';
import { errorsFromLog } from '../runtime/errors.js';
import type { RuntimeSpec, SpecProcess } from '../runtime/spec/types.js';
import { resolveUser } from '../runtime/spec/user.js';
import type { ContainerHost } from './host.js';
import { containerEvent } from './events.js';
import { lookupContainer } from './state.js';
import { randomHex } from '../internal/random.js';
import { readFdText } from '../internal/read.js';
import { removeFile } from '../internal/remove.js';
import { exitStatus, memfd, type SpawnedProcess, spawnWait } from '../internal/spawn.js';
import { type ContainerRecord, notRunning } from './container.js';

export interface ExecRequest {
  cmd: string[];
  env?: string[];
  user?: string;
  workingDir?: string;
  tty?: boolean;
  stdin?: boolean;
  detach?: boolean;
  privileged?: boolean;
  /** The terminal's size at the start (with tty): the runtime makes the exec's console this size. */
  consoleSize?: { height: number; width: number };
}

/**
 * Runs the process with the CLI's stdio; returns its exit code (0 at once with detach). A
 * process that cannot start (its user, working dir or program) throws with docker's exit code
 * 126 as `exitCode`; `runtimeReported` when the runtime already printed why on the CLI's stderr.
 */
export async function execInContainer(host: ContainerHost, query: string, req: ExecRequest): Promise<number> {
  const rec = await execTarget(host, query, req);
  const proc = await execProcess(host, rec, req).catch((err: unknown) => {
    throw Object.assign(execSetupError(rec, err), { exitCode: 126 });
  });
  const runtime = host.runtimeOf(rec);
  await fs.mkdir(runtime.root, { recursive: true, mode: 0o700 });
  const tag = randomHex(6);
  const procFile = path.join(runtime.root, `.exec-${tag}.json`);
  const logFile = path.join(runtime.root, `.log-${tag}.json`);
  await fs.writeFile(procFile, JSON.stringify(proc), { mode: 0o600 });
  try {
    const args = [...runtime.globalArgs(), '--log-format=json', `--log=${logFile}`, 'exec', '--process', procFile];
    if (req.detach) args.push('--detach');
    if (req.tty && !req.detach) args.push('--tty');
    args.push(rec.id);
    const execId = randomHex(32);
    const what = req.cmd.join(' ');
    containerEvent(host.runroot, rec, 'exec_create: ' + what, { execID: execId });
    const child = spawn(runtime.path, args, {
      stdio: req.detach ? 'ignore' : [req.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit'],
    });
    const forward = (sig: NodeJS.Signals) => {
      child.kill(sig);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    containerEvent(host.runroot, rec, 'exec_start: ' + what, { execID: execId });
    const code = await new Promise<number>((resolve) => {
      child.on('error', () => resolve(-1));
      child.on('close', (code, signal) => resolve(exitStatus({ code, signal })));
    });
    for (const s of signals) process.off(s, forward);
    if (!req.detach) containerEvent(host.runroot, rec, 'exec_die', { execID: execId, exitCode: String(code) });
    const log = errorsFromLog(await fs.readFile(logFile, 'utf8').catch(() => ''));
    if (code === -1 || (code !== 0 && log.length > 0)) {
      const text = log.join('; ');
      // docker's exec: 126 for any process the runtime could not start (a missing program too).
      throw Object.assign(internal(`cannot exec in container ${rec.name}: ${text || 'the runtime failed'}`), { exitCode: 126, runtimeReported: !req.detach && code !== -1 });
    }
    return code;
  } finally {
    await fs.rm(procFile, { force: true });
    await fs.rm(logFile, { force: true });
  }
}

/**
 * The container an exec runs in, refused in dockerd's words unless it runs: "Container NAME is
 * paused, unpause the container before exec", "Container ID is not running" (the full ID, as
 * docker says it), "Container ID is restarting, wait until the container is running".
 */
export async function execTarget(host: ContainerHost, query: string, req: ExecRequest): Promise<ContainerRecord> {
  const rec = await lookupContainer(host, query);
  if (rec.state.status === 'paused') throw failedPrecondition(`Container ${query} is paused, unpause the container before exec`);
  if (rec.state.status === 'restarting') throw failedPrecondition(`Container ${rec.id} is restarting, wait until the container is running`);
  if (rec.state.status !== 'running') throw notRunning(rec);
  if (req.cmd.length === 0) throw failedPrecondition('cannot exec: no command given');
  return rec;
}

/**
 * Why the exec's process could not be set up: berth's own errors as they are (an unknown -u
 * user is docker's "unable to find user nobody: no matching entries in passwd file"), any other
 * with the container named.
 */
export function execSetupError(rec: ContainerRecord, err: unknown): BerthError {
  return err instanceof BerthError ? err : BerthError.wrap(err, `cannot exec in container ${rec.name}`);
}

/** The exec's process: the container's own (its spec's) with the request's command and overrides. */
export async function execProcess(host: ContainerHost, rec: ContainerRecord, req: ExecRequest): Promise<SpecProcess> {
  const paths = host.records.paths(rec.id);
  const spec = JSON.parse(await fs.readFile(paths.spec, 'utf8')) as RuntimeSpec;
  const proc: SpecProcess = { ...spec.process, args: req.cmd, terminal: req.tty ?? false };
  delete proc.consoleSize;
  if (req.tty && req.consoleSize && req.consoleSize.height > 0 && req.consoleSize.width > 0) proc.consoleSize = { ...req.consoleSize };
  // A HOME that neither the image nor a -e set is the runtime's (berth's spec holds it as runc
  // would set it): last, after the exec's -e, as runc appends it to docker's exec.
  const ownHome = [...(rec.source.config.env ?? []), ...(rec.spec.env ?? []), ...(req.env ?? [])].some((e) => e.startsWith('HOME='));
  if (req.env?.length) {
    const env = new Map(proc.env.map((e) => [e.split('=')[0], e]));
    for (const e of req.env) env.set(e.split('=')[0], e);
    proc.env = [...env.values()];
    if (!ownHome) proc.env = [...proc.env.filter((e) => !e.startsWith('HOME=')), ...proc.env.filter((e) => e.startsWith('HOME='))];
  }
  if (req.user !== undefined) {
    // The user is looked up in the container's current files, as docker does.
    const u = await resolveUser(paths.rootfs, req.user);
    proc.user = { uid: u.uid, gid: u.gid, ...(u.additionalGids.length ? { additionalGids: u.additionalGids } : {}) };
    // HOME is the exec user's own unless the image or a -e sets it (docker's runtime looks it up
    // for the process's user; the container's spec holds its own user's).
    if (!ownHome) {
      proc.env = [...proc.env.filter((e) => !e.startsWith('HOME=')), `HOME=${u.home}`];
    }
  }
  // -w as given, as docker's daemon hands it to the runtime: its chdir resolves the path in the
  // container; a relative one is the runtime's refusal ("Cwd must be an absolute path"); an
  // empty one keeps the container's.
  if (req.workingDir) proc.cwd = req.workingDir;
  if (req.privileged && proc.capabilities) {
    const { hostCapabilities } = await import('../runtime/spec/capabilities.js');
    const all = hostCapabilities();
    proc.capabilities = { bounding: all, effective: all, permitted: all, inheritable: [], ambient: [] };
  }
  return proc;
}

/** What a check run by execCaptured gave: its exit status and output, or that it timed out. */
export interface CapturedExec {
  exitCode: number;
  /** stdout and stderr as written, interleaved, up to `maxOutput` bytes. */
  output: Buffer;
  timedOut: boolean;
}

/**
 * Runs `cmd` in the running container with no stdin and stdout and stderr caught in one
 * anonymous file (a health check): killed after `timeoutMs` (its process in the container by
 * the pid the runtime wrote, then the runtime's own process).
 */
export async function execCaptured(host: ContainerHost, rec: ContainerRecord, cmd: string[], timeoutMs: number, maxOutput = 4096): Promise<CapturedExec> {
  const proc = await execProcess(host, rec, { cmd });
  const runtime = host.runtimeOf(rec);
  mkdirSync(runtime.root, { recursive: true, mode: 0o700 });
  const tag = randomHex(6);
  const procFile = path.join(runtime.root, `.exec-${tag}.json`);
  const pidFile = path.join(runtime.root, `.pid-${tag}`);
  let child: SpawnedProcess | undefined;
  const killCheck = () => {
    let pid = 0;
    try {
      pid = Number(readFileSync(pidFile, 'utf8').trim());
    } catch {}
    try {
      if (pid > 0) process.kill(pid, 'SIGKILL');
      else if (child) process.kill(child.pid, 'SIGKILL');
    } catch {}
  };
  // Ended (the timer's SIGTERM at a stop or rm): the check goes too, and the files with it. The
  // handler is in place before the files exist and until they are gone: a SIGTERM in between,
  // with no handler, would end the process at once and leave them in the runtime's root.
  const onTerm = () => {
    killCheck();
    removeFile(procFile);
    removeFile(pidFile);
    process.exit(143);
  };
  process.once('SIGTERM', onTerm);
  const out = memfd('health-output');
  const log = memfd('runtime-log');
  try {
    writeFileSync(procFile, JSON.stringify(proc), { mode: 0o600 });
    const spawned = spawnWait(runtime.path, [...runtime.globalArgs(), '--log-format=json', '--log=/proc/self/fd/3', 'exec', '--process', procFile, '--pid-file', pidFile, rec.id], {
      fds: ['null', out, out, log],
    });
    child = spawned;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killCheck();
      // A runtime that does not end once its process did is ended itself.
      setTimeout(() => {
        try {
          process.kill(spawned.pid, 'SIGKILL');
        } catch {}
      }, 1000).unref();
    }, timeoutMs);
    const exit = await spawned.exited;
    clearTimeout(timer);
    const buf = Buffer.alloc(maxOutput);
    const n = readSync(out, buf, 0, maxOutput, 0);
    const code = exitStatus(exit);
    if (!timedOut && code !== 0) {
      const errors = errorsFromLog(readFdText(log));
      if (errors.length > 0) return { exitCode: code, output: Buffer.from(errors.join('; ')), timedOut };
    }
    return { exitCode: code, output: buf.subarray(0, n), timedOut };
  } finally {
    closeSync(out);
    closeSync(log);
    removeFile(procFile);
    removeFile(pidFile);
    process.off('SIGTERM', onTerm);
  }
}
