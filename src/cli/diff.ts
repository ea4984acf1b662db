// berth diff: the container's changes to its image's files (A added, C changed, D deleted).
import { containerChanges } from '../engine/files.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = { usage: 'berth diff CONTAINER', summary: "Inspect changes to files on a container's filesystem", minArgs: 1, maxArgs: 1, flags: [] };

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  for (const c of await containerChanges(containerHost(ctx), flags.args[0])) ctx.out(`${c.kind} ${c.path}\n`);
  return 0;
}
