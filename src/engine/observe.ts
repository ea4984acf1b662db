// Looking at running containers from the host: top (their processes from /proc) and one
// sample of stats (cgroup counters through the runtime).
import * as fs from 'node:fs/promises';
import { failedPrecondition } from '../internal/errors.js';
import type { ContainerRecord } from './container.js';
import type { ContainerHost } from './host.js';
import { lookupContainer } from './state.js';

export interface ProcessRow {
  uid: number;
  pid: number;
  ppid: number;
  /** Start time in clock ticks after boot (for sorting); cmd line joined by spaces. */
  cmd: string;
  state: string;
}

async function running(host: ContainerHost, query: string): Promise<ContainerRecord> {
  const rec = await lookupContainer(host, query);
  if (rec.state.status !== 'running' && rec.state.status !== 'paused') {
    throw failedPrecondition(`container ${rec.name} is not running`);
  }
  return rec;
}

/** docker top: the container's processes with host pids. */
export async function containerTop(host: ContainerHost, query: string): Promise<ProcessRow[]> {
  const rec = await running(host, query);
  const pids = await host.runtimeOf(rec).ps(rec.id);
  const out: ProcessRow[] = [];
  for (const pid of pids) {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
    if (!status) continue;
    const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
    const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ');
    out.push({ uid: Number(field('Uid').split(/\s+/)[0]), pid, ppid: Number(field('PPid')), cmd: cmdline || `[${field('Name')}]`, state: field('State').split(' ')[0] });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

export interface StatsRow {
  id: string;
  name: string;
  cpuPercent: number;
  memoryUsage: number;
  memoryLimit: number;
  pids: number;
  blockRead: number;
  blockWrite: number;
}

/** One stats sample per container (CPU % over a short interval, as docker's first sample). */
export async function containerStats(host: ContainerHost, query: string): Promise<StatsRow> {
  const rec = await running(host, query);
  const runtime = host.runtimeOf(rec);
  type Raw = { cpu?: { usage?: { total?: number } }; memory?: { usage?: { usage?: number; limit?: number } }; pids?: { current?: number }; blkio?: { ioServiceBytesRecursive?: { op: string; value: number }[] } };
  const a = (await runtime.stats(rec.id)) as Raw;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, 200));
  const b = (await runtime.stats(rec.id)) as Raw;
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpuNs = (b.cpu?.usage?.total ?? 0) - (a.cpu?.usage?.total ?? 0);
  const io = b.blkio?.ioServiceBytesRecursive ?? [];
  const sum = (op: string) => io.filter((e) => e.op.toLowerCase() === op).reduce((s, e) => s + e.value, 0);
  const limit = b.memory?.usage?.limit ?? 0;
  const { totalmem } = await import('node:os');
  return {
    id: rec.id,
    name: rec.name,
    cpuPercent: wallNs > 0 ? (cpuNs / wallNs) * 100 : 0,
    memoryUsage: b.memory?.usage?.usage ?? 0,
    memoryLimit: limit > 0 && limit < totalmem() ? limit : totalmem(),
    pids: b.pids?.current ?? 0,
    blockRead: sum('read'),
    blockWrite: sum('write'),
  };
}
