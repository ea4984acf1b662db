// berth restart: stop (with the grace period) and start again.
import { restartContainer } from '../engine/lifecycle.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, eachContainer } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth restart [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Restart one or more containers',
  minArgs: 1,
  flags: [
    { name: 'timeout', short: 't', aliases: ['time'], type: 'int', value: 'SECONDS', description: 'Seconds to wait before killing the container (--time: its older name)' },
    { name: 'signal', short: 's', type: 'string', value: 'SIGNAL', description: 'Signal to send to the container (default: its stop signal)' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  const t = flags.int('timeout');
  const signal = flags.string('signal');
  return eachContainer(ctx, flags.args, async (q) => {
    await restartContainer(host, q, { ...(t !== undefined ? { timeoutSec: t } : {}), ...(signal ? { signal } : {}) });
    return q;
  });
}
