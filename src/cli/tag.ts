// berth tag SOURCE TARGET: give a local image another name.
import { tagImage } from '../engine/images/index.js';
import { normalizeName } from '../store/store.js';
import { invalidArgument } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = { usage: 'berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]...', summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', minArgs: 2, flags: [] };

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  const [source, ...targets] = flags.args;
  for (const target of targets) {
    const name = normalizeName(target);
    if (!name || name.includes('@')) throw invalidArgument(`invalid reference format: "${target}" is not a valid image name with a tag`);
    await tagImage(store, source, name);
  }
  return 0;
}
