// berth run: create a container from an image (or any layer ID) and start it; attached, the
// exit code is the container's (125 berth's own failure, 126 cannot invoke, 127 not found).
import { isatty } from 'node:tty';
import { containerEvent } from '../engine/events.js';
import { runForeground, startContainer } from '../engine/start.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, forwardSignals, startFailureCode } from './container-common.js';
import { attachedStreams, CREATE_FLAGS, createFromFlags } from './container-create.js';
import { type CliContext, reportError } from './cli.js';
import { isBerthError } from '../internal/errors.js';
import type { ContainerRecord } from '../engine/container.js';
import type { ContainerHost } from '../engine/host.js';
import type { Session } from './attach-session.js';
import { DETACH_KEYS_FLAG, detachKeysOf } from './detach-keys.js';

const SPEC: VerbSpec = {
  usage: 'berth run [OPTIONS] IMAGE|LAYER-ID [COMMAND] [ARG...]',
  summary: 'Create and run a new container from an image or any layer',
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Run in the background and print the container ID' },
    DETACH_KEYS_FLAG,
    ...CREATE_FLAGS,
  ],
  stopAtFirstPositional: true,
  minArgs: 1,
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const streams = attachedStreams(flags);
  // Checked before anything is made, as attach and start -a do.
  const detachKeys = detachKeysOf(flags);
  // docker's CLI refuses -it with no terminal to read (exit 1, before anything is made).
  if (flags.bool('tty') && flags.bool('interactive') && streams.stdin && !flags.bool('detach') && !isatty(0)) {
    ctx.err('the input device is not a TTY\n');
    return 1;
  }
  const host = containerHost(ctx);
  const { spec, rec } = await createFromFlags(host, flags, { startNow: true, ctx });
  try {
    if (flags.bool('detach')) {
      await startContainer(host, rec);
      ctx.out(`${rec.id}\n`);
      return 0;
    }
    // An interactive terminal (-it from a terminal): under conmon, attached as `start -ai` is,
    // so the detach keys (ctrl-p,ctrl-q) leave it running, as docker's run -it can. A -t
    // container run from no terminal at all (a script, CI) goes that way too: conmon holds its
    // terminal, where the runtime's foreground run would want one of the CLI's (docker's
    // daemon makes the terminal, so `docker run -t IMAGE cmd | cat` works).
    // isatty on the descriptors: process.stdin and friends cost milliseconds to make on first touch.
    const stdinToo = (spec.openStdin ?? false) && streams.stdin;
    if (spec.tty && ((stdinToo && isatty(0)) || !(isatty(0) || isatty(1) || isatty(2)))) {
      const code = await runInteractive(ctx, host, rec, detachKeys, spec.autoRemove === true, stdinToo);
      if (spec.autoRemove) {
        const { releaseAutoRemove, removeContainer } = await import('../engine/lifecycle.js');
        // Exited: docker's run --rm returns once the container is gone, not only stopped (the
        // monitor's cleanup left it to this CLI, which had to read its exit code first).
        // Detached: the cleanup removes it when it exits.
        if (code === undefined) await releaseAutoRemove(host, rec.id);
        else
          await removeContainer(host, rec.id, { force: true, volumes: true }).catch((err: unknown) => {
            if (!isBerthError(err, 'not-found')) throw err;
          });
      }
      return code ?? 0;
    }
    // With no log to follow (--log-driver none), the CLI holds the container's output itself.
    // docker's attach event: this CLI holds the container's streams from its start.
    containerEvent(host.runroot, rec, 'attach');
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

/**
 * A -it container started under conmon with the local terminal attached before the runtime
 * starts it: its exit code, or undefined when the user detached (it runs on; with --rm, the
 * monitor's cleanup removes it once it exits).
 */
async function runInteractive(ctx: CliContext, host: ContainerHost, rec: ContainerRecord, detachKeys: Buffer, removesItself: boolean, stdin: boolean): Promise<number | undefined> {
  const { openSession } = await import('./attach-session.js');
  let session: Session | undefined;
  const size = process.stdout.isTTY && process.stdout.rows > 0 ? { height: process.stdout.rows, width: process.stdout.columns } : undefined;
  const started = await startContainer(host, rec, {
    ...(size ? { consoleSize: size } : {}),
    ...(removesItself ? { clientPid: process.pid } : {}),
    beforeStart: async (socket) => {
      session = await openSession(ctx, host, rec, { stdin, proxySignals: true, detachKeys, socket });
    },
  });
  if (session) return session.wait();
  // No attach helper built: the output through the log, to the exit.
  const [{ containerLogs }, { waitStopped }] = await Promise.all([import('../engine/logs.js'), import('../engine/lifecycle.js')]);
  await containerLogs(host, started, (e) => (e.stream === 'stderr' ? ctx.err : ctx.out)(e.text), { follow: true });
  return (await waitStopped(host, started))?.state.exitCode ?? 0;
}

