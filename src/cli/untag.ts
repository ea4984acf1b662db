// berth untag IMAGE [NAME...]: remove names from a local image (all of them without NAME).
import { untagImage } from '../engine/images/index.js';
import { normalizeName } from '../store/store.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = { usage: 'berth untag IMAGE [NAME...]', summary: 'Remove one or more names from a locally-stored image', minArgs: 1, flags: [] };

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  const [query, ...names] = flags.args;
  const rec = await store.resolveImage(query);
  const drop = names.length > 0 ? names.map((n) => normalizeName(n) ?? n) : [...rec.names];
  for (const n of drop) await untagImage(store, n);
  return 0;
}
