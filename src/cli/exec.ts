// berth exec: run a command in a running container (-i, -t, -e, -u, -w, -d); the exit code is
// the command's (126/127 when it cannot be run).
import { execInContainer } from '../engine/exec.js';
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
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const [container, ...cmd] = flags.args;
  try {
    return await execInContainer(containerHost(ctx), container, {
      cmd,
      env: envEntries(flags),
      tty: flags.bool('tty'),
      stdin: flags.bool('interactive'),
      detach: flags.bool('detach'),
      privileged: flags.bool('privileged'),
      ...(flags.string('user') !== undefined ? { user: flags.string('user') } : {}),
      ...(flags.string('workdir') !== undefined ? { workingDir: flags.string('workdir') } : {}),
    });
  } catch (err) {
    // docker's codes: 126 when the process could not start (the runtime, attached to our stderr,
    // said why already), 1 for the container (not there, not running).
    const code = startFailureCode(err) ?? 1;
    if (!(err as { runtimeReported?: boolean }).runtimeReported) reportError(err, ctx);
    return code;
  }
}
