// berth network SUBCOMMAND: the predefined networks host and none (engine/networks.ts), listed
// and inspected as docker's; making, joining and removing networks needs bridged ones, which
// berth does not have yet: those sub-commands say so.
import { type Network, findNetwork, NETWORKS, networkDoc, networksCreated } from '../engine/networks.js';
import { listContainers } from '../engine/state.js';
import { invalidArgument, isBerthError, notFound, unsupported } from '../internal/errors.js';
import { containerHost } from './container-common.js';
import { parseVerb, runSubcommand, type VerbSpec } from './flags.js';
import { type FormatSpec, formatRows } from './format.js';
import { runInspectVerb } from './inspect-template.js';
import type { CliContext } from './main.js';
import { goTimeText } from './go-types.js';
import { confirm } from './prune-common.js';

const SUBS: Record<string, (argv: string[], ctx: CliContext) => Promise<number>> = {
  ls,
  list: ls,
  inspect,
  create: (argv, ctx) => refuse('create', argv, ctx),
  connect: (argv, ctx) => refuse('connect', argv, ctx),
  disconnect: (argv, ctx) => refuse('disconnect', argv, ctx),
  rm,
  remove: rm,
  prune,
};

const USAGE = `Usage: berth network COMMAND

Manage networks (berth has docker's predefined host and none; bridged networks come later)

Commands:
  connect     Connect a container to a network (not yet: no bridged networks)
  create      Create a network (not yet: no bridged networks)
  disconnect  Disconnect a container from a network (not yet)
  inspect     Display detailed information on one or more networks
  ls          List networks
  prune       Remove all unused networks (none to remove: host and none are predefined)
  rm          Remove one or more networks
`;

export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommand('network', USAGE, SUBS, ['connect', 'create', 'disconnect', 'inspect', 'ls', 'prune', 'rm'], argv, ctx);
}

const LS: VerbSpec = {
  usage: 'berth network ls [OPTIONS]',
  summary: 'List networks',
  maxArgs: 0,
  flags: [
    { name: 'filter', short: 'f', type: 'list', value: 'KEY=VALUE', description: 'driver=, id=, label=, name=, scope=, type=builtin|custom, dangling=' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'table, json or a Go template' },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display network IDs' },
  ],
};

/** docker's network ls filters over the predefined networks (builtin, local, no labels, in use). */
function matches(net: Network, key: string, value: string): boolean {
  switch (key) {
    case 'driver':
      return net.driver === value;
    case 'id':
      return net.id.startsWith(value);
    case 'name':
      return net.name.includes(value);
    case 'scope':
      return value === 'local';
    case 'type':
      if (value !== 'builtin' && value !== 'custom') throw invalidArgument(`invalid filter: invalid type "${value}": want builtin or custom`);
      return value === 'builtin';
    case 'label':
      return false;
    case 'dangling':
      // docker: only custom networks can be dangling.
      return value === 'false' || value === '0';
    default:
      throw invalidArgument(`Invalid filter '${key}'`);
  }
}

