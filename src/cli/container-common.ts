// What the container verbs share: the container host from --root/--runroot, docker's exit
// codes for a failed start, and one action over several containers. (create and run's flags:
// container-create.ts, kept out of the other verbs' bundles.)
import { loadEngineConfig } from '../engine/config.js';
import { ContainerHost } from '../engine/host.js';
import type { CliContext } from './main.js';

export function containerHost(ctx: CliContext): ContainerHost {
  // conmon runs this after a container exits, so cleanup (and --rm, restart policies) happen without us.
  const self = process.argv[1];
  return new ContainerHost({
    root: ctx.root,
    runroot: ctx.runroot,
    config: () => loadEngineConfig(),
    ...(self ? { cleanupCommand: [process.execPath, self, '--root', ctx.root, '--runroot', ctx.runroot, 'container', 'cleanup'] } : {}),
  });
}

/** docker's exit code for a failure before the container ran: 126/127 for the command, else 125 (undefined). */
export function startFailureCode(err: unknown): number | undefined {
  const code = (err as { exitCode?: unknown }).exitCode;
  return code === 126 || code === 127 ? code : undefined;
}

/** Applies `fn` to every named container, printing each name; errors go to stderr, exit 1 if any. */
export async function eachContainer(ctx: CliContext, names: string[], fn: (name: string) => Promise<string | undefined>): Promise<number> {
  let failed = false;
  for (const n of names) {
    try {
      const out = await fn(n);
      if (out !== undefined) ctx.out(`${out}\n`);
    } catch (err) {
      failed = true;
      ctx.err(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  return failed ? 1 : 0;
}
