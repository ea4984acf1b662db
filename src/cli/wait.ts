// berth wait: block until containers stop, then print their exit codes.
import { waitContainer } from '../engine/lifecycle.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, eachContainer } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = { usage: 'berth wait CONTAINER [CONTAINER...]', summary: 'Block until containers stop, then print their exit codes', minArgs: 1, flags: [] };

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  return eachContainer(ctx, flags.args, async (q) => String(await waitContainer(host, q)));
}
