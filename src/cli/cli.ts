// The CLI's frame: global flags, dispatch to a verb, errors to exit codes. Holds no verb
// table, so that a verb's own bundle (dist/cli/verbs/VERB.cjs, scripts/bundle-cli.mjs) is this
// file and that verb only; main.ts has the table of every verb.
import { writeSync } from 'node:fs';
import { BerthError, describe, type ErrorKind, systemError } from '../internal/errors.js';
import { commandLineError, isBareError, isPlainCliError, isUsageError } from './flags.js';

export interface CliContext {
  /** Graph root (images, layers, containers): --root, BERTH_ROOT, or /var/lib/berth. */
  root: string;
  /** Run root (runtime state, locks): --runroot, BERTH_RUNROOT, or /run/berth. */
  runroot: string;
  logLevel: string;
  /** Text (or bytes) for the user: written at once to fd 1 (fdWriter below). */
  out(data: string | Uint8Array): void;
  /** Messages and errors: written at once to fd 2. */
  err(data: string | Uint8Array): void;
  /** The process's stdout as a stream, for what pipes into it (archives, progress, attach). */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export type VerbModule = { run(argv: string[], ctx: CliContext): Promise<number> };
/** Verb name -> its module, imported on demand. */
export type VerbTable = Record<string, () => Promise<VerbModule>>;


export const EXIT_ENGINE_ERROR = 125;

/** Maps a failure to docker's exit codes: 125 for berth's own errors. */
export function exitCodeFor(_kind: ErrorKind): number {
  return EXIT_ENGINE_ERROR;
}

/**
 * A writer for one of the process's standard descriptors by write(2), the stream untouched:
 * Node makes process.stdout on first touch, a net.Socket when it is a pipe (~3.5 ms of a start,
 * as in `id=$(berth run -d ...)`), and a verb that prints a line or a table needs none of it.
 * Writes are synchronous, as Node's own stdout writes to pipes, files and terminals are on
 * Linux, so the order with any stream writes holds. A non-blocking descriptor that is full
 * (EAGAIN) hands the rest, and every later write, to the stream, which waits for room. A reader
 * that went away (EPIPE: `berth logs -f C | head -1`) ends the process quietly with 141, the
 * status of docker's CLI, which SIGPIPE ends there; Node ignores SIGPIPE, so it is done here.
 */
export function fdWriter(fd: number, stream: () => NodeJS.WritableStream): (data: string | Uint8Array) => void {
  let state: 'direct' | 'stream' = 'direct';
  return (data) => {
    if (state === 'stream') {
      stream().write(data);
      return;
    }
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let done = 0;
    while (done < bytes.byteLength) {
      try {
        done += writeSync(fd, bytes, done);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          state = 'stream';
          stream().write(bytes.subarray(done));
          return;
        }
        if (code === 'EPIPE') process.exit(141);
        throw systemError(err, `write ${fd === 2 ? '/dev/stderr' : '/dev/stdout'}`);
      }
    }
  };
}

function defaultRoot(): string {
  return process.env.BERTH_ROOT ?? '/var/lib/berth';
}
function defaultRunroot(): string {
  return process.env.BERTH_RUNROOT ?? '/run/berth';
}

/** The CLI's usage line, under an error of its global flags. */
const GLOBAL_USAGE = 'berth [OPTIONS] COMMAND [ARG...]';

const USAGE = `Usage: berth [OPTIONS] COMMAND

A container platform: images, registries, containers, builds.

Global options:
  --root DIR         graph root (default /var/lib/berth, or $BERTH_ROOT)
  --runroot DIR      run root (default /run/berth, or $BERTH_RUNROOT)
  --log-level LEVEL  error, warn, info, debug
  -v, --version      print the version
  -h, --help         print this help

Commands:
`;

/**
 * Runs one command line: the global flags, then the verb from the table: every verb in the
 * full CLI (main.ts), a single one in a verb's own bundle (scripts/bundle-cli.mjs). `io` takes
 * the text output in place of the process's descriptors (a test that runs a verb in-process).
 */
