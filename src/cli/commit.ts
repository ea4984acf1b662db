// berth commit: a container's changes as a new image (-c/--change, -m, -a, -p).
import { parseChanges } from '../build/changes.js';
import { commitContainer } from '../engine/commit.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  summary: "Create a new image from a container's changes",
  minArgs: 1,
  maxArgs: 2,
  flags: [
    { name: 'change', short: 'c', type: 'list', value: 'INSTRUCTION', description: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', value: 'TEXT', description: 'Commit message' },
    { name: 'author', short: 'a', type: 'string', value: 'NAME', description: 'Author' },
    { name: 'pause', short: 'p', type: 'bool', description: 'Pause the container during commit (default true)' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const editConfig = parseChanges(flags.list('change'));
  const rec = await commitContainer(containerHost(ctx), flags.args[0], {
    ...(flags.args[1] ? { reference: flags.args[1] } : {}),
    editConfig,
    ...(flags.string('message') !== undefined ? { message: flags.string('message') } : {}),
    ...(flags.string('author') !== undefined ? { author: flags.string('author') } : {}),
    pause: !flags.has('pause') || flags.bool('pause'),
  });
  ctx.out(`${rec.id}\n`);
  return 0;
}
