// berth create: a container from an image or layer ID, prepared but not started; prints its ID.
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import { CREATE_FLAGS, createFromFlags } from './container-create.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth create [OPTIONS] IMAGE|LAYER-ID [COMMAND] [ARG...]',
  summary: 'Create a new container',
  flags: CREATE_FLAGS,
  stopAtFirstPositional: true,
  minArgs: 1,
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const { rec } = await createFromFlags(containerHost(ctx), flags, { ctx });
  ctx.out(`${rec.id}\n`);
  return 0;
}
