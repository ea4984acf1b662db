// berth create: a container from an image or layer ID, prepared but not started; prints its ID.
import { createContainer } from '../engine/create.js';
import { helpText, parseFlags, type VerbSpec } from './flags.js';
import { CREATE_FLAGS, containerHost, containerSpecFrom } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth create [OPTIONS] IMAGE|LAYER-ID [COMMAND] [ARG...]',
  summary: 'Create a new container',
  flags: CREATE_FLAGS,
  stopAtFirstPositional: true,
  minArgs: 1,
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(SPEC, argv);
  if (flags.help) {
    ctx.stdout.write(helpText(SPEC));
    return 0;
  }
  const [image, ...cmd] = flags.args;
  const spec = containerSpecFrom(flags, image, cmd);
  const pull = flags.string('pull') as 'missing' | undefined;
  const name = flags.string('name');
  const rec = await createContainer(containerHost(ctx), spec, { ...(name !== undefined ? { name } : {}), ...(pull ? { pull } : {}) });
  ctx.stdout.write(`${rec.id}\n`);
  return 0;
}
