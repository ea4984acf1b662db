// berth container SUBCOMMAND: ls and prune, the internal cleanup conmon runs after an exit,
// and the container verbs under their group names (container run, container rm, ...).
import { parsePruneFilters } from '../engine/images/prune.js';
import { cleanupContainer, pruneContainers } from '../engine/lifecycle.js';
import { lookupContainer } from '../engine/state.js';
import { isBerthError } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import { unitsHumanSize } from './format.js';
import { confirm, containersSection } from './prune-common.js';
import type { CliContext, VerbModule } from './main.js';

const ALIASES: Record<string, () => Promise<VerbModule>> = {
  ls: () => import('./ps.js'),
  list: () => import('./ps.js'),
  ps: () => import('./ps.js'),
  run: () => import('./run.js'),
  create: () => import('./create.js'),
  start: () => import('./start.js'),
  stop: () => import('./stop.js'),
  kill: () => import('./kill.js'),
  restart: () => import('./restart.js'),
  pause: () => import('./pause.js'),
  unpause: () => import('./unpause.js'),
  rm: () => import('./rm.js'),
  remove: () => import('./rm.js'),
  wait: () => import('./wait.js'),
  logs: () => import('./logs.js'),
  rename: () => import('./rename.js'),
  port: () => import('./port.js'),
  // container inspect looks at containers only (an image's name is no container), as docker's.
  inspect: () => import('./inspect.js').then((m) => ({ run: (argv: string[], ctx: CliContext) => m.run(['--type', 'container', ...argv], ctx) })),
  exec: () => import('./exec.js'),
  attach: () => import('./attach.js'),
  top: () => import('./top.js'),
  stats: () => import('./stats.js'),
  update: () => import('./update.js'),
  cp: () => import('./cp.js'),
  diff: () => import('./diff.js'),
  commit: () => import('./commit.js'),
  export: () => import('./export.js'),
  mount: () => import('./mount.js'),
  unmount: () => import('./mount.js').then((m) => ({ run: m.runUnmount })),
  umount: () => import('./mount.js').then((m) => ({ run: m.runUnmount })),
};

const PRUNE: VerbSpec = {
  usage: 'berth container prune [OPTIONS]',
  summary: 'Remove all stopped containers',
  maxArgs: 0,
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    { name: 'filter', type: 'list', value: 'KEY=VALUE', description: 'until=TIME (created before), label=KEY[=VALUE], label!=KEY[=VALUE]' },
  ],
};

const EXISTS: VerbSpec = { usage: 'berth container exists CONTAINER', summary: 'Exit 0 if the container exists, 1 if not', minArgs: 1, maxArgs: 1, flags: [] };

const USAGE = `Usage: berth container COMMAND

Manage containers

Commands:
${[...Object.keys(ALIASES), 'exists', 'prune'].sort().map((c) => `  ${c}`).join('\n')}
`;

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    ctx.out(USAGE);
    return sub === undefined ? 125 : 0;
  }
  const host = containerHost(ctx);
  if (sub === 'cleanup') {
    for (const id of rest) await cleanupContainer(host, id);
    return 0;
  }
  if (sub === 'exec-cleanup' && rest.length === 3) {
    // conmon's exit command for a detached exec -it session (engine/exec-attached.ts).
    const { settleExecSession } = await import('../engine/exec-attached.js');
    await settleExecSession(host, rest[0], rest[1], rest[2]);
    return 0;
  }
  if (sub === 'exists') {
    // podman's container exists: the answer in the exit code only.
    const flags = parseVerb(EXISTS, rest, ctx);
    if (!flags) return 0;
    try {
      await lookupContainer(host, flags.args[0]);
      return 0;
    } catch (err) {
      if (isBerthError(err, 'not-found')) return 1;
      throw err;
    }
  }
  if (sub === 'prune') {
    const flags = parseVerb(PRUNE, rest, ctx);
    if (!flags) return 0;
    // Checked before the prompt: a bad filter is an error, not a question. One with no "=" is
    // docker's CLI's flag error (125); the rest, its daemon's.
    const filters = parsePruneFilters(flags.filters(), Date.now());
    if (!flags.bool('force') && !confirm(ctx, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ')) return 0;
    const removed = await pruneContainers(host, {
      ...(filters.until !== undefined ? { until: new Date(filters.until) } : {}),
      labels: filters.labels,
      notLabels: filters.notLabels,
    });
    ctx.out(containersSection(removed));
    ctx.out(`Total reclaimed space: ${unitsHumanSize(removed.reduce((n, c) => n + c.size, 0))}\n`);
    return 0;
  }
  const load = ALIASES[sub];
  if (!load) {
    ctx.err(`berth: 'container ${sub}' is not a berth command.\nSee 'berth container --help'.\n`);
    return 125;
  }
  return (await load()).run(rest, ctx);
}
