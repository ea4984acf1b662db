// What the container verbs share: the container host from --root/--runroot, docker's exit
// codes for a failed start, one action over several containers, and -e/--env-file (run and
// exec). (create and run's other flags: container-create.ts, kept out of the other verbs' bundles.)
import * as fs from 'node:fs';
import { loadEngineConfig } from '../engine/config.js';
import type { ContainerRecord } from '../engine/container.js';
import { ContainerHost } from '../engine/host.js';
import { errnoText, invalidArgument } from '../internal/errors.js';
import type { Flags } from './flags.js';
import type { CliContext } from './main.js';

export function containerHost(ctx: CliContext): ContainerHost {
  // conmon runs this after a container exits, so cleanup (and --rm, restart policies) happen without us.
  const self = process.argv[1];
  return new ContainerHost({
    root: ctx.root,
    runroot: ctx.runroot,
    config: () => loadEngineConfig(),
    ...(self
      ? {
          cleanupCommand: [process.execPath, self, '--root', ctx.root, '--runroot', ctx.runroot, 'container', 'cleanup'],
          // berth-health-timer runs this each interval of a container with a health check.
          healthcheckCommand: [process.execPath, self, '--root', ctx.root, '--runroot', ctx.runroot, 'healthcheck', 'run'],
          // conmon runs this when a detached exec -it process ended: its exec_die, its files.
          execCleanupCommand: [process.execPath, self, '--root', ctx.root, '--runroot', ctx.runroot, 'container', 'exec-cleanup'],
        }
      : {}),
  });
}

/**
 * docker's signal proxy: SIGINT, SIGTERM and SIGHUP to the CLI go to the container through its
 * runtime until the returned function is called (none at all when `on` is false).
 */
export function forwardSignals(host: ContainerHost, rec: ContainerRecord, on = true): () => void {
  if (!on) return () => {};
  const forward = (sig: NodeJS.Signals) => {
    host.runtimeOf(rec).kill(rec.id, sig).catch(() => {});
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  return () => {
    for (const s of signals) process.off(s, forward);
  };
}

/** docker's exit code for a failure before the container ran: 126/127 for the command, else 125 (undefined). */
export function startFailureCode(err: unknown): number | undefined {
  const code = (err as { exitCode?: unknown }).exitCode;
  return code === 126 || code === 127 ? code : undefined;
}

/** How many containers a parallel eachContainer works on at once (docker's CLI: 50). */
const PARALLEL_LIMIT = 50;

/**
 * Applies `fn` to every named container, printing each name in the order given; errors go to
 * stderr, exit 1 if any. `parallel`: all at once (up to 50), their results printed in order
 * when all are done, as docker's CLI stops, kills, removes, pauses and unpauses: three
 * containers that each take the whole stop timeout take it once, not three times.
 */
export async function eachContainer(
  ctx: CliContext,
  names: string[],
  fn: (name: string) => Promise<string | undefined>,
  options: { harmless?: (err: unknown) => boolean; parallel?: boolean } = {},
): Promise<number> {
  let failed = false;
  const report = (result: PromiseSettledResult<string | undefined>) => {
    if (result.status === 'fulfilled') {
      if (result.value !== undefined) ctx.out(`${result.value}\n`);
      return;
    }
    // A harmless error is printed all the same, without failing the command.
    if (!options.harmless?.(result.reason)) failed = true;
    ctx.err(`Error: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}\n`);
  };
  if (!options.parallel) {
    for (const n of names) report((await Promise.allSettled([fn(n)]))[0]);
    return failed ? 1 : 0;
  }
  const settled: PromiseSettledResult<string | undefined>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      [settled[i]] = await Promise.allSettled([fn(names[i])]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_LIMIT, names.length) }, worker));
  for (const r of settled) report(r);
  return failed ? 1 : 0;
}

/**
 * An --env-file or --label-file as docker's CLI reads both: blank lines and # comments skipped,
 * leading blanks dropped, a value kept as written (trailing blanks too); a name with blanks
 * ("export A=1") or none is refused in the env-file words docker uses for both. A bare NAME is
 * taken from the CLI's environment in an env file (skipped when unset there), dropped in a label
 * file (docker's).
 */
function keyValueFile(file: string, bare: 'from-environment' | 'dropped'): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw invalidArgument(`open ${file}: ${errnoText(err)}`);
  }
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = (eq < 0 ? line : line.slice(0, eq)).replace(/^[ \t]+/, '');
    if (name === '') throw invalidArgument(`invalid env file (${file}): no variable name on line '${line}'`);
    if (/[ \t]/.test(name)) throw invalidArgument(`invalid env file (${file}): variable '${name}' contains whitespaces`);
    if (eq >= 0) out.push(`${name}=${line.slice(eq + 1)}`);
    else if (bare === 'from-environment' && process.env[name] !== undefined) out.push(`${name}=${process.env[name]}`);
  }
  return out;
}

/** --env-file's NAME=VALUE entries (keyValueFile's rules). */
export function envFileEntries(file: string): string[] {
  return keyValueFile(file, 'from-environment');
}

/** --label-file's NAME=VALUE entries (keyValueFile's rules). */
export function labelFileEntries(file: string): string[] {
  return keyValueFile(file, 'dropped');
}

/** `-e KEY` takes KEY from the CLI's environment, as docker does. */
export function envEntries(flags: Flags): string[] {
  const out: string[] = [];
  for (const file of flags.list('env-file')) out.push(...envFileEntries(file));
  for (const e of flags.list('env')) {
    // docker's CLI checks each as the flag is parsed: an error of the command line (125).
    if (e.startsWith('=')) throw flags.valueError('env', e, `invalid environment variable: ${e}`);
    if (e.includes('=')) out.push(e);
    else if (process.env[e] !== undefined) out.push(`${e}=${process.env[e]}`);
  }
  return out;
}
