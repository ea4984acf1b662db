// OciRuntime: one OCI runtime binary (runc or crun) driven through its CLI, with its own
// --root state directory so berth's containers never mix with podman's or docker's.
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { closeSync, mkdirSync, unlinkSync, writeSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { internal } from '../internal/errors.js';
import { readFdText, readTextOr } from '../internal/read.js';
import { errorsFromLog, runtimeError } from './errors.js';
import type { SpecProcess, SpecResources } from './spec/types.js';
import { randomHex } from '../internal/random.js';
import { exitStatus, memfd, type SpawnFd, type SpawnedProcess, spawnWait } from '../internal/spawn.js';

export const CONTAINER_STATUSES = ['creating', 'created', 'running', 'stopped', 'paused'] as const;
export type ContainerStatus = (typeof CONTAINER_STATUSES)[number];

/** `runtime state ID`, as runc and crun print it. */
export interface ContainerState {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** The container's init on the host; 0 once stopped. */
  pid: number;
  bundle: string;
  rootfs?: string;
  created?: string;
  annotations?: Record<string, string>;
}

export interface CreateOptions {
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  /** The container's stdin, stdout, stderr (fds or 'ignore'); default: none. */
  stdio?: StdioOptions;
  signal?: AbortSignal;
}

export interface ExecOptions {
  detach?: boolean;
  pidFile?: string;
  tty?: boolean;
  consoleSocket?: string;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  signal?: AbortSignal;
  input?: string;
  noLog?: boolean;
  allowExitCode?: boolean;
  detached?: boolean;
  stdio?: StdioOptions;
}

interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
  /** The errors the runtime logged; read after a failure only (empty after a success). */
  log: string[];
  /** It could not be started (or an abort signal ended it). */
  spawnError?: Error;
}

/** Stats from `runtime events --stats`: the runtime's own JSON, kept as it is. */
export type RuntimeStats = Record<string, unknown>;

export interface OciRuntimeOptions {
  /** The state directory (--root), e.g. <runroot>/runc. */
  root: string;
  /** runc or crun; defaults to the binary's base name. */
  name?: string;
}

export class OciRuntime {
  readonly path: string;
  readonly name: string;
  readonly root: string;
  #version: Promise<string> | undefined;

  constructor(binary: string, options: OciRuntimeOptions) {
    this.path = binary;
    this.name = options.name ?? path.basename(binary);
    this.root = options.root;
  }

  /** Arguments before the sub-command: the state root, for conmon's --runtime-arg too. */
  globalArgs(): string[] {
    return [`--root=${this.root}`];
  }

