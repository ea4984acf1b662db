// berth volume SUBCOMMAND: docker's local volumes (create, ls, inspect, rm, prune): directories
// under <graph root>/volumes, or file systems mounted there with -o type/device/o
// (src/engine/volumes.ts).
import { filterVolumes, usersOf, type Volume } from '../engine/volumes.js';
import { invalidArgument, isBerthError } from '../internal/errors.js';
import { containerHost } from './container-common.js';
import { parseVerb, runSubcommand, type VerbSpec } from './flags.js';
import { type FormatSpec, formatRows, unitsHumanSize } from './format.js';
import { runInspectVerb } from './inspect-template.js';
import type { CliContext } from './main.js';
import { confirm, volumesSection } from './prune-common.js';

const SUBS: Record<string, (argv: string[], ctx: CliContext) => Promise<number>> = {
  create,
  ls,
  list: ls,
  inspect,
  rm,
  remove: rm,
  prune,
  exists,
};

const USAGE = `Usage: berth volume COMMAND\n\nManage volumes\n\nCommands:\n  create      Create a volume\n  exists      Exit 0 if the volume exists, 1 if not (podman's)\n  inspect     Display detailed information on one or more volumes\n  ls          List volumes\n  prune       Remove unused local volumes\n  rm          Remove one or more volumes\n`;

export function run(argv: string[], ctx: CliContext): Promise<number> {
  // list and remove are docker's aliases, not listed.
  return runSubcommand('volume', USAGE, SUBS, ['create', 'exists', 'inspect', 'ls', 'prune', 'rm'], argv, ctx);
}

/** KEY=VALUE flags (a bare KEY has an empty value). */
function keyValues(flag: string, entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq === 0) throw invalidArgument(`invalid --${flag} "${e}": want KEY=VALUE`);
    out[eq < 0 ? e : e.slice(0, eq)] = eq < 0 ? '' : e.slice(eq + 1);
  }
  return out;
}

const CREATE: VerbSpec = {
  usage: 'berth volume create [OPTIONS] [VOLUME]',
  summary: 'Create a volume',
  maxArgs: 1,
  flags: [
    { name: 'name', type: 'string', value: 'NAME', description: 'Specify volume name' },
    { name: 'driver', short: 'd', type: 'string', value: 'DRIVER', description: 'Specify volume driver name (local only)' },
    { name: 'label', type: 'list', value: 'KEY=VALUE', description: 'Set metadata for a volume' },
    { name: 'opt', short: 'o', type: 'list', value: 'KEY=VALUE', description: "The local driver's options: type=FSTYPE, device=SOURCE, o=MOUNT-OPTIONS (mounted on the volume while containers use it; type=none,o=bind,device=/dir binds a host dir)" },
  ],
};

async function create(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(CREATE, argv, ctx);
  if (!flags) return 0;
  const flagName = flags.string('name');
  if (flagName !== undefined && flags.args.length > 0) {
    throw invalidArgument('conflicting options: either specify --name or provide positional arg, not both');
  }
  const name = flagName ?? flags.args[0];
  const host = containerHost(ctx);
  const driver = flags.string('driver');
  const { volume } = await host.volumes.create({
    ...(name !== undefined ? { name } : {}),
    labels: keyValues('label', flags.list('label')),
    ...(driver !== undefined ? { driver } : {}),
    options: keyValues('opt', flags.list('opt')),
  });
  ctx.out(`${volume.Name}\n`);
  return 0;
}

/** docker's `volume ls` rows, as templates see them. */
const LS_FORMAT: FormatSpec<Volume> = {
  columns: [
    { header: 'DRIVER', field: '.Driver' },
    { header: 'VOLUME NAME', field: '.Name' },
  ],
  context: 'formatter.volumeContext',
  headers: { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', CreatedAt: 'CREATED', Availability: 'AVAILABILITY', Group: 'GROUP', Links: 'LINKS', Size: 'SIZE', Status: 'STATUS' },
  view: (v) => ({
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    CreatedAt: v.CreatedAt,
    Labels: Object.entries(v.Labels)
      .map(([k, val]) => `${k}=${val}`)
      .join(','),
    Label: (key: string) => v.Labels[key] ?? '',
    // docker's fields for cluster volumes and -s sizes, which a local engine's list leaves N/A.
    Availability: 'N/A',
    Group: 'N/A',
    Links: 'N/A',
    Size: 'N/A',
    Status: 'N/A',
  }),
};

const LS: VerbSpec = {
  usage: 'berth volume ls [OPTIONS]',
  summary: 'List volumes',
  maxArgs: 0,
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display volume names' },
    { name: 'filter', short: 'f', type: 'list', value: 'KEY=VALUE', description: 'dangling=true|false, name=, label=KEY[=VALUE], driver=local' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'table, json, or a Go template ({{.Name}} {{.Driver}} {{.Mountpoint}} {{.Labels}})' },
  ],
};

