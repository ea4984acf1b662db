// Child processes without node:child_process: the addon's posix_spawn with the child's fd
// table, its exit watched through a pidfd on the event loop; the anonymous files and pipes a
// child is given. Why: loading node:child_process (net, dgram, ...) costs ~2.5 ms of a start,
// and libuv's fork() copies the page tables of the ~50 MB Node process for each child.
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import { readFdText } from './read.js';
import { native } from './sys.js';

/** How a process spawned by spawnWait ended: its exit code, or the signal that killed it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A process's exit as one status, the shell's $?: its exit code, or 128 plus the number of the
 * signal that killed it (a signal without a name in Node counts as 0).
 */
export function exitStatus(exit: ProcessExit): number {
  return exit.code ?? 128 + (exit.signal ? (constants.signals[exit.signal] ?? 0) : 0);
}

export interface SpawnedProcess {
  pid: number;
  /** Settles once the process exited and was reaped (until then its pid cannot be reused). */
  exited: Promise<ProcessExit>;
}

/** What a child's fd is: this process's same fd ('inherit'), /dev/null ('null'), or an fd of this process. */
export type SpawnFd = 'inherit' | 'null' | number;

export interface SpawnOptions {
  /** The child's fds 0, 1, 2 and on (at most 16); default: 0 from /dev/null, 1 and 2 inherited. */
  fds?: SpawnFd[];
  /** Its working directory; default this process's. */
  cwd?: string;
  /** Its whole environment; default this process's. */
  env?: Record<string, string | undefined>;
}

/**
 * Starts the program `file` (a path, or a name looked up in PATH) with `args`, without
 * node:child_process: posix_spawn (no fork of the Node process), a clean signal state, the fds
 * `fds` lists and no other. Throws an errno error (ENOENT, EACCES, ...; syscall 'spawn') when
 * it cannot be executed. The exit is watched on the event loop, which it keeps alive meanwhile.
 */
export function spawnWait(file: string, args: string[], options: SpawnOptions = {}): SpawnedProcess {
  const fds = (options.fds ?? ['null', 'inherit', 'inherit']).map((fd, i) => (fd === 'inherit' ? i : fd === 'null' ? -1 : fd));
  const env = options.env
    ? Object.entries(options.env)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${v}`)
    : null;
  const [pid, exited] = native().spawn(file, [file, ...args], fds, options.cwd ?? null, env);
  return {
    pid,
    exited: exited.then(([code, signal]) => (signal ? { code: null, signal: signalName(signal) } : { code, signal: null })),
  };
}

/** What a one-shot command printed, and how it ended. */
export interface CapturedRun {
  exit: ProcessExit;
  stdout: string;
  stderr: string;
}

/**
 * Runs `file` with `args` to its end through spawnWait, stdin /dev/null, its stdout and stderr
 * captured in anonymous files read once it exited: a short command whose output is parsed (ps).
 * Throws as spawnWait does when it cannot be executed.
 */
export async function runCaptured(file: string, args: string[], options: Omit<SpawnOptions, 'fds'> = {}): Promise<CapturedRun> {
  const out = memfd('captured-stdout');
  let err: number | undefined;
  try {
    err = memfd('captured-stderr');
    const exit = await spawnWait(file, args, { ...options, fds: ['null', out, err] }).exited;
    return { exit, stdout: readFdText(out), stderr: readFdText(err) };
  } finally {
    closeSync(out);
    if (err !== undefined) closeSync(err);
  }
}

/**
 * Whether process `pid` exited within timeoutMs (true at once when there is none): a pidfd
 * watched on the event loop, for a process that is not our child (a container's monitor). It
 * reaps nothing.
 */
export function processGone(pid: number, timeoutMs: number): Promise<boolean> {
  return native().processGone(pid, timeoutMs);
}

/** A pipe: [read end, write end], both close-on-exec (a child gets one through spawnWait's fds). */
export function pipe(): [readFd: number, writeFd: number] {
  return native().pipe();
}

/**
 * What `fd` (a pipe's read end) gives up to and with its first newline, or until EOF, or
 * `max` bytes; read on the event loop (the fd is made non-blocking; it is not closed here).
 * Bytes that came in the same read after the newline are dropped: for one line, then close.
 */
export function readLine(fd: number, max = 65536): Promise<Buffer> {
  return native().readLine(fd, max);
}

/**
 * Sets the output processing (termios OPOST) of `fd`'s terminal; returns whether it was on.
 * Off while a session's terminal is raw, as docker's raw mode has it: the container's own CR LF
 * then reaches the screen as it was written (Node's raw mode leaves LF -> CR LF on).
 */
export function outputProcessing(fd: number, on: boolean): boolean {
  return native().outputProcessing(fd, on);
}

/** An anonymous file (memfd_create, close-on-exec): a child's captured output, or its input. */
export function memfd(name: string): number {
  return native().memfd(name);
}

function signalName(signal: number): NodeJS.Signals {
  for (const [name, n] of Object.entries(constants.signals)) if (n === signal) return name as NodeJS.Signals;
  // A real-time signal has no name in Node; the number keeps what is known.
  return `SIG${signal}` as NodeJS.Signals;
}
