// berth run: create a container from an image (or any layer ID) and start it; attached, the
// exit code is the container's (125 berth's own failure, 126 cannot invoke, 127 not found).
import { runForeground, startContainer } from '../engine/start.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, forwardSignals, startFailureCode } from './container-common.js';
import { CREATE_FLAGS, createFromFlags } from './container-create.js';
import { type CliContext, reportError } from './cli.js';
import { invalidArgument } from '../internal/errors.js';

const SPEC: VerbSpec = {
  usage: 'berth run [OPTIONS] IMAGE|LAYER-ID [COMMAND] [ARG...]',
  summary: 'Create and run a new container from an image or any layer',
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Run in the background and print the container ID' },
    { name: 'attach', short: 'a', type: 'list', value: 'STREAM', description: 'Attach to STDIN, STDOUT or STDERR (default: STDOUT and STDERR)' },
    ...CREATE_FLAGS,
  ],
  stopAtFirstPositional: true,
  minArgs: 1,
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const streams = attachedStreams(flags.list('attach'), flags.bool('detach'));
  const host = containerHost(ctx);
  const { spec, rec } = await createFromFlags(host, flags, { startNow: true, ctx });
  try {
    if (flags.bool('detach')) {
      await startContainer(host, rec);
      ctx.out(`${rec.id}\n`);
      return 0;
    }
    // With no log to follow (--log-driver none), the CLI holds the container's output itself.
    if (spec.autoRemove || spec.tty || spec.openStdin || spec.log?.driver === 'none') {
      return await runForeground(host, rec, { stdin: (spec.openStdin ?? false) && streams.stdin, tty: spec.tty ?? false, stdout: streams.stdout, stderr: streams.stderr });
    }
    // Attached without a terminal: conmon holds the container (its log stays for `logs`), we follow.
    const [{ containerLogs }, { waitStopped }] = await Promise.all([import('../engine/logs.js'), import('../engine/lifecycle.js')]);
    await startContainer(host, rec);
    const stopForwarding = forwardSignals(host, rec);
    try {
      await containerLogs(host, rec, (e) => (e.stream === 'stderr' ? streams.stderr && ctx.err(e.text) : streams.stdout && ctx.out(e.text)), { follow: true });
      const done = await waitStopped(host, rec);
      return done?.state.exitCode ?? 0;
    } finally {
      stopForwarding();
    }
  } catch (err) {
    if (spec.autoRemove) {
      const { removeContainer } = await import('../engine/lifecycle.js');
      await removeContainer(host, rec.id, { force: true, volumes: true }).catch(() => {});
    }
    const code = startFailureCode(err);
    if (code !== undefined) {
      reportError(err, ctx);
      return code;
    }
    throw err;
  }
}

/** docker's -a: only the streams named are attached (all but stdin without it); none with -d. */
function attachedStreams(names: string[], detach: boolean): { stdin: boolean; stdout: boolean; stderr: boolean } {
  if (names.length === 0) return { stdin: true, stdout: true, stderr: true };
  if (detach) throw invalidArgument('conflicting options: cannot specify both --attach and --detach');
  const wanted = new Set<string>();
  for (const n of names) {
    const s = n.toLowerCase();
    if (s !== 'stdin' && s !== 'stdout' && s !== 'stderr') throw invalidArgument(`invalid argument "${n}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
    wanted.add(s);
  }
  return { stdin: wanted.has('stdin'), stdout: wanted.has('stdout'), stderr: wanted.has('stderr') };
}
