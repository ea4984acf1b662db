// berth top: the processes of a running container (host pids).
import { containerTop } from '../engine/observe.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { alignColumns } from './format.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = { usage: 'berth top CONTAINER', summary: 'Display the running processes of a container', minArgs: 1, maxArgs: 1, flags: [] };

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const rows = await containerTop(containerHost(ctx), flags.args[0]);
  ctx.out(alignColumns(['UID\tPID\tPPID\tSTAT\tCMD', ...rows.map((r) => `${r.uid}\t${r.pid}\t${r.ppid}\t${r.state}\t${r.cmd}`)]));
  return 0;
}
