// berth kill: a signal (-s, default SIGKILL) to running containers.
import { killContainer } from '../engine/lifecycle.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, eachContainer } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth kill [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Kill one or more running containers',
  minArgs: 1,
  flags: [{ name: 'signal', short: 's', type: 'string', value: 'SIGNAL', description: 'Signal to send (default KILL)' }],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  // An empty -s is the default, as docker's API takes no signal for SIGKILL.
  const signal = flags.string('signal') || 'SIGKILL';
  return eachContainer(ctx, flags.args, async (q) => {
    await killContainer(host, q, signal);
    return q;
  }, { parallel: true });
}
