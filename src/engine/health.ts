// docker's health checks without a daemon: the container's HEALTHCHECK (the image's, overridden
// by --health-*) resolved at create; `berth healthcheck run` runs it once in the container and
// records the result under the container's lock; berth-health-timer (native/monitor/health-timer.c),
// started beside conmon, runs that verb each interval and ends with the container's init.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { failedPrecondition, internal, invalidArgument } from '../internal/errors.js';
import { formatGoDuration, goDurationNs } from '../internal/go-duration.js';
import { projectRoot } from '../internal/paths.js';
import type { HealthConfig } from '../image/types.js';
import type { ContainerRecord, ContainerState } from './container.js';

export type { HealthConfig };

/** docker's defaults (daemon/health.go). */
export const DEFAULT_INTERVAL_NS = 30e9;
export const DEFAULT_TIMEOUT_NS = 30e9;
export const DEFAULT_START_PERIOD_NS = 0;
/** docker 25's: the time between checks in the start period while the container is starting. */
export const DEFAULT_START_INTERVAL_NS = 5e9;
export const DEFAULT_RETRIES = 3;
/** docker keeps the last five results and 4 KiB of each one's output. */
export const MAX_LOG_ENTRIES = 5;
export const MAX_OUTPUT = 4096;
/** docker's minimum for a duration that is set (container.MinimumDuration). */
const MIN_DURATION_NS = 1e6;

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One check's result, as docker's State.Health.Log holds it. */
export interface HealthResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** docker's State.Health. */
export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthResult[];
}

/** A Go duration ("1m30s", "500ms", "0", "-1s") in nanoseconds; `flag` names it in the error. */
export function parseGoDuration(text: string, flag: string): number {
  const ns = goDurationNs(text);
  if (ns === undefined) throw invalidArgument(`invalid argument "${text}" for "${flag}" flag: time: invalid duration "${text}"`);
  return ns;
}

/** The --health-* and --no-healthcheck flags as given (durations still text). */
export interface HealthFlags {
  cmd?: string;
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  startInterval?: string;
  retries?: number;
  none?: boolean;
}

/**
 * docker's run flags as the container's HealthConfig (undefined: none given, the image's
 * applies): --no-healthcheck is Test ["NONE"]; --health-cmd is CMD-SHELL; a zero duration or
 * retries means "the image's, or the default".
 */