  /** "1.1.5" from `runc --version` (computed once). */
  version(): Promise<string> {
    this.#version ??= this.#run(['--version'], 'cannot read runtime version', { noLog: true }).then((r) => {
      const m = /version\s+(\S+)/.exec(r.stdout);
      return m ? m[1] : r.stdout.split('\n')[0].trim();
    });
    return this.#version;
  }

  async create(id: string, bundle: string, options: CreateOptions = {}): Promise<void> {
    const args = ['create', '--bundle', bundle];
    if (options.pidFile) args.push('--pid-file', options.pidFile);
    if (options.consoleSocket) args.push('--console-socket', options.consoleSocket);
    if (options.noPivot) args.push('--no-pivot');
    args.push(id);
    await this.#run(args, `cannot create container ${id}`, {
      signal: options.signal,
      detached: true,
      stdio: options.stdio,
    });
  }

  async start(id: string): Promise<void> {
    await this.#run(['start', id], `cannot start container ${id}`);
  }

  async state(id: string): Promise<ContainerState> {
    const r = await this.#run(['state', id], `cannot read state of container ${id}`);
    return parseState(r.stdout, this.name);
  }

  /** Every container under this root. */
  async list(): Promise<ContainerState[]> {
    const r = await this.#run(['list', '--format', 'json'], 'cannot list containers');
    const value = JSON.parse(r.stdout.trim() || '[]') as unknown[] | null;
    return (value ?? []).map((v) => parseState(JSON.stringify(v), this.name));
  }

  async kill(id: string, signal: string | number = 'SIGTERM', options: { all?: boolean } = {}): Promise<void> {
    const args = ['kill'];
    if (options.all) args.push('--all');
    args.push(id, String(signal));
    await this.#run(args, `cannot signal container ${id}`);
  }

  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    const args = ['delete'];
    if (options.force) args.push('--force');
    args.push(id);
    await this.#run(args, `cannot delete container ${id}`);
  }

  async pause(id: string): Promise<void> {
    await this.#run(['pause', id], `cannot pause container ${id}`);
  }

  async resume(id: string): Promise<void> {
    await this.#run(['resume', id], `cannot resume container ${id}`);
  }

  /** Host pids of the container's processes. */
  async ps(id: string): Promise<number[]> {
    const r = await this.#run(['ps', '--format', 'json', id], `cannot list processes of container ${id}`);
    return (JSON.parse(r.stdout.trim() || '[]') as number[] | null) ?? [];
  }

  /** One sample of `events --stats` (for `stats --no-stream`). */
  async stats(id: string): Promise<RuntimeStats> {
    const r = await this.#run(['events', '--stats', id], `cannot read stats of container ${id}`);
    const value = JSON.parse(r.stdout.trim()) as { data?: RuntimeStats };
    return value.data ?? (value as RuntimeStats);
  }

  /** Changes cgroup limits of a running container (`update -r -` with the resources as JSON). */
  async update(id: string, resources: SpecResources): Promise<void> {
    await this.#run(['update', '--resources', '-', id], `cannot update container ${id}`, {
      input: JSON.stringify(resources),
    });
  }

  /** Runs a process in the container; without detach, waits and collects its output. */
  async exec(id: string, process: SpecProcess, options: ExecOptions = {}): Promise<ExecResult> {
    const file = path.join(this.root, `.exec-${randomHex(6)}.json`);
    await fs.mkdir(this.root, { recursive: true, mode: 0o700 });
    await fs.writeFile(file, JSON.stringify(process), { mode: 0o600 });
    try {
      const args = ['exec', '--process', file];
      if (options.detach) args.push('--detach');
      if (options.pidFile) args.push('--pid-file', options.pidFile);
      if (options.tty) args.push('--tty');
      if (options.consoleSocket) args.push('--console-socket', options.consoleSocket);
      args.push(id);
      const r = await this.#run(args, `cannot exec in container ${id}`, {
        signal: options.signal,
        allowExitCode: true,
        detached: options.detach,
      });
      return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr };
    } finally {
      await fs.rm(file, { force: true });
    }
  }

  /**
   * Starts a process in the container with its stdio as pipes (runc passes them through),
   * for streaming `exec -i`. The exit code of the child is the process's (runc's own failures
   * exit 1 or 255 with a message on stderr).
   */
  async spawnExec(id: string, process: SpecProcess): Promise<ChildProcess> {
    const file = path.join(this.root, `.exec-${randomHex(6)}.json`);
    await fs.mkdir(this.root, { recursive: true, mode: 0o700 });
    await fs.writeFile(file, JSON.stringify(process), { mode: 0o600 });
    const child = spawn(this.path, [...this.globalArgs(), 'exec', '--process', file, id], { stdio: 'pipe' });
    child.once('close', () => {
      fs.rm(file, { force: true }).catch(() => {});
    });
    return child;
  }

  /** Runs the runtime; a non-zero exit (or an error in its log) becomes a BerthError. */
  async #run(args: string[], context: string, opts: RunOptions = {}): Promise<RunResult> {
    // With an abort signal or the caller's own stdio, node:child_process (it kills on abort and
    // takes any stdio); otherwise the addon: no fork of the Node process, and node:child_process
    // (~2.5 ms to load) never loaded by a verb that only starts, stops or removes containers.
    const result = opts.signal || opts.stdio ? await this.#spawnNode(args, opts) : await this.#spawnNative(args, opts);
    if (result.spawnError) {
      if ((result.spawnError as NodeJS.ErrnoException).name === 'AbortError') throw result.spawnError;
      throw runtimeError(context, this.name, [result.spawnError.message], result.stderr);
    }
    if (result.code !== 0 && !(opts.allowExitCode && result.log.length === 0)) {
      throw runtimeError(context, this.name, result.log, result.stderr);
    }
    return result;
  }

  /** The runtime's global arguments and its log, as JSON into `log`, before the command's own. */
  #withLog(args: string[], log: string): string[] {
    return [...this.globalArgs(), '--log-format=json', `--log=${log}`, ...args];
  }

  /**
   * The runtime as a child of node:child_process, stdout and stderr through pipes, its log in a
   * file of the state root, read after a failure only (nothing consults it after a success).
   */
  async #spawnNode(args: string[], opts: RunOptions): Promise<RunResult> {
    const logFile = opts.noLog ? undefined : path.join(this.root, `.log-${randomHex(6)}.json`);
    if (logFile) mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const full = logFile ? this.#withLog(args, logFile) : args;
    const result = await new Promise<RunResult>((resolve) => {
      // A create leaves the container's init holding the stdio it was given: pipes we waited
      // on would only close when the container exits, so a create gets the caller's fds or none.
      const stdin = opts.input === undefined ? 'ignore' : 'pipe';
      const stdio: StdioOptions = opts.stdio ?? (opts.detached ? ['ignore', 'ignore', 'ignore'] : [stdin, 'pipe', 'pipe']);
      const child = spawn(this.path, full, { signal: opts.signal, stdio });
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
      });
      child.stderr?.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      // A runtime that fails early closes its stdin: EPIPE then is its failure, reported below.
      child.stdin?.on('error', () => {});
      child.stdin?.end(opts.input);
      child.on('error', (e) => resolve({ stdout, stderr, code: -1, log: [], spawnError: e }));
      child.on('close', (code, signal) => resolve({ stdout, stderr, code: exitStatus({ code, signal }), log: [] }));
    });
    if (logFile) {
      if (result.code !== 0 || result.spawnError) result.log = errorsFromLog(readTextOr(logFile));
      try {
        unlinkSync(logFile);
      } catch {}
    }
    return result;
  }

  /**
   * The runtime spawned by the addon, its stdout, stderr and log (its fd 3, which
   * `--log=/proc/self/fd/3` reopens) into anonymous files read after it exited, its input, if
   * any, from another: no file to create and remove. Detached (a create, exec -d), its stdio
   * is /dev/null: the container's process keeps the stdio it was given for as long as it runs.
   */
  async #spawnNative(args: string[], opts: RunOptions): Promise<RunResult> {
    const files: number[] = [];
    try {
      const file = (name: string) => {
        const fd = memfd(name);
        files.push(fd);
        return fd;
      };
      const fds: SpawnFd[] = ['null', 'null', 'null'];
      if (!opts.detached) {
        if (opts.input !== undefined) {
          fds[0] = file('runtime-stdin');
          // At offset 0 (pwrite): the file's offset stays at its start for the runtime to read.
          writeSync(fds[0], opts.input, 0, 'utf8');
        }
        fds[1] = file('runtime-stdout');
        fds[2] = file('runtime-stderr');
      }
      const log = opts.noLog ? undefined : file('runtime-log');
      if (log !== undefined) fds[3] = log;
      let child: SpawnedProcess;
      try {
        child = spawnWait(this.path, log !== undefined ? this.#withLog(args, '/proc/self/fd/3') : args, { fds });
      } catch (err) {
        return { stdout: '', stderr: '', code: -1, log: [], spawnError: err as Error };
      }
      const code = exitStatus(await child.exited);
      const read = (fd: SpawnFd) => (typeof fd === 'number' ? readFdText(fd) : '');
      return { stdout: read(fds[1]), stderr: read(fds[2]), code, log: code !== 0 && log !== undefined ? errorsFromLog(readFdText(log)) : [] };
    } finally {
      for (const fd of files) closeSync(fd);
    }
  }
}

export function parseState(text: string, runtimeName = 'runtime'): ContainerState {
  let value: Partial<ContainerState>;
  try {
    value = JSON.parse(text) as Partial<ContainerState>;
  } catch {
    throw internal(`cannot read container state from ${runtimeName}: not JSON: ${text.slice(0, 200)}`);
  }
  const status = value.status as string;
  if (!(CONTAINER_STATUSES as readonly string[]).includes(status)) {
    throw internal(`cannot read container state from ${runtimeName}: unknown status "${status}"`);
  }
  return {
    ociVersion: value.ociVersion ?? '',
    id: value.id ?? '',
    status: status as ContainerStatus,
    pid: value.pid ?? 0,
    bundle: value.bundle ?? '',
    ...(value.rootfs ? { rootfs: value.rootfs } : {}),
    ...(value.created ? { created: value.created } : {}),
    ...(value.annotations ? { annotations: value.annotations } : {}),
  };
}