async function ls(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(LS, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  const filters = flags.filters();
  const recs = filters.some((f) => f.startsWith('dangling=')) ? await host.records.list() : [];
  const volumes = filterVolumes(host.volumes.list(), filters, (name) => usersOf(recs, name).length > 0);
  if (flags.bool('quiet')) {
    ctx.out(volumes.map((v) => `${v.Name}\n`).join(''));
    return 0;
  }
  const format = flags.string('format');
  ctx.out(formatRows(volumes, LS_FORMAT, format));
  return 0;
}

const INSPECT: VerbSpec = {
  usage: 'berth volume inspect [OPTIONS] VOLUME [VOLUME...]',
  summary: 'Display detailed information on one or more volumes',
  minArgs: 1,
  flags: [{ name: 'format', short: 'f', type: 'string', value: 'FORMAT', description: 'Go template for each volume' }],
};

/** docker's JSON: the fields in its order, without berth's Anonymous (its label says it). */
export function inspectDoc(v: Volume): Record<string, unknown> {
  // docker's null for a volume without labels (dockerd 20.10's inspect).
  const labels = v.Labels && Object.keys(v.Labels).length > 0 ? v.Labels : null;
  return { CreatedAt: v.CreatedAt, Driver: v.Driver, Labels: labels, Mountpoint: v.Mountpoint, Name: v.Name, Options: v.Options, Scope: v.Scope };
}

async function inspect(argv: string[], ctx: CliContext): Promise<number> {
  const host = containerHost(ctx);
  // docker's volume inspect has no raw document to fall back on: a field its struct lacks is an error.
  return runInspectVerb(INSPECT, argv, ctx, async () => (await import('./docker-types.js')).VOLUME_INSPECT, async (name) => inspectDoc(host.volumes.inspect(name)), {
    typedOnly: true,
  });
}

const RM: VerbSpec = {
  usage: 'berth volume rm [OPTIONS] VOLUME [VOLUME...]',
  summary: 'Remove one or more volumes (never one a container uses)',
  minArgs: 1,
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Do not fail on a missing volume (a volume in use is still refused, as docker does)' }],
};

async function rm(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(RM, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  let code = 0;
  for (const name of flags.args) {
    try {
      const removed = await host.volumes.remove(name, () => host.records.list(), { force: flags.bool('force') });
      if (removed || flags.bool('force')) ctx.out(`${name}\n`);
    } catch (err) {
      ctx.err(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
      code = 1;
    }
  }
  return code;
}

const PRUNE: VerbSpec = {
  usage: 'berth volume prune [OPTIONS]',
  summary: 'Remove unused local volumes (anonymous ones; all unused with -a)',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    { name: 'filter', type: 'list', value: 'KEY=VALUE', description: 'label=KEY[=VALUE], label!=KEY[=VALUE], all=true' },
  ],
};

export function volumePrunePrompt(all: boolean): string {
  const which = all ? 'all local volumes' : 'anonymous local volumes';
  return `WARNING! This will remove ${which} not used by at least one container.\nAre you sure you want to continue? [y/N] `;
}

async function prune(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(PRUNE, argv, ctx);
  if (!flags) return 0;
  let all = flags.bool('all');
  const labels: string[] = [];
  const notLabels: string[] = [];
  for (const f of flags.filters()) {
    const m = /^(label!?|all)=(.*)$/s.exec(f);
    // dockerd's words for a key volume prune does not take.
    if (!m) throw invalidArgument(`Invalid filter '${f.slice(0, f.indexOf('='))}'`);
    if (m[1] === 'all') all = m[2] === 'true' || m[2] === '1';
    else (m[1] === 'label' ? labels : notLabels).push(m[2]);
  }
  if (!flags.bool('force') && !confirm(ctx, volumePrunePrompt(all))) return 0;
  const host = containerHost(ctx);
  const removed = await host.volumes.prune(() => host.records.list(), { all, labels, notLabels });
  ctx.out(volumesSection(removed));
  ctx.out(`Total reclaimed space: ${unitsHumanSize(removed.reduce((n, v) => n + v.size, 0))}\n`);
  return 0;
}

const EXISTS: VerbSpec = { usage: 'berth volume exists VOLUME', summary: 'Exit 0 if the volume exists, 1 if not', minArgs: 1, maxArgs: 1, flags: [] };

/** podman's volume exists: the answer in the exit code only. */
async function exists(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(EXISTS, argv, ctx);
  if (!flags) return 0;
  try {
    containerHost(ctx).volumes.inspect(flags.args[0]);
    return 0;
  } catch (err) {
    if (isBerthError(err, 'not-found')) return 1;
    throw err;
  }
}
