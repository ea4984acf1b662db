// berth image diff A [B]: added (A), changed (C) and deleted (D) paths between two images or
// layers, or between a layer (or an image's top layer) and its parent.
import { diffImages } from '../engine/images/index.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { humanSize } from './format.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth image diff [OPTIONS] IMAGE|LAYER [IMAGE|LAYER]',
  summary: 'Show the paths added, changed and deleted between two images, or by a layer over its parent',
  minArgs: 1,
  maxArgs: 2,
  flags: [{ name: 'format', type: 'string', value: 'FORMAT', description: 'json for a JSON list' }],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  const entries = await diffImages(store, flags.args[0], flags.args[1]);
  if (flags.string('format') === 'json') {
    ctx.out(`${JSON.stringify(entries.map((e) => ({ kind: e.kind, path: e.path, size: e.size })), null, 2)}\n`);
    return 0;
  }
  const letter = { added: 'A', changed: 'C', deleted: 'D' } as const;
  ctx.out(entries.map((e) => `${letter[e.kind]} ${e.path}${e.before?.type === 'dir' || e.after?.type === 'dir' ? '' : ` ${humanSize(e.size)}`}\n`).join(''));
  return 0;
}
