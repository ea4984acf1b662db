// berth stats: CPU, memory, block I/O and pids per running container (-a: every one, zeros
// for those not running), refreshed every second
// until interrupted (the CLI samples the cgroups itself), or one sample with --no-stream.
import { setTimeout as sleep } from 'node:timers/promises';
import { isLive } from '../engine/container.js';
import { containerStats } from '../engine/observe.js';
import { isBerthError } from '../internal/errors.js';
import { listContainers, lookupContainer } from '../engine/state.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { type FormatSpec, formatRows, humanSize } from './format.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';
import type { StatsRow } from '../engine/observe.js';

const SPEC: VerbSpec = {
  usage: 'berth stats [OPTIONS] [CONTAINER...]',
  summary: 'Display a live stream of container resource usage',
  flags: [
    { name: 'no-stream', type: 'bool', description: 'Take one sample and exit instead of refreshing every second' },
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'table, json, or a Go template' },
  ],
};

const binary = (n: number) => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 2).replace(/\.00$/, '')}${units[i]}`;
};

/** Time between the starts of two samples in streaming mode, as docker refreshes. */
const REFRESH_MS = 1000;

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  const named = flags.args.length > 0;
  const noTrunc = flags.bool('no-trunc');
  // docker's .Container: the name or ID as the command line gave it (the short ID without names).
  const asked = new Map<string, string>();
  const statsOf = async (query: string) => {
    const row = await containerStats(host, query);
    if (named) asked.set(row.id, query);
    return row;
  };
  const spec: FormatSpec<StatsRow> = {
    columns: [
      { header: 'CONTAINER ID', field: '.ID' },
      { header: 'NAME', field: '.Name' },
      { header: 'CPU %', field: '.CPUPerc' },
      { header: 'MEM USAGE / LIMIT', field: '.MemUsage' },
      { header: 'MEM %', field: '.MemPerc' },
      { header: 'NET I/O', field: '.NetIO' },
      { header: 'BLOCK I/O', field: '.BlockIO' },
      { header: 'PIDS', field: '.PIDs' },
    ],
    context: 'container.statsContext',
    headers: { Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' },
    view: (r) => ({
      Container: asked.get(r.id) ?? r.id.slice(0, 12),
      ID: noTrunc ? r.id : r.id.slice(0, 12),
      Name: r.name,
      CPUPerc: `${r.cpuPercent.toFixed(2)}%`,
      MemUsage: `${binary(r.memoryUsage)} / ${binary(r.memoryLimit)}`,
      MemPerc: `${r.memoryLimit ? ((r.memoryUsage / r.memoryLimit) * 100).toFixed(2) : '0.00'}%`,
      NetIO: '0B / 0B',
      BlockIO: `${humanSize(r.blockRead)} / ${humanSize(r.blockWrite)}`,
      PIDs: String(r.pids),
    }),
  };
  // Without names, as docker's: the running and paused containers, or with -a all of them,
  // newest first as ps lists them.
  const all = flags.bool('all');
  const listedIds = async () =>
    (await listContainers(host))
      .filter((r) => all || isLive(r.state.status))
      .sort((a, b) => b.created.localeCompare(a.created))
      .map((r) => r.id);
  // A container that is not running shows zeros, as docker's --no-stream does.
  const zeroIfStopped = async (query: string): Promise<StatsRow> =>
    statsOf(query).catch(async (err: unknown) => {
      if (!isBerthError(err, 'failed-precondition')) throw err;
      const rec = await lookupContainer(host, query);
      if (named) asked.set(rec.id, query);
      return { id: rec.id, name: rec.name, cpuPercent: 0, memoryUsage: 0, memoryLimit: 0, pids: 0, blockRead: 0, blockWrite: 0 };
    });
  if (flags.bool('no-stream')) {
    const rows = await Promise.all((named ? flags.args : await listedIds()).map(zeroIfStopped));
    ctx.out(formatRows(rows, spec, flags.string('format')));
    return 0;
  }
  // Streaming: named containers drop out as they stop (the stream ends when none is left);
  // without names, every running container, listed anew at each refresh as docker does.
  let watched = flags.args;
  const tty = (ctx.stdout as NodeJS.WriteStream).isTTY === true;
  const interrupted = new AbortController();
  const stop = () => interrupted.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (let first = true; !interrupted.signal.aborted; first = false) {
      const started = Date.now();
      const ids = named ? watched : await listedIds();
      const results = await Promise.allSettled(ids.map(named ? statsOf : zeroIfStopped));
      const rows: StatsRow[] = [];
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') rows.push(r.value);
        else if (isBerthError(r.reason, 'failed-precondition') || isBerthError(r.reason, 'not-found')) watched = watched.filter((w) => w !== ids[i]);
        else throw r.reason;
      });
      if (interrupted.signal.aborted) break;
      if (named && rows.length === 0) {
        // A named container that is not running at the start is an error, as with --no-stream.
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (first && failed) throw failed.reason;
        return 0;
      }
      ctx.out(`${tty ? '\x1b[2J\x1b[H' : ''}${formatRows(rows, spec, flags.string('format'))}`);
      await sleep(Math.max(0, REFRESH_MS - (Date.now() - started)), undefined, { signal: interrupted.signal }).catch(() => {});
    }
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
