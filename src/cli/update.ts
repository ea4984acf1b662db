// berth update: new cgroup limits or restart policy for one or more containers (running,
// paused or stopped: a stopped one gets them at its next start).
import { invalidArgument } from '../internal/errors.js';
import { updateContainer } from '../engine/update.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, eachContainer } from './container-common.js';
import { RESOURCE_FLAGS, resourcesFromFlags, restartPolicy } from './container-create.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth update [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Update configuration of one or more containers',
  minArgs: 1,
  flags: [...RESOURCE_FLAGS, { name: 'restart', type: 'string', value: 'POLICY', description: 'Restart policy to apply when a container exits (no, always, on-failure[:N], unless-stopped)' }],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const resources = resourcesFromFlags(flags);
  const restartGiven = flags.has('restart');
  if (Object.keys(resources).length === 0 && !restartGiven) {
    throw invalidArgument('you must provide one or more flags when using this command');
  }
  const restart = restartGiven ? (restartPolicy(flags.string('restart')) ?? { name: 'no' as const }) : undefined;
  const host = containerHost(ctx);
  return eachContainer(ctx, flags.args, async (q) => {
    // docker's update prints the daemon's warnings as they are, on stderr.
    await updateContainer(host, q, { resources, ...(restart ? { restart } : {}) }, { onWarning: (text) => ctx.err(`${text}\n`) });
    return q;
  });
}