export async function runCli(argv: string[], verbs: VerbTable, io: Partial<Pick<CliContext, 'out' | 'err'>> = {}): Promise<number> {
  const ctx: CliContext = {
    root: defaultRoot(),
    runroot: defaultRunroot(),
    logLevel: process.env.BERTH_LOG_LEVEL ?? 'warn',
    out: io.out ?? fdWriter(1, () => process.stdout),
    err: io.err ?? fdWriter(2, () => process.stderr),
    // Node makes process.stdout on first touch (~2-3.5 ms): only a verb that pipes a stream
    // into it pays for it.
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    const takeValue = (): string | undefined => {
      const eq = a.indexOf('=');
      if (eq !== -1) return a.slice(eq + 1);
      return i + 1 < argv.length ? argv[++i] : undefined;
    };
    const globalFlagError = (message: string) => {
      ctx.err(`${commandLineError({ usage: GLOBAL_USAGE }, message).message}\n`);
      return EXIT_ENGINE_ERROR;
    };
    const missing = (name: string) => globalFlagError(`flag needs an argument: ${name}`);
    const [name] = a.split('=', 1);
    if (name === '--root' || name === '--runroot' || name === '--log-level') {
      const value = takeValue();
      if (value === undefined) return missing(name);
      if (name === '--root') ctx.root = value;
      else if (name === '--runroot') ctx.runroot = value;
      else ctx.logLevel = value;
    }
    // docker --version: one line, where `docker version` prints the client and the server.
    else if (a === '-v' || a === '--version') return run(verbs, 'version', ['--format', 'berth version {{.Client.Version}}'], ctx);
    else if (a === '-h' || a === '--help') break;
    // pflag's words, as docker's CLI says them for its own global flags.
    else if (a.startsWith('--')) return globalFlagError(`unknown flag: ${name}`);
    else if (a.startsWith('-') && a.length > 1) return globalFlagError(`unknown shorthand flag: '${a[1]}' in ${a}`);
    else break;
  }
  const verb = argv[i];
  if (verb === undefined || verb === '-h' || verb === '--help' || verb === 'help') {
    ctx.out(USAGE + Object.keys(verbs).sort().map((v) => `  ${v}\n`).join(''));
    return verb === undefined ? EXIT_ENGINE_ERROR : 0;
  }
  return run(verbs, verb, argv.slice(i + 1), ctx);
}

async function run(verbs: VerbTable, verb: string, rest: string[], ctx: CliContext): Promise<number> {
  // Own properties only: `berth constructor` is not a verb.
  const load = Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
  if (!load) {
    ctx.err(`berth: '${verb}' is not a berth command.\nSee 'berth --help'.\n`);
    return EXIT_ENGINE_ERROR;
  }
  try {
    const mod = await load();
    return await mod.run(rest, ctx);
  } catch (err) {
    const code = reportError(err, ctx);
    // docker's codes: 125 for a bad command line and for run's own failures, 1 for any other
    // verb's failure; podman's verb (healthcheck) keeps podman's 125. Its plain errors (too few
    // or too many arguments, -a with -d) are 1 for every verb, run's too.
    if (isPlainCliError(err)) return 1;
    return verb === 'run' || verb === 'healthcheck' || isUsageError(err) ? code : 1;
  }
}

/**
 * Prints an error the way users expect ("Error: cannot ...") and returns the exit code; an
 * error marked `runtimeReported` (the runtime, on the CLI's stderr, said why already) only
 * gives its code.
 */
export function reportError(err: unknown, ctx: Pick<CliContext, 'err' | 'logLevel'>): number {
  if (err instanceof BerthError) {
    // A command line's flag error is docker's CLI's words and usage block as they are.
    if ((err as { runtimeReported?: boolean }).runtimeReported !== true || ctx.logLevel === 'debug') ctx.err(`${isBareError(err) ? '' : 'Error: '}${err.message}\n`);
    if (ctx.logLevel === 'debug' && err.stack) ctx.err(`${err.stack}\n`);
    return exitCodeFor(err.kind);
  }
  // A system error that reached here unwrapped says what failed as Go's do; any other is a bug
  // of berth's, its stack shown.
  if (typeof (err as NodeJS.ErrnoException | undefined)?.code === 'string' && ctx.logLevel !== 'debug') ctx.err(`Error: ${describe(err)}\n`);
  else ctx.err(`Error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT_ENGINE_ERROR;
}

/** The CLI as a process: runCli() over the process's arguments, its result as the exit code. */
export function runProcess(verbs: VerbTable): void {
  // Once nothing is left to do, exit at once: Node's own teardown of an idle process (its
  // environment and heap) costs ~0.5 ms more, and 'exit' listeners run either way.
  process.once('beforeExit', () => process.exit());
  runCli(process.argv.slice(2), verbs).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`berth: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 125;
    },
  );
}
