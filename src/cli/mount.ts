// berth mount / unmount: a container's rootfs on the host, for tools that read it directly.
import { mountContainer, unmountContainer } from '../engine/files.js';
import { isMountPoint } from '../engine/rootfs.js';
import { listContainers } from '../engine/state.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost, eachContainer } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = { usage: 'berth mount [CONTAINER...]', summary: "Mount containers' root filesystems and print their paths", flags: [] };
const UNMOUNT: VerbSpec = { usage: 'berth container unmount CONTAINER [CONTAINER...]', summary: "Unmount containers' root filesystems", minArgs: 1, flags: [] };

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  if (flags.args.length === 0) {
    for (const r of await listContainers(host)) {
      const p = host.records.paths(r.id).rootfs;
      if (isMountPoint(p)) ctx.out(`${r.id.slice(0, 12)} ${p}\n`);
    }
    return 0;
  }
  return eachContainer(ctx, flags.args, (q) => mountContainer(host, q));
}

export async function runUnmount(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(UNMOUNT, argv, ctx);
  if (!flags) return 0;
  const host = containerHost(ctx);
  return eachContainer(ctx, flags.args, async (q) => {
    await unmountContainer(host, q);
    return q;
  });
}
