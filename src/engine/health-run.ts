// `healthcheck run`: the container's check run once in it (the exec machinery, output caught,
// killed past its timeout), the result recorded under the container's lock with docker's rules,
// and docker's health_status event when the status changed.
import { failedPrecondition } from '../internal/errors.js';
import type { ContainerHost } from './host.js';
import { containerEvent } from './events.js';
import { execCaptured } from './exec.js';
import { applyResult, clipOutput, type HealthResult, type HealthState, healthProbe, noHealthcheck, timeoutResult } from './health.js';
import { lookupContainer } from './state.js';

/** Runs the container's health check once; this check's result and the health recorded after it. */
export async function runHealthcheck(host: ContainerHost, query: string): Promise<{ result: HealthResult; health: HealthState }> {
  const rec = await lookupContainer(host, query);
  const probe = healthProbe(rec.spec.healthcheck);
  if (!probe) throw noHealthcheck(rec.name);
  if (rec.state.status !== 'running') throw failedPrecondition(`container ${rec.name} is not running`);
  const start = new Date();
  const ran = await execCaptured(host, rec, probe.cmd, probe.timeoutMs);
  const end = new Date();
  const result: HealthResult = ran.timedOut
    ? timeoutResult(start, end, probe.timeoutNs)
    : { Start: start.toISOString(), End: end.toISOString(), ExitCode: ran.exitCode, Output: clipOutput(ran.output) };
  const lock = await host.records.lock(rec.id);
  try {
    const cur = await host.records.load(rec.id);
    // Stopped or started again meanwhile: this result belongs to no run that is still going.
    if (cur.state.status !== 'running' || cur.state.startedAt !== rec.state.startedAt) {
      throw failedPrecondition(`container ${rec.name} is not running`);
    }
    const before = cur.state.health?.Status;
    cur.state.health = applyResult(cur.state.health, result, probe, cur.state.startedAt);
    await host.records.save(cur);
    if (cur.state.health.Status !== before) containerEvent(host.runroot, cur, `health_status: ${cur.state.health.Status}`);
    return { result, health: cur.state.health };
  } finally {
    await lock.release();
  }
}
