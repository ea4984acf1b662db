// berth inspect: docker's generic inspect over containers, images and volumes, looked for in
// that order (--type to choose), as a JSON array or a Go template per object (-f/--format).
import { inspectView } from '../engine/inspect.js';
import { lookupContainer } from '../engine/state.js';
import { BerthError, invalidArgument } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import { CONTAINER_INSPECT, IMAGE_INSPECT, NETWORK_INSPECT, VOLUME_INSPECT } from './docker-types.js';
import { type Inspected, inspectJSON, printInspected, refuseUnparsed } from './inspect-template.js';
import type { CliContext } from './main.js';
import { inspectDoc } from './volume.js';

const SPEC: VerbSpec = {
  usage: 'berth inspect [OPTIONS] NAME|ID [NAME|ID...]',
  summary: 'Return low-level information on containers, images and volumes',
  minArgs: 1,
  flags: [
    { name: 'format', short: 'f', type: 'string', value: 'FORMAT', description: 'Format the output using a Go template (or json)' },
    { name: 'type', type: 'string', value: 'TYPE', description: 'Only this type: container, image or volume' },
    { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes if the type is container (SizeRw, SizeRootFs)' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const type = flags.string('type');
  if (type !== undefined && !['container', 'image', 'volume', 'network'].includes(type)) throw invalidArgument(`invalid --type "${type}": want container, image, volume or network`);
  const format = flags.string('format');
  // docker's CLI parses the template before it looks anything up.
  const refused = refuseUnparsed(ctx, format);
  if (refused !== undefined) return refused;
  const host = containerHost(ctx);
  const objects: Inspected[] = [];
  let failed = false;
  for (const q of flags.args) {
    try {
      objects.push(await inspectOne(ctx, host, q, type, flags.bool('size')));
    } catch (err) {
      failed = true;
      ctx.err(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  if (format === undefined || format === '' || format === 'json') ctx.out(inspectJSON(objects));
  else if (printInspected(ctx, format, objects)) failed = true;
  return failed ? 1 : 0;
}

async function inspectOne(ctx: CliContext, host: ReturnType<typeof containerHost>, q: string, type: string | undefined, size: boolean): Promise<Inspected> {
  if (type === 'volume') return { doc: inspectDoc(host.volumes.inspect(q)), type: VOLUME_INSPECT };
  if (type === 'network') return networkOf(ctx, q);
  if (type !== 'image') {
    try {
      const rec = await lookupContainer(host, q);
      const driver = await host.driver();
      const data = await driver.data(rec.snapshot).catch(() => ({}));
      const view = inspectView(host, rec, driver.name, data);
      if (!size) return { doc: view, type: CONTAINER_INSPECT };
      const { containerSizes } = await import('../engine/lifecycle.js');
      const sizes = await containerSizes(host, rec);
      return { doc: { ...view, SizeRw: sizes.rw, SizeRootFs: sizes.rootFs }, type: CONTAINER_INSPECT };
    } catch (err) {
      if (type === 'container' || !(err instanceof BerthError && err.kind === 'not-found')) throw err;
    }
  }
  const { inspectImage } = await import('../engine/images/index.js');
  try {
    return { doc: await inspectImage(await host.store(), q, (await host.driver()).name), type: IMAGE_INSPECT };
  } catch (err) {
    if (!(err instanceof BerthError && err.kind === 'not-found')) throw err;
    if (type === 'image') throw err;
  }
  try {
    return { doc: inspectDoc(host.volumes.inspect(q)), type: VOLUME_INSPECT };
  } catch (err) {
    if (!(err instanceof BerthError && err.kind === 'not-found')) throw err;
  }
  // Last, as docker's generic inspect: a network (host, none).
  try {
    return await networkOf(ctx, q);
  } catch (err) {
    if (err instanceof BerthError && err.kind === 'not-found') throw new BerthError('not-found', `No such object: ${q}`);
    throw err;
  }
}

/** The network `q` names as inspect shows it; not-found when none does. */
async function networkOf(ctx: CliContext, q: string): Promise<Inspected> {
  const { networkDocs } = await import('./network.js');
  const docs = await networkDocs(ctx, [q]);
  if (docs.found.length === 0) throw new BerthError('not-found', `network ${q} not found`);
  return { doc: docs.found[0], type: NETWORK_INSPECT };
}
