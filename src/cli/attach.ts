// berth attach: follow a running container's output to its exit (from the monitor's log:
// conmon's attach socket is SOCK_SEQPACKET, which Node cannot open); returns its exit code.
import { waitStopped } from '../engine/lifecycle.js';
import { containerLogs } from '../engine/logs.js';
import { lookupContainer } from '../engine/state.js';
import { failedPrecondition } from '../internal/errors.js';
import { helpText, parseFlags, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth attach [OPTIONS] CONTAINER',
  summary: "Attach to a running container's output",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN (the only mode berth has)' },
    { name: 'sig-proxy', type: 'bool', description: 'Proxy received signals to the container (default true)' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseFlags(SPEC, argv);
  if (flags.help) {
    ctx.stdout.write(helpText(SPEC));
    return 0;
  }
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
    await containerLogs(host, rec, (e) => (e.stream === 'stderr' ? ctx.stderr : ctx.stdout).write(e.text), { follow: true, tail: 0 });
    const done = await waitStopped(host, rec);
    return done?.state.exitCode ?? 0;
  } finally {
    for (const s of signals) process.off(s, forward);
  }
}
