// berth inspect: docker's generic inspect over containers, images and volumes, looked for in
// that order (--type to choose), as a JSON array or a Go template per object (-f/--format).
import { inspectView } from '../engine/inspect.js';
import { lookupContainer } from '../engine/state.js';
import { BerthError, invalidArgument } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { renderTemplate } from './format.js';
import { containerHost } from './container-common.js';
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
  if (type !== undefined && !['container', 'image', 'volume'].includes(type)) throw invalidArgument(`invalid --type "${type}": want container, image or volume`);
  const host = containerHost(ctx);
  const objects: unknown[] = [];
  let failed = false;
  for (const q of flags.args) {
    try {
      objects.push(await inspectOne(host, q, type, flags.bool('size')));
    } catch (err) {
      failed = true;
      ctx.err(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  const format = flags.string('format');
  if (format === undefined || format === 'json') ctx.out(`${JSON.stringify(objects, null, 4)}\n`);
  else for (const o of objects) ctx.out(`${renderTemplate(format, o)}\n`);
  return failed ? 1 : 0;
}

async function inspectOne(host: ReturnType<typeof containerHost>, q: string, type: string | undefined, size: boolean): Promise<unknown> {
  if (type === 'volume') return inspectDoc(host.volumes.inspect(q));
  if (type !== 'image') {
    try {
      const rec = await lookupContainer(host, q);
      const driver = await host.driver();
      const data = await driver.data(rec.snapshot).catch(() => ({}));
      const view = inspectView(host, rec, driver.name, data);
      if (!size) return view;
      const { containerSizes } = await import('../engine/lifecycle.js');
      const sizes = await containerSizes(host, rec);
      return { ...view, SizeRw: sizes.rw, SizeRootFs: sizes.rootFs };
    } catch (err) {
      if (type === 'container' || !(err instanceof BerthError && err.kind === 'not-found')) throw err;
    }
  }
  const { inspectImage } = await import('../engine/images/index.js');
  try {
    return await inspectImage(await host.store(), q);
  } catch (err) {
    if (!(err instanceof BerthError && err.kind === 'not-found')) throw err;
    if (type === 'image') throw err;
  }
  try {
    return inspectDoc(host.volumes.inspect(q));
  } catch (err) {
    if (err instanceof BerthError && err.kind === 'not-found') throw new BerthError('not-found', `no such object: ${q}`);
    throw err;
  }
}
