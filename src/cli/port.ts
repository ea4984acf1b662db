// berth port: a container's published ports (PRIVATE_PORT[/PROTO] -> host address). berth
// publishes none yet (bridged networks and -p come with the networking work), so a container's
// list is empty and asking for one port is docker's error for a port not published.
import { lookupContainer } from '../engine/state.js';
import { invalidArgument, notFound } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth port CONTAINER [PRIVATE_PORT[/PROTO]]',
  summary: 'List port mappings or a specific mapping for the container',
  minArgs: 1,
  maxArgs: 2,
  flags: [],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const [query, wanted] = flags.args;
  if (wanted !== undefined) {
    const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(wanted);
    if (!m || Number(m[1]) > 65535) throw invalidArgument(`invalid port (${wanted}): want PRIVATE_PORT[/PROTO], PROTO tcp, udp or sctp`);
  }
  const rec = await lookupContainer(containerHost(ctx), query);
  // No mapping to list: a container's ports are published only by a bridged network.
  if (wanted !== undefined) throw notFound(`No public port '${wanted}' published for ${rec.name}`);
  return 0;
}
