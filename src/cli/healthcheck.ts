// berth healthcheck run CONTAINER: the container's health check, once (podman's verb). Its
// timer (berth-health-timer) runs this each interval; users and scripts may too.
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const RUN: VerbSpec = {
  usage: 'berth healthcheck run CONTAINER',
  summary: 'Run the health check of a container once: prints healthy (exit 0) or unhealthy (exit 1)',
  minArgs: 1,
  maxArgs: 1,
  flags: [],
};

const USAGE = `Usage: berth healthcheck COMMAND

Manage health checks of containers

Commands:
  run         Run the health check of a container
`;

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    ctx.out(USAGE);
    return sub === undefined ? 125 : 0;
  }
  if (sub !== 'run') {
    ctx.err(`berth: 'healthcheck ${sub}' is not a berth command.\nSee 'berth healthcheck --help'.\n`);
    return 125;
  }
  const flags = parseVerb(RUN, rest, ctx);
  if (!flags) return 0;
  const { runHealthcheck } = await import('../engine/health-run.js');
  const { result } = await runHealthcheck(containerHost(ctx), flags.args[0]);
  const healthy = result.ExitCode === 0;
  ctx.out(healthy ? 'healthy\n' : 'unhealthy\n');
  return healthy ? 0 : 1;
}
