// berth history IMAGE: the config's history, newest first, with each layer's size.
import { imageHistory } from '../engine/images/index.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { formatRows, humanSize, rfc3339Seconds, shortId, timeAgo } from './format.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth history [OPTIONS] IMAGE',
  summary: 'Show the history of an image',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'human', short: 'H', type: 'bool', description: 'Sizes and dates in human readable format (default true)' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'table, json, or a Go template' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  const rows = await imageHistory(store, flags.args[0]);
  const noTrunc = flags.bool('no-trunc');
  const human = !flags.has('human') || flags.bool('human');
  if (flags.bool('quiet')) {
    for (const r of rows) ctx.out(`${r.id === '<missing>' || noTrunc ? r.id : shortId(r.id)}\n`);
    return 0;
  }
  const spec = {
    columns: [
      { header: 'IMAGE', field: '.ID' },
      // docker's table without -H: the time itself, under CREATED AT.
      human ? { header: 'CREATED', field: '.CreatedSince' } : { header: 'CREATED AT', field: '.CreatedAt' },
      { header: 'CREATED BY', field: '.CreatedBy' },
      { header: 'SIZE', field: '.Size' },
      { header: 'COMMENT', field: '.Comment' },
    ],
    context: 'image.historyContext',
    headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
    view: (r: (typeof rows)[number]) => {
      const by = r.createdBy.replace(/\s+/g, ' ');
      return {
        ID: r.id === '<missing>' || noTrunc ? r.id : shortId(r.id),
        CreatedSince: human ? timeAgo(r.created) : rfc3339Seconds(r.created),
        CreatedAt: rfc3339Seconds(r.created),
        CreatedBy: noTrunc || by.length <= 45 ? by : `${by.slice(0, 44)}…`,
        Size: human ? humanSize(r.size) : String(r.size),
        Comment: r.comment,
      };
    },
  };
  ctx.out(formatRows(rows, spec, flags.string('format')));
  return 0;
}
