// berth pause: freeze every process of running containers (cgroup freezer).
import { pauseContainer } from '../engine/lifecycle.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, eachContainer } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = { usage: 'berth pause CONTAINER [CONTAINER...]', summary: 'Pause all processes within one or more containers', minArgs: 1, flags: [] };

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  return eachContainer(ctx, flags.args, async (q) => {
    await pauseContainer(host, q, true);
    return q;
  }, { parallel: true });
}
