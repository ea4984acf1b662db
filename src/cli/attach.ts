// berth attach: the caller's stdio joined to a running container through conmon's attach
// socket (stdin when it was created with -i), to its exit; returns the container's exit code.
import { waitStopped } from '../engine/lifecycle.js';
import { attachStreams, containerLogs } from '../engine/logs.js';
import { lookupContainer } from '../engine/state.js';
import { failedPrecondition } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth attach [OPTIONS] CONTAINER',
  summary: "Attach to a running container's output",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' },
    { name: 'sig-proxy', type: 'bool', description: 'Proxy received signals to the container (default true)' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  const rec = await lookupContainer(host, flags.args[0]);
  if (rec.state.status !== 'running' && rec.state.status !== 'paused') {
    throw failedPrecondition(`cannot attach to container ${rec.name}: it is not running; start it first`);
  }
  const proxy = !flags.has('sig-proxy') || flags.bool('sig-proxy');
  const forward = (sig: NodeJS.Signals) => {
    host.runtimeOf(rec).kill(rec.id, sig).catch(() => {});
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  if (proxy) for (const s of signals) process.on(s, forward);
  try {
    const attached = await attachStreams(host, rec, { ...(flags.bool('no-stdin') ? {} : { stdin: process.stdin }), stdout: ctx.stdout, stderr: ctx.stderr });
    if (attached) {
      await attached.done;
      process.stdin.destroy();
    } else await containerLogs(host, rec, (e) => (e.stream === 'stderr' ? ctx.err : ctx.out)(e.text), { follow: true, tail: 0 });
    const done = await waitStopped(host, rec);
    return done?.state.exitCode ?? 0;
  } finally {
    for (const s of signals) process.off(s, forward);
  }
}
