// berth top CONTAINER [ps OPTIONS]: the container's processes as the host's ps shows them. As
// docker's CLI, flags end at the container's name: what follows is ps's ("-o pid,comm", "aux"),
// joined by spaces into docker's ps_args.
import { containerTop } from '../engine/observe.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { alignColumns } from './format.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = { usage: 'berth top CONTAINER [ps OPTIONS]', summary: 'Display the running processes of a container', minArgs: 1, stopAtFirstPositional: true, flags: [] };

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const [name, ...psArgs] = flags.args;
  const top = await containerTop(containerHost(ctx), name, psArgs.join(' '));
  // docker's top: a tabwriter with cells of 20 at least.
  ctx.out(alignColumns([top.titles.join('\t'), ...top.processes.map((p) => p.join('\t'))], 20));
  return 0;
}
