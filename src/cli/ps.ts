// berth ps: the containers, reconciled with the runtime first, in docker's columns, filters and formats.
import { type ContainerRecord, labelsOf, networkOf, statusText } from '../engine/container.js';
import { commandOf } from '../engine/spec.js';
import { labelMatches } from '../engine/labels.js';
import { listContainers } from '../engine/state.js';
import { invalidArgument } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { type FormatSpec, formatRows, humanSize, timeAgo } from './format.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth ps [OPTIONS]',
  summary: 'List containers',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'latest', short: 'l', type: 'bool', description: 'Show the latest created container' },
    { name: 'last', short: 'n', type: 'string', value: 'N', description: 'Show n last created containers' },
    { name: 'filter', short: 'f', type: 'list', value: 'KEY=VALUE', description: 'Filter: id, name, label, status, exited, ancestor, before, since, health' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'table, json, or a Go template' },
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes (the writable layer, and the virtual size with the image)' },
  ],
};

const FILTER_KEYS = ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'health'];
const HEALTH_VALUES = ['starting', 'healthy', 'unhealthy', 'none'];

/** --filter KEY=VALUE flags by key: docker ORs the values of one key (all labels must match) and ANDs the keys. */
function parseFilters(list: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const filter of list) {
    const eq = filter.indexOf('=');
    if (eq < 0) throw invalidArgument(`invalid filter "${filter}": want KEY=VALUE`);
    const key = filter.slice(0, eq);
    if (key === 'health' && !HEALTH_VALUES.includes(filter.slice(eq + 1))) throw invalidArgument(`Unrecognised filter value for health: ${filter.slice(eq + 1)}`);
    if (!FILTER_KEYS.includes(key)) throw invalidArgument(`invalid filter "${key}": want ${FILTER_KEYS.slice(0, -1).join(', ')} or ${FILTER_KEYS.at(-1)}`);
    out.set(key, [...(out.get(key) ?? []), filter.slice(eq + 1)]);
  }
  return out;
}

