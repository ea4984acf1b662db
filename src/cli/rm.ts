// berth rm: remove containers (-f kills running ones first); the rootfs, hold and state go too.
import { removeContainer } from '../engine/lifecycle.js';
import { isBerthError } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, eachContainer } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth rm [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Remove one or more containers',
  minArgs: 1,
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'volumes', short: 'v', type: 'bool', description: 'Remove anonymous volumes associated with the container' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  const force = flags.bool('force');
  // docker's rm -f: a container that is not there is reported, and the command still succeeds.
  return eachContainer(
    ctx,
    flags.args,
    async (q) => {
      await removeContainer(host, q, { force, volumes: flags.bool('volumes') });
      return q;
    },
    { harmless: (err) => force && isBerthError(err, 'not-found'), parallel: true },
  );
}
