// berth attach: the caller's stdio joined to a running container through conmon's attach
// socket (stdin when it was created with -i; attach-session.ts), to its exit or a detach;
// returns the container's exit code (after a detach, docker's "read escape sequence" and 1).
import { isatty } from 'node:tty';
import { isActive } from '../engine/container.js';
import { waitStopped } from '../engine/lifecycle.js';
import { containerLogs } from '../engine/logs.js';
import { lookupContainer } from '../engine/state.js';
import { failedPrecondition } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { openSession } from './attach-session.js';
import { DETACH_KEYS_FLAG, DETACHED, detachKeysOf } from './detach-keys.js';
import { containerHost, forwardSignals } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth attach [OPTIONS] CONTAINER',
  summary: "Attach to a running container's output",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' },
    { name: 'sig-proxy', type: 'bool', description: 'Proxy received signals to the container (default true)' },
    DETACH_KEYS_FLAG,
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  const rec = await lookupContainer(host, flags.args[0]);
  // docker's CLI looks at the container first, and says why not in its words.
  if (!isActive(rec.state.status)) throw failedPrecondition('You cannot attach to a stopped container, start it first');
  if (rec.state.status === 'paused') throw failedPrecondition('You cannot attach to a paused container, unpause it first');
  if (rec.state.status === 'restarting') throw failedPrecondition('You cannot attach to a restarting container, wait until it is running');
  // docker's CLI: a terminal container's stdin (unless --no-stdin, and whether or not it has -i)
  // wants a terminal here, checked before the detach keys.
  if (!flags.bool('no-stdin') && rec.spec.tty === true && !isatty(0)) {
    ctx.err('the input device is not a TTY\n');
    return 1;
  }
  const detachKeys = detachKeysOf(flags);
  const proxy = !flags.has('sig-proxy') || flags.bool('sig-proxy');
  const session = await openSession(ctx, host, rec, { stdin: !flags.bool('no-stdin'), proxySignals: proxy, detachKeys });
  if (session) {
    const code = await session.wait();
    if (code !== undefined) return code;
    // Detached: docker's attach says so and exits 1 (its run -it leaves quietly, with 0).
    ctx.err(`${DETACHED}\n`);
    return 1;
  }
  // A container whose CLI is its monitor (run --rm, -it): its output, through the log it keeps.
  const stopForwarding = forwardSignals(host, rec, proxy);
  try {
    await containerLogs(host, rec, (e) => (e.stream === 'stderr' ? ctx.err : ctx.out)(e.text), { follow: true, tail: 0 });
    const done = await waitStopped(host, rec);
    return done?.state.exitCode ?? 0;
  } finally {
    stopForwarding();
  }
}
