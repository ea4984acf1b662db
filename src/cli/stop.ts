// berth stop: the stop signal, a grace period (-t, default 10 s), then SIGKILL.
import { stopContainer } from '../engine/lifecycle.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, eachContainer } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth stop [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Stop one or more running containers',
  minArgs: 1,
  flags: [
    { name: 'timeout', short: 't', aliases: ['time'], type: 'int', value: 'SECONDS', description: 'Seconds to wait before killing the container (default 10) (--time: its older name)' },
    { name: 'signal', short: 's', type: 'string', value: 'SIGNAL', description: 'Signal to send (default the stop signal, SIGTERM)' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const t = flags.int('timeout');
  const host = containerHost(ctx);
  const signal = flags.string('signal');
  return eachContainer(ctx, flags.args, async (q) => {
    await stopContainer(host, q, { ...(t !== undefined ? { timeoutSec: t } : {}), ...(signal ? { signal } : {}) });
    return q;
  }, { parallel: true });
}
