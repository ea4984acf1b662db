// berth search [REGISTRY/]TERM: repositories in a registry's catalog matching TERM.
import { searchImages } from '../engine/images/index.js';
import { invalidArgument } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { formatRows } from './format.js';
import { REMOTE_FLAGS, remoteOptions } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth search [OPTIONS] [REGISTRY/]TERM',
  summary: "Search a registry's catalog for repositories",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'limit', type: 'int', value: 'N', description: 'Show at most N results' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'table, json, or a Go template' },
    { name: 'no-trunc', type: 'bool', description: 'Accepted for compatibility' },
    ...REMOTE_FLAGS.filter((f) => f.name !== 'creds'),
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const limit = flags.int('limit');
  if (limit !== undefined && limit < 1) throw invalidArgument(`berth search: --limit must be at least 1, got ${limit}`);
  const results = await searchImages(flags.args[0], { ...remoteOptions(flags), limit });
  const spec = {
    columns: [{ header: 'NAME', field: '.Name' }],
    headers: { Name: 'NAME', Index: 'INDEX', Repository: 'REPOSITORY' },
    view: (r: (typeof results)[number]) => ({ Name: r.name, Index: r.registry, Repository: r.repository }),
  };
  ctx.out(formatRows(results, spec, flags.string('format')));
  return 0;
}