async function ls(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(LS, argv, ctx);
  if (!flags) return 0;
  const filters = flags.list('filter').map((f) => {
    const eq = f.indexOf('=');
    if (eq <= 0) throw invalidArgument(`bad format of filter (expected name=value): ${f}`);
    return [f.slice(0, eq), f.slice(eq + 1)] as const;
  });
  // One key's values are ORed, the keys ANDed (docker's rule).
  const keys = [...new Set(filters.map(([k]) => k))];
  const nets = NETWORKS.filter((n) => keys.every((k) => filters.some(([fk, v]) => fk === k && matches(n, fk, v))));
  const noTrunc = flags.bool('no-trunc');
  if (flags.bool('quiet')) {
    for (const n of nets) ctx.out(`${noTrunc ? n.id : n.id.slice(0, 12)}\n`);
    return 0;
  }
  const created = goTimeText(networksCreated(ctx.root));
  const spec: FormatSpec<Network> = {
    columns: [
      { header: 'NETWORK ID', field: '.ID' },
      { header: 'NAME', field: '.Name' },
      { header: 'DRIVER', field: '.Driver' },
      { header: 'SCOPE', field: '.Scope' },
    ],
    context: 'network.networkContext',
    headers: { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED' },
    view: (n) => ({
      CreatedAt: created,
      Driver: n.driver,
      ID: noTrunc ? n.id : n.id.slice(0, 12),
      IPv4: 'false',
      IPv6: 'false',
      Internal: 'false',
      Labels: '',
      Label: () => '',
      Name: n.name,
      Scope: 'local',
    }),
  };
  ctx.out(formatRows(nets, spec, flags.string('format')));
  return 0;
}

const INSPECT: VerbSpec = {
  usage: 'berth network inspect [OPTIONS] NETWORK [NETWORK...]',
  summary: 'Display detailed information on one or more networks',
  minArgs: 1,
  flags: [{ name: 'format', short: 'f', type: 'string', value: 'FORMAT', description: 'Go template for each network' }],
};

async function inspect(argv: string[], ctx: CliContext): Promise<number> {
  return runInspectVerb(INSPECT, argv, ctx, async () => (await import('./docker-types.js')).NETWORK_INSPECT, async (q) => {
    const docs = await networkDocs(ctx, [q]);
    if (docs.found.length === 0) throw notFound(`network ${q} not found`);
    return docs.found[0];
  });
}

/** The inspect documents of the networks `queries` name, and the queries that name none. */
export async function networkDocs(ctx: Pick<CliContext, 'root' | 'runroot' | 'logLevel'>, queries: string[]): Promise<{ found: Record<string, unknown>[]; missing: string[] }> {
  const found: Record<string, unknown>[] = [];
  const missing: string[] = [];
  const nets: Network[] = [];
  for (const q of queries) {
    try {
      nets.push(findNetwork(q));
    } catch (err) {
      if (!isBerthError(err, 'not-found')) throw err;
      missing.push(q);
    }
  }
  if (nets.length > 0) {
    const containers = await listContainers(containerHost(ctx as CliContext));
    const created = networksCreated(ctx.root);
    for (const n of nets) found.push(networkDoc(n, created, containers));
  }
  return { found, missing };
}

const RM: VerbSpec = { usage: 'berth network rm NETWORK [NETWORK...]', summary: 'Remove one or more networks', minArgs: 1, flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Do not error if the network does not exist' }] };

async function rm(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(RM, argv, ctx);
  if (!flags) return 0;
  let code = 0;
  for (const q of flags.args) {
    let net: Network;
    try {
      net = findNetwork(q);
    } catch (err) {
      if (!isBerthError(err, 'not-found')) throw err;
      if (!flags.bool('force')) {
        ctx.err(`Error: ${err.message}\n`);
        code = 1;
      }
      continue;
    }
    // dockerd's words.
    ctx.err(`Error: ${net.name} is a pre-defined network and cannot be removed\n`);
    code = 1;
  }
  return code;
}

const PRUNE: VerbSpec = {
  usage: 'berth network prune [OPTIONS]',
  summary: 'Remove all unused networks',
  maxArgs: 0,
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    { name: 'filter', type: 'list', value: 'KEY=VALUE', description: 'until=, label= (no network of berth\'s is a custom one to remove)' },
  ],
};

/** docker's prune over custom networks: berth has none, so nothing is removed and nothing said. */
async function prune(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(PRUNE, argv, ctx);
  if (!flags) return 0;
  if (!flags.bool('force')) confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
  return 0;
}

/** create, connect and disconnect need a network of berth's own: not there yet. */
async function refuse(sub: string, argv: string[], ctx: CliContext): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    ctx.out(`Usage: berth network ${sub} ...\n\nberth has no bridged networks yet: only the predefined host and none, which run and create take as --network host|none.\n`);
    return 0;
  }
  throw unsupported(`cannot ${sub === 'create' ? 'create a network' : `${sub} a container`}: berth has no bridged networks yet (only the predefined host and none, given to run and create as --network host|none)`);
}
