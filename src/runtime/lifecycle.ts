// Stopping a monitored container the way `docker stop` does: the stop signal, a grace period,
// then SIGKILL to every process; the exit comes from conmon's exit file either way.
import * as fs from 'node:fs/promises';
import { isBerthError } from '../internal/errors.js';
import { type ExitRecord, readExit, waitForExit } from './monitor.js';
import type { OciRuntime } from './oci-runtime.js';

export interface StopOptions {
  /** The image's StopSignal or --stop-signal; default SIGTERM. */
  stopSignal?: string;
  /** Seconds to wait before SIGKILL; default 10 (docker's). */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

/** Stops the container and returns its exit record (already exited: returns the record as is). */
export async function stopContainer(
  runtime: OciRuntime,
  id: string,
  stateDir: string,
  options: StopOptions = {},
): Promise<ExitRecord> {
  const done = await readExit(stateDir, id);
  if (done) return done;
  const timeoutMs = (options.timeoutSeconds ?? 10) * 1000;
  const ignoreGone = (err: unknown) => {
    // Exited between our look and the signal: the exit file says how.
    if (!isBerthError(err, 'not-found') && !isBerthError(err, 'failed-precondition')) throw err;
  };
  if (timeoutMs > 0) {
    await runtime.kill(id, options.stopSignal ?? 'SIGTERM').catch(ignoreGone);
    try {
      return await waitForExit(stateDir, id, { timeoutMs, signal: options.signal });
    } catch (err) {
      if (!isBerthError(err, 'failed-precondition')) throw err;
    }
  }
  await runtime.kill(id, 'SIGKILL', { all: true }).catch(ignoreGone);
  return waitForExit(stateDir, id, { timeoutMs: 30000, signal: options.signal });
}

/** Deletes the container from the runtime (killing what still runs) and removes its state dir. */
export async function removeContainer(runtime: OciRuntime, id: string, stateDir: string): Promise<void> {
  await runtime.delete(id, { force: true }).catch((err: unknown) => {
    if (!isBerthError(err, 'not-found')) throw err;
  });
  await fs.rm(stateDir, { recursive: true, force: true });
}
