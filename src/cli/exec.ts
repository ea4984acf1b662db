// berth exec: run a command in a running container (-i, -t, -e, -u, -w, -d); the exit code is
// the command's (126 when it cannot be run). -it from a terminal runs it under conmon
// (engine/exec-attached.ts), so the detach keys leave it running, as docker's exec -it; so does
// -t with no terminal here, whose process gets one all the same, as docker's daemon gives it.
import { constants } from 'node:os';
import { isatty } from 'node:tty';
import { execInContainer } from '../engine/exec.js';
import { DETACH_KEYS_FLAG, DETACHED, detachKeysOf } from './detach-keys.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, envEntries, startFailureCode } from './container-common.js';
import { type CliContext, reportError } from './cli.js';

const SPEC: VerbSpec = {
  usage: 'berth exec [OPTIONS] CONTAINER COMMAND [ARG...]',
  summary: 'Execute a command in a running container',
  stopAtFirstPositional: true,
  minArgs: 2,
  flags: [
    { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open' },
    { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
    { name: 'detach', short: 'd', type: 'bool', description: 'Run the command in the background' },
    { name: 'env', short: 'e', type: 'list', value: 'KEY=VALUE', description: 'Set environment variables' },
    { name: 'env-file', type: 'list', value: 'FILE', description: 'Read in a file of environment variables' },
    { name: 'user', short: 'u', type: 'string', value: 'USER[:GROUP]', description: 'User name or UID' },
    { name: 'workdir', short: 'w', type: 'string', value: 'DIR', description: 'Working directory inside the container' },
    { name: 'privileged', type: 'bool', description: 'Give extended privileges to the command' },
    DETACH_KEYS_FLAG,
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const [container, ...cmd] = flags.args;
  const interactiveTerminal = flags.bool('tty') && flags.bool('interactive') && !flags.bool('detach');
  // The command line's own errors first, with their own codes (125 for a bad -e, 1 for an
  // --env-file that cannot be read), as docker's CLI has them.
  const env = envEntries(flags);
  try {
    // Bad keys are refused before anything is looked up, as attach and run do.
    const detachKeys = detachKeysOf(flags);
    // docker's CLI refuses -it with no terminal to read (exit 1, before anything runs).
    if (interactiveTerminal && !isatty(0)) {
      ctx.err('the input device is not a TTY\n');
      return 1;
    }
    const req = {
      cmd,
      env,
      tty: flags.bool('tty'),
      stdin: flags.bool('interactive'),
      detach: flags.bool('detach'),
      privileged: flags.bool('privileged'),
      ...(flags.string('user') !== undefined ? { user: flags.string('user') } : {}),
      ...(flags.string('workdir') !== undefined ? { workingDir: flags.string('workdir') } : {}),
    };
    if (interactiveTerminal) {
      const { execAttached } = await import('../engine/exec-attached.js');
      const { attachExecTerminal } = await import('./attach-session.js');
      const size = process.stdout.isTTY ? { consoleSize: { height: process.stdout.rows, width: process.stdout.columns } } : {};
      let signal: NodeJS.Signals | undefined;
      const code = await execAttached(containerHost(ctx), container, { ...req, ...size }, (at) => attachExecTerminal(ctx, at, detachKeys, (s) => (signal = s)));
      // Ended by a signal: the shell's 128+N for it (the process runs on, as after a detach).
      if (signal) return 128 + (constants.signals[signal] ?? 0);
      if (code !== undefined) return code;
      // Detached: the process runs on; docker's exec says so and exits 1, as its attach does.
      ctx.err(`${DETACHED}\n`);
      return 1;
    }
    if (req.tty && !req.detach && !isatty(0)) {
      // -t with no terminal here (a script, a pipe): docker's daemon still gives the process a
      // terminal; conmon holds it, and its output comes back through the attach socket (runc's
      // own exec -t wants the caller's terminal: "open /dev/tty: no such device or address").
      const { execAttached } = await import('../engine/exec-attached.js');
      const { attachExecOutput } = await import('./attach-session.js');
      const code = await execAttached(containerHost(ctx), container, req, (at) => attachExecOutput(ctx, at));
      return code ?? 0;
    }
    return await execInContainer(containerHost(ctx), container, req);
  } catch (err) {
    // docker's codes: 126 when the process could not start (the runtime, attached to our stderr,
    // said why already), 1 for the container (not there, not running); with -d, 1 for either
    // (its CLI only hears the daemon's refusal of the start).
    const code = flags.bool('detach') ? 1 : (startFailureCode(err) ?? 1);
    // exec -it's runtime failure: the runtime's line alone, as the runtime prints it without -it.
    const runtimeMessage = (err as { runtimeMessage?: string }).runtimeMessage;
    if (runtimeMessage !== undefined) ctx.err(`${runtimeMessage}\n`);
    else if (!(err as { runtimeReported?: boolean }).runtimeReported) reportError(err, ctx);
    return code;
  }
}