export function healthConfigFromFlags(f: HealthFlags): HealthConfig | undefined {
  const some = f.cmd !== undefined || f.interval !== undefined || f.timeout !== undefined || f.startPeriod !== undefined || f.startInterval !== undefined || f.retries !== undefined;
  if (f.none) {
    if (some) throw invalidArgument('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!some) return undefined;
  const hc: HealthConfig = {};
  if (f.cmd !== undefined && f.cmd !== '') hc.Test = ['CMD-SHELL', f.cmd];
  const dur = (v: string | undefined, name: string): number => {
    if (v === undefined) return 0;
    const ns = parseGoDuration(v, `--health-${name}`);
    if (ns < 0) throw invalidArgument(`--health-${name} cannot be negative`);
    return ns;
  };
  hc.Interval = dur(f.interval, 'interval');
  hc.Timeout = dur(f.timeout, 'timeout');
  hc.StartPeriod = dur(f.startPeriod, 'start-period');
  // docker 25's field, left out unless given (its JSON omits it when empty).
  if (f.startInterval !== undefined) hc.StartInterval = dur(f.startInterval, 'start-interval');
  if (f.retries !== undefined && f.retries < 0) throw invalidArgument('--health-retries cannot be negative');
  hc.Retries = f.retries ?? 0;
  checkHealthConfig(hc);
  return hc;
}

/** docker's daemon checks: a duration that is set is at least 1ms; retries not negative. */
export function checkHealthConfig(hc: HealthConfig): void {
  for (const [k, v] of [
    ['Interval', hc.Interval],
    ['Timeout', hc.Timeout],
    ['StartPeriod', hc.StartPeriod],
    ['StartInterval', hc.StartInterval],
  ] as const) {
    if (v !== undefined && v !== 0 && v < MIN_DURATION_NS) throw invalidArgument(`${k} in Healthcheck cannot be less than ${formatGoDuration(MIN_DURATION_NS)}`);
  }
  if (hc.Retries !== undefined && hc.Retries < 0) throw invalidArgument('Retries in Healthcheck cannot be negative');
}

/**
 * The container's config over the image's, field by field as docker merges them: an empty
 * Test, a zero duration or zero retries take the image's value.
 */
export function mergeHealthConfig(image: HealthConfig | undefined, user: HealthConfig | undefined): HealthConfig | undefined {
  if (!user) return image ? { ...image } : undefined;
  // --no-healthcheck turns the image's off: nothing of it is kept.
  if (!image || user.Test?.[0] === 'NONE') return { ...user };
  const out: HealthConfig = { ...user };
  if (!out.Test || out.Test.length === 0) out.Test = image.Test;
  if (!out.Interval) out.Interval = image.Interval;
  if (!out.Timeout) out.Timeout = image.Timeout;
  if (!out.StartPeriod) out.StartPeriod = image.StartPeriod;
  if (!out.StartInterval) out.StartInterval = image.StartInterval;
  if (!out.Retries) out.Retries = image.Retries;
  for (const k of Object.keys(out) as (keyof HealthConfig)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** A check to run, with docker's defaults filled in; undefined when the container has none. */
export interface HealthProbe {
  /** The command run in the container (CMD-SHELL: /bin/sh -c). */
  cmd: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  /** Between checks in the start period until the first success (docker 25's StartInterval). */
  startIntervalMs: number;
  retries: number;
  timeoutNs: number;
}

export function healthProbe(hc: HealthConfig | undefined): HealthProbe | undefined {
  const test = hc?.Test;
  if (!hc || !test || test.length === 0) return undefined;
  let cmd: string[];
  if (test[0] === 'CMD') cmd = test.slice(1);
  else if (test[0] === 'CMD-SHELL') cmd = ['/bin/sh', '-c', test.slice(1).join(' ')];
  else return undefined; // NONE, or a kind docker does not know either
  if (cmd.length === 0) return undefined;
  const ns = (v: number | undefined, d: number) => (v && v > 0 ? v : d);
  const timeoutNs = ns(hc.Timeout, DEFAULT_TIMEOUT_NS);
  return {
    cmd,
    intervalMs: Math.max(1, Math.round(ns(hc.Interval, DEFAULT_INTERVAL_NS) / 1e6)),
    timeoutMs: Math.max(1, Math.round(timeoutNs / 1e6)),
    startPeriodMs: Math.round(ns(hc.StartPeriod, DEFAULT_START_PERIOD_NS) / 1e6),
    startIntervalMs: Math.max(1, Math.round(ns(hc.StartInterval, DEFAULT_START_INTERVAL_NS) / 1e6)),
    retries: hc.Retries && hc.Retries > 0 ? hc.Retries : DEFAULT_RETRIES,
    timeoutNs,
  };
}

/** The health a container starts with (docker keeps the log of earlier runs). */
export function startingHealth(prev: HealthState | undefined): HealthState {
  return { Status: 'starting', FailingStreak: 0, Log: prev?.Log ?? [] };
}

/**
 * docker's handleProbeResult: a success makes it healthy (streak 0; a start period ends with
 * it); a failure (any exit code but 0, a timeout) counts toward the streak unless the container
 * is still starting within its start period; `retries` failures in a row make it unhealthy.
 */
export function applyResult(health: HealthState | undefined, result: HealthResult, probe: Pick<HealthProbe, 'retries' | 'startPeriodMs'>, startedAt: string | undefined): HealthState {
  const h: HealthState = { ...(health ?? startingHealth(undefined)) };
  h.Log = [...h.Log, result].slice(-MAX_LOG_ENTRIES);
  if (result.ExitCode === 0) {
    h.FailingStreak = 0;
    h.Status = 'healthy';
    return h;
  }
  let count = true;
  if (h.Status === 'starting' && startedAt) {
    const sinceStart = Date.parse(result.Start) - Date.parse(startedAt);
    if (sinceStart < probe.startPeriodMs) count = false;
  }
  if (count) {
    h.FailingStreak += 1;
    if (h.FailingStreak >= probe.retries) h.Status = 'unhealthy';
  }
  return h;
}

/** The result of a check that ran past its timeout (docker's words and exit code -1). */
export function timeoutResult(start: Date, end: Date, timeoutNs: number): HealthResult {
  return { Start: start.toISOString(), End: end.toISOString(), ExitCode: -1, Output: `Health check exceeded timeout (${formatGoDuration(timeoutNs)})` };
}

/** The output docker keeps of a check: its first 4 KiB. */
export function clipOutput(out: Buffer | string): string {
  const b = typeof out === 'string' ? Buffer.from(out) : out;
  return (b.byteLength > MAX_OUTPUT ? b.subarray(0, MAX_OUTPUT) : b).toString('utf8');
}

/** ps's words for it: "healthy", "unhealthy", "health: starting". */
export function healthText(state: Pick<ContainerState, 'health'>): string | undefined {
  const s = state.health?.Status;
  if (!s) return undefined;
  return s === 'starting' ? 'health: starting' : s;
}

/** The timer's binary (scripts/build.sh builds it). */
export function healthTimerPath(): string {
  return path.join(projectRoot(), 'native', 'monitor', 'build', 'berth-health-timer');
}

/**
 * The timer's arguments before the command: docker's schedule. With a start period, the checks
 * come every start interval from the start until the first success or the period's end, then
 * every interval; without, every interval from the first.
 */
export function healthTimerArgs(initPid: number, probe: Pick<HealthProbe, 'intervalMs' | 'startPeriodMs' | 'startIntervalMs'>): string[] {
  if (probe.startPeriodMs <= 0) return [String(initPid), String(probe.intervalMs), String(probe.intervalMs)];
  return [String(initPid), String(probe.intervalMs), String(probe.startIntervalMs), '-s', String(probe.startIntervalMs), String(probe.startPeriodMs)];
}

/**
 * Starts the timer for a container that runs: it forks off (setsid, stdio /dev/null) and prints
 * its pid; it runs `command ID` on docker's schedule (healthTimerArgs) until `initPid` ends.
 * Returns its pid.
 */
export async function startHealthTimer(initPid: number, probe: HealthProbe, command: string[], id: string): Promise<number> {
  const { runCaptured } = await import('../internal/spawn.js');
  const args = [...healthTimerArgs(initPid, probe), ...command, id];
  const run = await runCaptured(healthTimerPath(), args);
  const pid = Number(run.stdout.trim());
  if (run.exit.code !== 0 || !Number.isInteger(pid) || pid <= 0) {
    throw internal(`cannot start the health check timer: ${run.stderr.trim() || `exit ${run.exit.code ?? run.exit.signal}`}`);
  }
  return pid;
}

/** Whether `pid` is the health timer of container `id` (its command line names both). */
export function isHealthTimer(pid: number, id: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return (argv[0] ?? '').endsWith('health-timer') && argv.includes(id);
  } catch {
    return false;
  }
}

/**
 * Ends the container's timer, when it still runs (SIGTERM, after /proc says that pid is that
 * container's timer, never another process that got its number); forgets its pid in `state`.
 */
export function endHealthTimer(rec: ContainerRecord): void {
  const pid = rec.state.healthTimerPid;
  if (!pid) return;
  if (isHealthTimer(pid, rec.id)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
  }
  delete rec.state.healthTimerPid;
}

/** The failure `healthcheck run` reports for a container without a check. */
export function noHealthcheck(name: string): Error {
  return failedPrecondition(`container ${name} has no defined healthcheck`);
}
