// Looking at running containers from the host: top (the host's ps over their processes, as
// docker's daemon does) and one sample of stats (cgroup counters through the runtime).
import { failedPrecondition, invalidArgument } from '../internal/errors.js';
import { runCaptured } from '../internal/spawn.js';
import { type ContainerRecord, isLive, notRunning } from './container.js';
import type { ContainerHost } from './host.js';
import { lookupContainer } from './state.js';

/** docker's ContainerTopOKBody: ps's column titles, then a row of fields per process. */
export interface ContainerTop {
  titles: string[];
  processes: string[][];
}

async function running(host: ContainerHost, query: string): Promise<ContainerRecord> {
  const rec = await lookupContainer(host, query);
  if (!isLive(rec.state.status)) throw notRunning(rec);
  return rec;
}

/**
 * docker's validatePSArgs, over the ps arguments joined by spaces: a column renamed to a title
 * starting with PID ("-o comm=PID") would pass for the PID column, so only "pid=..." may be.
 */
export function validatePsArgs(psArgs: string): void {
  for (const m of psArgs.matchAll(/\s+(\S*)=\s*(PID\S*)/g)) {
    if (m[1] !== 'pid') throw invalidArgument(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

/** Split on ASCII whitespace only (docker's fieldsASCII): a non-ASCII space stays in its field. */
function fieldsAscii(line: string): string[] {
  return line.split(/[\t\n\f\r ]+/).filter((f) => f !== '');
}

/**
 * docker's parsePSOutput: the first line's fields are the titles; each later line a process,
 * its fields past the last title joined by single spaces (the command line), kept only when
 * its PID is one of `pids`. A line with "-" as PID (a thread, ps's m option) follows the line
 * before it. Errors in dockerd's words.
 */
export function parsePsOutput(output: string, pids: readonly number[]): ContainerTop {
  const lines = output.split('\n');
  const titles = fieldsAscii(lines[0] ?? '');
  const pidIndex = titles.indexOf('PID');
  // dockerd's words for a ps that shows no PID column ("-o user,comm", "-o pid=X").
  if (pidIndex === -1) throw invalidArgument("Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  const row = (fields: string[]) => {
    const head = titles.slice(0, -1).map((_, i) => fields[i] ?? '');
    processes.push([...head, fields.slice(titles.length - 1).join(' ')]);
  };
  let previousKept = false;
  for (const line of lines.slice(1)) {
    const fields = fieldsAscii(line);
    if (fields.length === 0) continue;
    const field = fields[pidIndex] ?? '';
    if (field === '-') {
      if (previousKept) row(fields);
      continue;
    }
    if (!/^\d+$/.test(field)) throw invalidArgument(`Unexpected pid '${field}': strconv.Atoi: parsing "${field}": invalid syntax`);
    previousKept = wanted.has(Number(field));
    if (previousKept) row(fields);
  }
  return { titles, processes };
}

/**
 * docker top: the host's ps with `psArgs` (docker's ps_args: words split on spaces; "-ef" when
 * empty) over the container's processes (host pids). ps is asked for them alone (-q); as some
 * options cannot go with -q (f, a forest), it runs again without, and the output is filtered.
 */
export async function containerTop(host: ContainerHost, query: string, psArgs = ''): Promise<ContainerTop> {
  const args = psArgs === '' ? ['-ef'] : psArgs.split(' ').filter((a) => a !== '');
  validatePsArgs(psArgs === '' ? '-ef' : psArgs);
  const rec = await running(host, query);
  const pids = await host.runtimeOf(rec).ps(rec.id);
  // Without COLUMNS from a terminal, ps never cuts a command line to its width.
  const env = { ...process.env, COLUMNS: undefined };
  const ps = async (argv: string[]) => {
    try {
      return await runCaptured('ps', argv, { env });
    } catch (err) {
      throw failedPrecondition(`cannot list processes: cannot run ps (from procps): ${(err as Error).message}`, { cause: err });
    }
  };
  let run = await ps([...args, '-q', pids.join(',')]);
  if (run.exit.code !== 0) run = await ps(args);
  if (run.exit.code !== 0) {
    // dockerd's words: "ps: " and the first line ps wrote on stderr, or Go's exit status.
    const first = run.stderr.split('\n')[0] ?? '';
    throw invalidArgument(`ps: ${first !== '' ? first : `exit status ${run.exit.code ?? run.exit.signal}`}`);
  }
  return parsePsOutput(run.stdout, pids);
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

/** An entry of the runtime's blkio statistics (runc's `events --stats`). */
export interface BlkioEntry {
  op?: string;
  value?: number;
}

/**
 * The bytes of one operation ("read", "write") over a container's devices. runc leaves out a
 * zero value (and may leave out the op): absent counts as 0, not NaN.
 */
export function blkioBytes(entries: BlkioEntry[], op: string): number {
  return entries.filter((e) => (e.op ?? '').toLowerCase() === op).reduce((s, e) => s + (e.value ?? 0), 0);
}

/** One stats sample per container (CPU % over a short interval, as docker's first sample). */
export async function containerStats(host: ContainerHost, query: string): Promise<StatsRow> {
  const rec = await running(host, query);
  const runtime = host.runtimeOf(rec);
  type Raw = { cpu?: { usage?: { total?: number } }; memory?: { usage?: { usage?: number; limit?: number } }; pids?: { current?: number }; blkio?: { ioServiceBytesRecursive?: BlkioEntry[] } };
  const a = (await runtime.stats(rec.id)) as Raw;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, 200));
  const b = (await runtime.stats(rec.id)) as Raw;
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpuNs = (b.cpu?.usage?.total ?? 0) - (a.cpu?.usage?.total ?? 0);
  const io = b.blkio?.ioServiceBytesRecursive ?? [];
  const limit = b.memory?.usage?.limit ?? 0;
  const { totalmem } = await import('node:os');
  return {
    id: rec.id,
    name: rec.name,
    cpuPercent: wallNs > 0 ? (cpuNs / wallNs) * 100 : 0,
    memoryUsage: b.memory?.usage?.usage ?? 0,
    memoryLimit: limit > 0 && limit < totalmem() ? limit : totalmem(),
    pids: b.pids?.current ?? 0,
    blockRead: blkioBytes(io, 'read'),
    blockWrite: blkioBytes(io, 'write'),
  };
}
