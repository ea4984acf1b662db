// berth ps: the containers, reconciled with the runtime first, in docker's columns, filters and formats.
import { type ContainerRecord, isActive, labelsOf, networkOf, statusText } from '../engine/container.js';
import { commandOf } from '../engine/spec.js';
import { labelMatches } from '../engine/labels.js';
import { listContainers } from '../engine/state.js';
import { invalidArgument, isBerthError } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { type FormatSpec, formatRows, goTimeString, humanSize, timeAgo } from './format.js';
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
    { name: 'filter', short: 'f', type: 'list', value: 'KEY=VALUE', description: 'Filter: id, name, label, status, exited, ancestor, before, since, health, volume, network, expose, publish, is-task' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'table, json, or a Go template' },
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes (the writable layer, and the virtual size with the image)' },
  ],
};

const FILTER_KEYS = ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'health', 'volume', 'network', 'expose', 'publish', 'is-task'];
const HEALTH_VALUES = ['starting', 'healthy', 'unhealthy', 'none'];
const STATUS_VALUES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
/** A port filter's value: PORT[/PROTO] or a range START-END[/PROTO]. */
const PORT_FILTER = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/;

/** --filter KEY=VALUE flags by key: docker ORs the values of one key (all labels must match) and ANDs the keys. */
function parseFilters(list: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const filter of list) {
    const eq = filter.indexOf('=');
    if (eq < 0) throw invalidArgument(`invalid filter "${filter}": want KEY=VALUE`);
    const key = filter.slice(0, eq);
    const value = filter.slice(eq + 1);
    if (!FILTER_KEYS.includes(key)) throw invalidArgument(`invalid filter "${key}": want ${FILTER_KEYS.slice(0, -1).join(', ')} or ${FILTER_KEYS.at(-1)}`);
    // Values docker's daemon refuses, refused here too (an empty list would hide the mistake).
    if (key === 'health' && !HEALTH_VALUES.includes(value)) throw invalidArgument(`Unrecognised filter value for health: ${value}`);
    if (key === 'status' && !STATUS_VALUES.includes(value)) throw invalidArgument(`invalid filter "${filter}": the status is one of ${STATUS_VALUES.join(', ')}`);
    if (key === 'exited' && !/^-?\d+$/.test(value)) throw invalidArgument(`invalid filter "${filter}": want an exit code`);
    if (key === 'is-task' && value !== 'true' && value !== 'false') throw invalidArgument(`invalid filter "${filter}": want true or false`);
    if ((key === 'expose' || key === 'publish') && !PORT_FILTER.test(value)) throw invalidArgument(`invalid filter "${filter}": want PORT[/PROTO] or START-END[/PROTO]`);
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

/** The container a before=/since= filter names (ID, ID prefix or name), among all of them. */
function reference(all: ContainerRecord[], key: string, query: string): ContainerRecord {
  const hit = all.find((r) => r.name === query.replace(/^\//, '')) ?? all.find((r) => r.id === query) ?? all.filter((r) => r.id.startsWith(query)).at(0);
  if (!hit) throw invalidArgument(`invalid filter "${key}=${query}": no such container`);
  return hit;
}

/** An ancestor= image as the store resolved it: its ID and layers (undefined: no such image). */
type Ancestors = Map<string, { id: string; layers: string[] } | undefined>;

/** Whether an exposed port ("80/tcp") falls in a port filter's value. */
function portMatches(port: string, value: string): boolean {
  const m = PORT_FILTER.exec(value) as RegExpExecArray;
  const [number, proto] = port.split('/');
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  return Number(number) >= from && Number(number) <= to && proto === (m[3] ?? 'tcp');
}

function matchOne(rec: ContainerRecord, key: string, value: string, all: ContainerRecord[], ancestors: Ancestors): boolean {
  switch (key) {
    case 'id':
      return rec.id.startsWith(value);
    case 'name': {
      // docker's names start with "/": a pattern matches the name with it or without it.
      const re = new RegExp(value);
      return re.test(rec.name) || re.test(`/${rec.name}`);
    }
    case 'volume':
      return (rec.spec.mounts ?? []).some((m) => m.destination === value || (m.type === 'volume' && m.name === value) || (m.type === 'bind' && m.source === value));
    case 'network':
      return networkOf(rec.spec) === value;
    case 'expose':
      return [...(rec.source.config.exposedPorts ?? []), ...(rec.spec.exposedPorts ?? [])].some((p) => portMatches(p, value));
    case 'publish':
      // berth publishes no ports yet (bridged networks come later).
      return false;
    case 'is-task':
      // Swarm's tasks: a daemonless engine has none.
      return value === 'false';
    case 'status':
      return rec.state.status === value;
    case 'exited':
      return rec.state.status === 'exited' && String(rec.state.exitCode) === value;
    case 'label':
      return labelMatches(labelsOf(rec), value);
    case 'ancestor': {
      // docker's: made from the image, or from one built on it (its layers under the container's).
      if (rec.spec.image === value) return true;
      const image = ancestors.get(value);
      if (!image) return false;
      if (rec.source.imageId === image.id) return true;
      return image.layers.length > 0 && image.layers.every((chain, i) => rec.source.layers[i] === chain);
    }
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

function matches(rec: ContainerRecord, filters: Map<string, string[]>, all: ContainerRecord[], ancestors: Ancestors): boolean {
  for (const [key, values] of filters) {
    const one = (v: string) => matchOne(rec, key, v, all, ancestors);
    const hit = key === 'label' ? values.every(one) : values.some(one);
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
    context: 'formatter.ContainerContext',
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
        CreatedAt: goTimeString(r.created),
        RunningFor: timeAgo(r.created),
        Status: statusText(r.state),
        State: r.state.status,
        Ports: '',
        Names: r.name,
        Labels: Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join(','),
        Label: (key: string) => labels[key] ?? '',
        Mounts: mountNames.join(','),
        LocalVolumes: String(mounts.filter((m) => m.type === 'volume').length),
        Networks: networkOf(r.spec) ?? '',
        ExitCode: r.state.exitCode ?? 0,
        Pid: r.state.pid,
        // docker's Size(): "0B" when the sizes were not asked for.
        Size: sizes?.has(r.id) ? sizeText(sizes.get(r.id) as { rw: number; rootFs: number }) : '0B',
      };
    },
  };
}

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const filters = parseFilters(flags.list('filter'));
  const host = containerHost(ctx);
  let rows = await listContainers(host);
  rows.sort((a, b) => b.created.localeCompare(a.created));
  const last = flags.bool('latest') ? 1 : flags.string('last') !== undefined ? Number(flags.string('last')) : undefined;
  const all = flags.bool('all') || last !== undefined || flags.list('filter').some((f) => /^(status|exited)=/.test(f));
  const everyOne = rows;
  if (!all) rows = rows.filter((r) => isActive(r.state.status));
  if (filters.size) {
    const ancestors: Ancestors = new Map();
    if (filters.has('ancestor')) {
      const store = await host.store();
      for (const value of filters.get('ancestor') ?? []) {
        // An image that is not there is no container's ancestor (docker lists none either).
        const image = await store.resolveImage(value).catch((err: unknown) => {
          if (isBerthError(err, 'not-found') || isBerthError(err, 'invalid-argument')) return undefined;
          throw err;
        });
        ancestors.set(value, image && { id: image.id, layers: image.layers.map((l) => l.chainID) });
      }
    }
    rows = rows.filter((r) => matches(r, filters, everyOne, ancestors));
  }
  if (last !== undefined && last >= 0) rows = rows.slice(0, last);
  const noTrunc = flags.bool('no-trunc');
  if (flags.bool('quiet')) {
    for (const r of rows) ctx.out(`${noTrunc ? r.id : r.id.slice(0, 12)}\n`);
    return 0;
  }
  let sizes: Map<string, { rw: number; rootFs: number }> | undefined;
  // As docker's CLI: a template that reads .Size (or all of a row, {{json .}}) asks for the sizes.
  const format = flags.string('format');
  const templateSizes = format !== undefined && format !== 'json' && /\.Size\b|\bjson\s+\.\s*(\}\}|\|)/.test(format);
  if (flags.bool('size') || templateSizes) {
    const { containerSizes } = await import('../engine/lifecycle.js');
    const host = containerHost(ctx);
    sizes = new Map();
    for (const r of rows) sizes.set(r.id, await containerSizes(host, r));
  }
  ctx.out(formatRows(rows, psFormat(noTrunc, sizes), format));
  return 0;
}
