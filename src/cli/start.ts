// berth start: start created or stopped containers; -a attaches (before the start, so no output
// is missed; -i with stdin) to the exit and returns the container's exit code.
import { waitStopped } from '../engine/lifecycle.js';
import { containerLogs } from '../engine/logs.js';
import { startContainer } from '../engine/start.js';
import { lookupContainer } from '../engine/state.js';
import { invalidArgument } from '../internal/errors.js';
import { openSession, type Session } from './attach-session.js';
import { DETACH_KEYS_FLAG, detachKeysOf } from './detach-keys.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, eachContainer, startFailureCode } from './container-common.js';
import { type CliContext, reportError } from './cli.js';

const SPEC: VerbSpec = {
  usage: 'berth start [OPTIONS] CONTAINER [CONTAINER...]',
  summary: 'Start one or more stopped containers',
  flags: [
    { name: 'attach', short: 'a', type: 'bool', description: "Attach STDOUT/STDERR and forward signals" },
    { name: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
    DETACH_KEYS_FLAG,
  ],
  minArgs: 1,
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  if (flags.bool('attach') || flags.bool('interactive')) {
    if (flags.args.length > 1) throw invalidArgument('you cannot start and attach multiple containers at once');
    const detachKeys = detachKeysOf(flags);
    try {
      const rec = await lookupContainer(host, flags.args[0]);
      const since = new Date();
      // Attached between conmon's create and the runtime's start: no output is missed.
      let session: Session | undefined;
      const started = await startContainer(host, rec, {
        beforeStart: async (socket) => {
          session = await openSession(ctx, host, rec, { stdin: flags.bool('interactive'), proxySignals: true, detachKeys, socket });
        },
      });
      if (session) return (await session.wait()) ?? 0;
      // No attach helper built: the output through the log.
      await containerLogs(host, started, (e) => (e.stream === 'stderr' ? ctx.err : ctx.out)(e.text), { follow: true, since });
      const done = await waitStopped(host, started);
      return done?.state.exitCode ?? 0;
    } catch (err) {
      const code = startFailureCode(err);
      if (code === undefined) throw err;
      reportError(err, ctx);
      return code;
    }
  }
  return eachContainer(ctx, flags.args, async (q) => {
    await startContainer(host, await lookupContainer(host, q));
    return q;
  });
}
