// berth export: the container's filesystem as a tar archive (-o FILE or stdout).
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { exportContainer } from '../engine/files.js';
import { failedPrecondition } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = {
  usage: 'berth export [OPTIONS] CONTAINER',
  summary: "Export a container's filesystem as a tar archive",
  minArgs: 1,
  maxArgs: 1,
  flags: [{ name: 'output', short: 'o', type: 'string', value: 'FILE', description: 'Write to a file, instead of STDOUT' }],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const out = flags.string('output');
  if (!out && (ctx.stdout as NodeJS.WriteStream).isTTY) throw failedPrecondition('cowardly refusing to write a tar archive to a terminal: use -o or redirect');
  await exportContainer(containerHost(ctx), flags.args[0], (tar) => pipeline(tar, out ? createWriteStream(out) : ctx.stdout, out ? {} : { end: false }));
  return 0;
}
