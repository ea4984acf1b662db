// What `attach`, `start -a` and `exec -it` share: the caller's stdio joined to a container through conmon's
// attach socket, docker's way: the local terminal raw and its size passed on when the container
// has one, signals forwarded otherwise, and the detach keys (ctrl-p,ctrl-q) leaving it running.
import type { Writable } from 'node:stream';
import type { ContainerHost } from '../engine/host.js';
import type { ContainerRecord } from '../engine/container.js';
import { containerEvent } from '../engine/events.js';
import { waitStopped } from '../engine/lifecycle.js';
import { removedExitCode } from '../engine/state.js';
import { attachStreams } from '../engine/logs.js';
import type { ExecAttachment, ExecAttachPoint } from '../engine/exec-attached.js';
import { attachContainer, resizeTerminal } from '../runtime/attach.js';
import { outputProcessing } from '../internal/spawn.js';
import { forwardSignals } from './container-common.js';
import type { CliContext } from './main.js';

export interface Session {
  /** Until the container exits (its exit code) or the user detaches (undefined). */
  wait(): Promise<number | undefined>;
}

/**
 * Connects to the container (running, or made and not yet started when `socket` is given);
 * undefined when the attach helper is not built or the container has no monitor.
 */
export async function openSession(
  ctx: CliContext,
  host: ContainerHost,
  rec: ContainerRecord,
  options: { stdin: boolean; proxySignals: boolean; detachKeys: Buffer; socket?: string },
): Promise<Session | undefined> {
  const detachKeys = options.detachKeys;
  const withStdin = options.stdin && rec.spec.openStdin === true;
  const terminal = withStdin && rec.spec.tty === true && process.stdin.isTTY === true;
  const attached = await attachStreams(
    host,
    rec,
    { ...(withStdin ? { stdin: process.stdin, detachKeys } : {}), stdout: ctx.stdout, stderr: ctx.stderr },
    options.socket,
  );
  if (!attached) return undefined;
  // docker's event for a client attached to the container (attach, start -a, run -it).
  containerEvent(host.runroot, rec, 'attach');
  return {
    async wait() {
      const bundle = host.records.paths(rec.id).bundle;
      const resize = () => {
        if (process.stdout.isTTY) resizeTerminal(bundle, process.stdout.rows, process.stdout.columns);
      };
      // With a terminal, ctrl-c is a byte for the container; without, docker forwards signals.
      const stopForwarding = forwardSignals(host, rec, options.proxySignals && !terminal);
      let restore: (() => void) | undefined;
      if (terminal) {
        restore = rawTerminal();
        resize();
        process.on('SIGWINCH', resize);
      }
      try {
        const { detached } = await attached.done;
        if (detached) return undefined;
      } finally {
        if (terminal) {
          process.off('SIGWINCH', resize);
          restore?.();
        }
        stopForwarding();
        if (withStdin) process.stdin.destroy();
      }
      const done = await waitStopped(host, rec);
      // A --rm container is gone once its exit is settled: its code was kept for this.
      return done?.state.exitCode ?? removedExitCode(host, rec.id) ?? 0;
    },
  };
}

/**
 * The caller's terminal raw as docker's raw mode makes it: Node's raw stdin, and no output
 * processing on stdout's terminal (the session's own CR LF is written as it came, not as CR CR
 * LF). Returns what puts both back.
 */
function rawTerminal(): () => void {
  process.stdin.setRawMode(true);
  let opost: boolean | undefined;
  if (process.stdout.isTTY) {
    try {
      opost = outputProcessing(1, false);
    } catch {
      // Not a terminal after all, or one that refuses: its output stays as it is.
    }
  }
  return () => {
    if (opost !== undefined) {
      try {
        outputProcessing(1, opost);
      } catch {}
    }
    process.stdin.setRawMode(false);
  };
}

/** An `exec -t` session's output to the caller's stdout (no terminal here, no stdin to give). */
export async function attachExecOutput(ctx: CliContext, at: ExecAttachPoint): Promise<ExecAttachment> {
  const attached = await attachContainer(at.socket, { stdout: ctx.stdout as Writable, stderr: ctx.stderr as Writable });
  return { done: attached.done, detach: () => attached.detach() };
}

/**
 * The caller's terminal joined to an `exec -it` session (engine/exec-attached.ts): raw, its size
 * passed on as it changes, the detach keys held back by the attach helper. Restored when the
 * session's process ends or the user detached. SIGHUP (the terminal closed), SIGTERM or SIGINT
 * to the CLI leave as a detach does (the process runs on, its files are settled at its end);
 * `onSignal` hears which.
 */
export async function attachExecTerminal(ctx: CliContext, at: ExecAttachPoint, detachKeys: Buffer, onSignal: (signal: NodeJS.Signals) => void): Promise<ExecAttachment> {
  const attached = await attachContainer(at.socket, { stdin: process.stdin, stdout: ctx.stdout as Writable, stderr: ctx.stderr as Writable, detachKeys });
  const resize = () => {
    if (process.stdout.isTTY) resizeTerminal(at.bundle, process.stdout.rows, process.stdout.columns);
  };
  let left = false;
  const leave = (signal: NodeJS.Signals) => {
    left = true;
    onSignal(signal);
    attached.detach();
  };
  const ends: NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT'];
  for (const s of ends) process.on(s, leave);
  const restore = rawTerminal();
  process.on('SIGWINCH', resize);
  const done = attached.done
    .then(({ detached }) => ({ detached: detached || left }))
    .finally(() => {
      for (const s of ends) process.off(s, leave);
      process.off('SIGWINCH', resize);
      restore();
      process.stdin.destroy();
    });
  return { done, detach: () => attached.detach() };
}
