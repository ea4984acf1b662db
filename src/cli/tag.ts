// berth tag SOURCE TARGET: give a local image another name.
import { tagImage } from '../engine/images/index.js';
import { normalizeName } from '../store/store.js';
import { invalidArgument } from '../internal/errors.js';
import { referenceFormatError } from '../reference/index.js';
import { parseVerb, printedAsIs, type VerbSpec } from './flags.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = { usage: 'berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]...', summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', minArgs: 2, flags: [] };

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  const [source, ...targets] = flags.args;
  // docker's CLI's checks of the target, in its words, before the source is looked up.
  const names = targets.map((target) => {
    const name = normalizeName(target);
    if (!name) throw printedAsIs(invalidArgument(`Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: ${referenceFormatError(target)}`));
    if (name.includes('@')) throw invalidArgument('refusing to create a tag with a digest reference');
    return name;
  });
  for (const name of names) await tagImage(store, source, name);
  return 0;
}
