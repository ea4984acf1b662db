// The berth CLI: global flags, then one lazily imported module per verb, so that
// `berth version` loads almost nothing. Each verb module exports `run(argv, ctx)`.
import { BerthError, type ErrorKind } from '../internal/errors.js';

export interface CliContext {
  /** Graph root (images, layers, containers): --root, BERTH_ROOT, or /var/lib/berth. */
  root: string;
  /** Run root (runtime state, locks): --runroot, BERTH_RUNROOT, or /run/berth. */
  runroot: string;
  logLevel: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export type VerbModule = { run(argv: string[], ctx: CliContext): Promise<number> };
type Loader = () => Promise<VerbModule>;

/** Verb name -> module. Multi-word verbs ("registry serve") are resolved by the group module. */
const VERBS: Record<string, Loader> = {
  version: () => import('./version.js'),
  info: () => import('./info.js'),
  registry: () => import('./registry.js'),
  pull: () => import('./pull.js'),
  push: () => import('./push.js'),
  images: () => import('./images.js'),
  image: () => import('./image.js'),
  tag: () => import('./tag.js'),
  untag: () => import('./untag.js'),
  rmi: () => import('./rmi.js'),
  history: () => import('./history.js'),
  search: () => import('./search.js'),
  tags: () => import('./tags.js'),
  login: () => import('./login.js'),
  logout: () => import('./logout.js'),
  save: () => import('./save.js'),
  load: () => import('./load.js'),
  import: () => import('./import.js'),
  run: () => import('./run.js'),
  create: () => import('./create.js'),
  start: () => import('./start.js'),
  ps: () => import('./ps.js'),
  logs: () => import('./logs.js'),
  exec: () => import('./exec.js'),
  attach: () => import('./attach.js'),
  stop: () => import('./stop.js'),
  kill: () => import('./kill.js'),
  restart: () => import('./restart.js'),
  pause: () => import('./pause.js'),
  unpause: () => import('./unpause.js'),
  rm: () => import('./rm.js'),
  wait: () => import('./wait.js'),
  inspect: () => import('./inspect.js'),
  top: () => import('./top.js'),
  stats: () => import('./stats.js'),
  rename: () => import('./rename.js'),
  cp: () => import('./cp.js'),
  diff: () => import('./diff.js'),
  commit: () => import('./commit.js'),
  export: () => import('./export.js'),
  mount: () => import('./mount.js'),
  container: () => import('./container.js'),
  build: () => import('./build.js'),
};

/** Registers verbs from feature areas without editing the table above (keeps merges small). */
export function verbTable(): Record<string, Loader> {
  return VERBS;
}

export const EXIT_ENGINE_ERROR = 125;

/** Maps a failure to docker's exit codes: 125 for berth's own errors. */
export function exitCodeFor(_kind: ErrorKind): number {
  return EXIT_ENGINE_ERROR;
}

function defaultRoot(): string {
  return process.env.BERTH_ROOT ?? '/var/lib/berth';
}
function defaultRunroot(): string {
  return process.env.BERTH_RUNROOT ?? '/run/berth';
}

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

export async function main(argv: string[]): Promise<number> {
  const ctx: CliContext = {
    root: defaultRoot(),
    runroot: defaultRunroot(),
    logLevel: process.env.BERTH_LOG_LEVEL ?? 'warn',
    // Node makes process.stdout on first touch (~2 ms): a verb that prints nothing, like a
    // `run --rm` whose container writes to the inherited descriptors, never pays for it.
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
    const takeValue = (name: string): string => {
      const eq = a.indexOf('=');
      if (eq !== -1) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new BerthError('invalid-argument', `flag needs an argument: ${name}`);
      return argv[++i];
    };
    if (a === '--root' || a.startsWith('--root=')) ctx.root = takeValue('--root');
    else if (a === '--runroot' || a.startsWith('--runroot=')) ctx.runroot = takeValue('--runroot');
    else if (a === '--log-level' || a.startsWith('--log-level=')) ctx.logLevel = takeValue('--log-level');
    else if (a === '-v' || a === '--version') return run('version', [], ctx);
    else if (a === '-h' || a === '--help') break;
    else if (a.startsWith('-')) {
      ctx.stderr.write(`berth: unknown flag: ${a}\nSee 'berth --help'.\n`);
      return EXIT_ENGINE_ERROR;
    } else break;
  }
  const verb = argv[i];
  if (verb === undefined || verb === '-h' || verb === '--help' || verb === 'help') {
    ctx.stdout.write(USAGE + Object.keys(VERBS).sort().map((v) => `  ${v}\n`).join(''));
    return verb === undefined ? EXIT_ENGINE_ERROR : 0;
  }
  return run(verb, argv.slice(i + 1), ctx);
}

async function run(verb: string, rest: string[], ctx: CliContext): Promise<number> {
  const load = VERBS[verb];
  if (!load) {
    ctx.stderr.write(`berth: '${verb}' is not a berth command.\nSee 'berth --help'.\n`);
    return EXIT_ENGINE_ERROR;
  }
  try {
    const mod = await load();
    return await mod.run(rest, ctx);
  } catch (err) {
    return reportError(err, ctx);
  }
}

/** Prints an error the way users expect ("Error: cannot ...") and returns the exit code. */
export function reportError(err: unknown, ctx: Pick<CliContext, 'stderr' | 'logLevel'>): number {
  if (err instanceof BerthError) {
    ctx.stderr.write(`Error: ${err.message}\n`);
    if (ctx.logLevel === 'debug' && err.stack) ctx.stderr.write(`${err.stack}\n`);
    return exitCodeFor(err.kind);
  }
  ctx.stderr.write(`Error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT_ENGINE_ERROR;
}
