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
  // docker's CLI: the container first, then the port's number (any protocol is only looked up).
  const rec = await lookupContainer(containerHost(ctx), query);
  if (wanted !== undefined) {
    const port = wanted.split('/')[0];
    const why = parseUint16(port);
    if (why) throw invalidArgument(`invalid port (${port}): strconv.ParseUint: parsing ${JSON.stringify(port)}: ${why}`);
    // No mapping to list: a container's ports are published only by a bridged network.
    throw notFound(`No public port '${wanted}' published for ${rec.name}`);
  }
  return 0;
}

/** Go's strconv.ParseUint(text, 10, 16): undefined for a port number, else its error's reason. */
export function parseUint16(text: string): string | undefined {
  if (!/^\d+$/.test(text)) return 'invalid syntax';
  return Number(text) > 65535 ? 'value out of range' : undefined;
}