/** The container a before=/since= filter names (ID, ID prefix or name), among all of them. */
function reference(all: ContainerRecord[], key: string, query: string): ContainerRecord {
  const hit = all.find((r) => r.name === query.replace(/^\//, '')) ?? all.find((r) => r.id === query) ?? all.filter((r) => r.id.startsWith(query)).at(0);
  if (!hit) throw invalidArgument(`invalid filter "${key}=${query}": no such container`);
  return hit;
}

function matchOne(rec: ContainerRecord, key: string, value: string, all: ContainerRecord[]): boolean {
  switch (key) {
    case 'id':
      return rec.id.startsWith(value);
    case 'name':
      return new RegExp(value).test(rec.name);
    case 'status':
      return rec.state.status === value;
    case 'exited':
      return rec.state.status === 'exited' && String(rec.state.exitCode) === value;
    case 'label':
      return labelMatches(labelsOf(rec), value);
    case 'ancestor':
      return rec.spec.image === value || rec.source.imageName === value || (rec.source.imageId ?? '').replace('sha256:', '').startsWith(value.replace('sha256:', ''));
    case 'before':
      return rec.created < reference(all, key, value).created;
    case 'health':
      // docker's: the health status of the container's run, "none" for one without a check.
      return (rec.state.health?.Status ?? 'none') === value;
    default:
      // since
      return rec.created > reference(all, key, value).created;
  }
}

function matches(rec: ContainerRecord, filters: Map<string, string[]>, all: ContainerRecord[]): boolean {
  for (const [key, values] of filters) {
    const hit = key === 'label' ? values.every((v) => matchOne(rec, key, v, all)) : values.some((v) => matchOne(rec, key, v, all));
    if (!hit) return false;
  }
  return true;
}

/** psFormat's rows; sizes only with -s (measuring each writable layer costs a tree walk). */
/** docker's SIZE: "12B (virtual 2.1MB)". */
function sizeText(s: { rw: number; rootFs: number }): string {
  return `${humanSize(s.rw)} (virtual ${humanSize(s.rootFs)})`;
}

export function psFormat(noTrunc: boolean, sizes?: Map<string, { rw: number; rootFs: number }>): FormatSpec<ContainerRecord> {
  return {
    columns: [
      { header: 'CONTAINER ID', field: '.ID' },
      { header: 'IMAGE', field: '.Image' },
      { header: 'COMMAND', field: '.Command' },
      { header: 'CREATED', field: '.RunningFor' },
      { header: 'STATUS', field: '.Status' },
      { header: 'PORTS', field: '.Ports' },
      { header: 'NAMES', field: '.Names' },
      ...(sizes ? [{ header: 'SIZE', field: '.Size' }] : []),
    ],
    headers: { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', RunningFor: 'CREATED', CreatedAt: 'CREATED AT', Status: 'STATUS', Ports: 'PORTS', Names: 'NAMES', State: 'STATE', Labels: 'LABELS', Size: 'SIZE' },
    view: (r) => {
      // docker's: the program, then each argument, one with a blank in single quotes.
      const [program = '', ...args] = commandOf(r);
      const cmd = [program, ...args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' ');
      const shown = noTrunc ? cmd : cmd.length > 20 ? `${cmd.slice(0, 19)}…` : cmd;
      const labels = labelsOf(r);
      const mounts = (r.spec.mounts ?? []).filter((m) => m.type !== 'tmpfs');
      const mountNames = mounts.map((m) => (m.type === 'volume' ? m.name : m.type === 'bind' ? m.source : '')).map((n) => (noTrunc || n.length <= 15 ? n : `${n.slice(0, 14)}…`));
      return {
        ID: noTrunc ? r.id : r.id.slice(0, 12),
        Image: r.spec.image,
        Command: `"${shown}"`,
        CreatedAt: r.created,
        RunningFor: timeAgo(r.created),
        Status: statusText(r.state),
        State: r.state.status,
        Ports: '',
        Names: r.name,
        Labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','),
        Label: (key: string) => labels[key] ?? '',
        Mounts: mountNames.join(','),
        LocalVolumes: String(mounts.filter((m) => m.type === 'volume').length),
        Networks: networkOf(r.spec) ?? '',
        ExitCode: r.state.exitCode ?? 0,
        Pid: r.state.pid,
        ...(sizes?.has(r.id) ? { Size: sizeText(sizes.get(r.id) as { rw: number; rootFs: number }) } : {}),
      };
    },
  };
}

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  let rows = await listContainers(containerHost(ctx));
  rows.sort((a, b) => b.created.localeCompare(a.created));
  const last = flags.bool('latest') ? 1 : flags.string('last') !== undefined ? Number(flags.string('last')) : undefined;
  const all = flags.bool('all') || last !== undefined || flags.list('filter').some((f) => /^(status|exited)=/.test(f));
  const everyOne = rows;
  if (!all) rows = rows.filter((r) => r.state.status === 'running' || r.state.status === 'paused' || r.state.status === 'restarting');
  const filters = parseFilters(flags.list('filter'));
  if (filters.size) rows = rows.filter((r) => matches(r, filters, everyOne));
  if (last !== undefined && last >= 0) rows = rows.slice(0, last);
  const noTrunc = flags.bool('no-trunc');
  if (flags.bool('quiet')) {
    for (const r of rows) ctx.out(`${noTrunc ? r.id : r.id.slice(0, 12)}\n`);
    return 0;
  }
  let sizes: Map<string, { rw: number; rootFs: number }> | undefined;
  if (flags.bool('size')) {
    const { containerSizes } = await import('../engine/lifecycle.js');
    const host = containerHost(ctx);
    sizes = new Map();
    for (const r of rows) sizes.set(r.id, await containerSizes(host, r));
  }
  ctx.out(formatRows(rows, psFormat(noTrunc, sizes), flags.string('format')));
  return 0;
}
