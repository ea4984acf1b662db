// berth images [REPOSITORY[:TAG]]: the local images as docker lists them.
import { type ImageRow, listImageRows } from '../engine/images/index.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { type FormatSpec, formatRows, goTimeString, humanSize, shortId, timeAgo, unitsHumanSize } from './format.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth images [OPTIONS] [REPOSITORY[:TAG]]',
  summary: 'List images',
  maxArgs: 1,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all images (intermediate ones too)' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
    { name: 'digests', type: 'bool', description: 'Show digests' },
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'filter', short: 'f', type: 'list', value: 'KEY=VALUE', description: 'Filter output (dangling, reference, before, since, label, id)' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'table, json, or a Go template' },
  ],
};

export function imageFormat(noTrunc: boolean, digests: boolean): FormatSpec<ImageRow> {
  const columns = [
    { header: 'REPOSITORY', field: '.Repository' },
    { header: 'TAG', field: '.Tag' },
    ...(digests ? [{ header: 'DIGEST', field: '.Digest' }] : []),
    { header: 'IMAGE ID', field: '.ID' },
    { header: 'CREATED', field: '.CreatedSince' },
    { header: 'SIZE', field: '.Size' },
  ];
  return {
    columns,
    context: 'formatter.imageContext',
    headers: { Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE', Names: 'NAMES' },
    view: (r) => ({
      Repository: r.repository,
      Tag: r.tag,
      Digest: r.digest,
      ID: noTrunc ? r.id : shortId(r.id),
      CreatedSince: timeAgo(r.created),
      CreatedAt: goTimeString(r.created),
      Size: humanSize(r.size),
      // docker's units.HumanSize here (four digits, '1.982MB'), where Size has three.
      VirtualSize: unitsHumanSize(r.size),
      SharedSize: 'N/A',
      UniqueSize: 'N/A',
      Containers: 'N/A',
      Names: r.names,
      Digests: r.digests,
      Labels: r.labels,
      Dangling: r.dangling,
    }),
  };
}

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  const filters = [...flags.filters()];
  if (flags.args[0]) filters.push(`reference=${flags.args[0]}`);
  const rows = await listImageRows(store, { filters });
  const noTrunc = flags.bool('no-trunc');
  if (flags.bool('quiet')) {
    // One ID a row, as docker's: an image with two tags is listed twice.
    for (const r of rows) ctx.out(`${noTrunc ? r.id : shortId(r.id)}\n`);
    return 0;
  }
  let format = flags.string('format');
  if (format === 'table') format = undefined;
  ctx.out(formatRows(rows, imageFormat(noTrunc, flags.bool('digests')), format));
  return 0;
}
