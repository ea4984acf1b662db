// berth builder SUBCOMMAND: prune, which forgets the build cache and frees the layers only it named.
import { pruneBuildCache } from '../build/cache.js';
import { parsePruneFilters } from '../engine/images/index.js';
import { parseVerb, runSubcommand, type VerbSpec } from './flags.js';
import { unitsHumanSize } from './format.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';
import { cacheSection, confirm } from './prune-common.js';

const USAGE = 'Usage: berth builder COMMAND\n\nManage builds\n\nCommands:\n  prune       Remove build cache\n';

export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommand('builder', USAGE, { prune }, ['prune'], argv, ctx);
}

const PRUNE: VerbSpec = {
  usage: 'berth builder prune [OPTIONS]',
  summary: 'Remove build cache',
  maxArgs: 0,
  flags: [
    // berth's cache has no entries in use: every one is "dangling", -a changes only the prompt.
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all build cache (every entry is unused between builds)' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    { name: 'filter', type: 'list', value: 'until=TIME', description: 'Only entries made before TIME' },
  ],
};

async function prune(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(PRUNE, argv, ctx);
  if (!flags) return 0;
  const filters = parsePruneFilters(flags.filters(), Date.now());
  const labelFilter = filters.labels.length > 0 || filters.notLabels.length > 0;
  const what = flags.bool('all') ? 'all build cache' : 'all dangling build cache';
  if (!flags.bool('force') && !confirm(ctx, `WARNING! This will remove ${what}. Are you sure you want to continue? [y/N] `)) return 0;
  const store = await openImageStore(ctx);
  const result = await pruneBuildCache(store, ctx.root, { until: filters.until, labelFilter });
  ctx.out(cacheSection(result.deleted, result.pruned.layers));
  ctx.out(`Total reclaimed space: ${unitsHumanSize(result.pruned.bytes)}\n`);
  return 0;
}
