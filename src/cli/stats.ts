// berth stats: one sample of CPU, memory, block I/O and pids per running container (--no-stream
// is the only mode: a daemonless CLI takes one sample and exits).
import { containerStats } from '../engine/observe.js';
import { listContainers } from '../engine/state.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { type FormatSpec, formatRows, humanSize } from './format.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';
import type { StatsRow } from '../engine/observe.js';

const SPEC: VerbSpec = {
  usage: 'berth stats [OPTIONS] [CONTAINER...]',
  summary: 'Display a sample of container resource usage',
  flags: [
    { name: 'no-stream', type: 'bool', description: 'Take one sample (the only mode)' },
    { name: 'all', short: 'a', type: 'bool', description: 'Accepted for compatibility' },
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

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  const names = flags.args.length ? flags.args : (await listContainers(host)).filter((r) => r.state.status === 'running').map((r) => r.id);
  const rows = await Promise.all(names.map((n) => containerStats(host, n)));
  const noTrunc = flags.bool('no-trunc');
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
    headers: { ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' },
    view: (r) => ({
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
  ctx.stdout.write(formatRows(rows, spec, flags.string('format')));
  return 0;
}
