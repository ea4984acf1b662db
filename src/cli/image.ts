// berth image SUBCOMMAND: the `image` group (inspect, history, prune, exists, tree, diff, ls,
// rm, tag, untag, pull, push, save, load, import); most sub-verbs are the top-level verbs.
import { BerthError, isBerthError } from '../internal/errors.js';
import { inspectImage, parsePruneFilters, pruneImages } from '../engine/images/index.js';
import { confirm, imagesSection } from './prune-common.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { openImageStore } from './image-common.js';
import { containerHost } from './container-common.js';
import { runInspectVerb } from './inspect-template.js';
import type { CliContext, VerbModule } from './main.js';
import { unitsHumanSize } from './format.js';

const ALIASES: Record<string, () => Promise<VerbModule>> = {
  ls: () => import('./images.js'),
  list: () => import('./images.js'),
  rm: () => import('./rmi.js'),
  tag: () => import('./tag.js'),
  untag: () => import('./untag.js'),
  pull: () => import('./pull.js'),
  push: () => import('./push.js'),
  history: () => import('./history.js'),
  tree: () => import('./image-tree.js'),
  save: () => import('./save.js'),
  load: () => import('./load.js'),
  import: () => import('./import.js'),
  diff: () => import('./image-diff.js'),
  build: () => import('./build.js'),
};

const SUBS = ['inspect', 'prune', 'exists', ...Object.keys(ALIASES)].sort();

const USAGE = `Usage: berth image COMMAND\n\nManage images\n\nCommands:\n${SUBS.map((s) => `  ${s}\n`).join('')}`;

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    ctx.out(USAGE);
    return sub === undefined ? 125 : 0;
  }
  if (sub === 'inspect') return inspect(rest, ctx);
  if (sub === 'prune') return prune(rest, ctx);
  if (sub === 'exists') return exists(rest, ctx);
  const load = ALIASES[sub];
  if (!load) throw new BerthError('invalid-argument', `berth image: unknown command "${sub}"; known: ${SUBS.join(', ')}`);
  return (await load()).run(rest, ctx);
}

const INSPECT: VerbSpec = {
  usage: 'berth image inspect [OPTIONS] IMAGE [IMAGE...]',
  summary: 'Display detailed information on one or more images',
  minArgs: 1,
  flags: [{ name: 'format', short: 'f', type: 'string', value: 'FORMAT', description: 'Go template for each image' }],
};

async function inspect(argv: string[], ctx: CliContext): Promise<number> {
  const store = await openImageStore(ctx);
  let driver: string | undefined;
  return runInspectVerb(INSPECT, argv, ctx, async () => (await import('./docker-types.js')).IMAGE_INSPECT, async (q) => {
    driver ??= (await containerHost(ctx).driver()).name;
    return inspectImage(store, q, driver);
  });
}

const PRUNE: VerbSpec = {
  usage: 'berth image prune [OPTIONS]',
  summary: 'Remove unused images (dangling ones; all unused with -a)',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
    { name: 'filter', type: 'list', value: 'KEY=VALUE', description: 'Only images matching: until=TIME (created before), label=KEY[=VALUE], label!=KEY[=VALUE]' },
  ],
};

async function prune(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(PRUNE, argv, ctx);
  if (!flags) return 0;
  const all = flags.bool('all');
  // Checked before the prompt: a bad filter is an error, not a question.
  parsePruneFilters(flags.filters(), Date.now(), { dangling: true });
  const which = all ? 'all images without at least one container associated to them' : 'all dangling images';
  if (!flags.bool('force') && !confirm(ctx, `WARNING! This will remove ${which}.\nAre you sure you want to continue? [y/N] `)) return 0;
  const store = await openImageStore(ctx);
  const result = await pruneImages(store, { all, filters: flags.list('filter') });
  ctx.out(imagesSection(result));
  ctx.out(`Total reclaimed space: ${unitsHumanSize(result.pruned.bytes)}\n`);
  return 0;
}

const EXISTS: VerbSpec = { usage: 'berth image exists IMAGE', summary: 'Exit 0 if the image is in local storage, 1 if not', minArgs: 1, maxArgs: 1, flags: [] };

async function exists(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(EXISTS, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  try {
    await store.resolveImage(flags.args[0]);
    return 0;
  } catch (err) {
    if (isBerthError(err, 'not-found')) return 1;
    throw err;
  }
}
