// berth save [-o FILE] IMAGE...: images to a docker-archive (default) or oci-archive, on stdout without -o.
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ArchiveFormat, saveImages } from '../engine/images/index.js';
import { BerthError, invalidArgument } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { checkOutputFile } from './output-file.js';
import { pipeToStdout } from './stdout.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth save [OPTIONS] IMAGE [IMAGE...]',
  summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  minArgs: 1,
  flags: [
    { name: 'output', short: 'o', type: 'string', value: 'FILE', description: 'Write to a file, instead of STDOUT' },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'docker-archive (default) or oci-archive' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress output' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const format = (flags.string('format') ?? 'docker-archive') as ArchiveFormat;
  if (format !== 'docker-archive' && format !== 'oci-archive') throw invalidArgument(`berth save: unknown format "${format}": want docker-archive or oci-archive`);
  const store = await openImageStore(ctx);
  const output = flags.string('output');
  if (output) {
    // docker's CLI checks the path before it asks for the images, in its words.
    try {
      checkOutputFile(output);
    } catch (err) {
      throw BerthError.wrap(err, 'failed to save image');
    }
    await saveImages(store, flags.args, output, { format });
    return 0;
  }
  if ((ctx.stdout as NodeJS.WriteStream).isTTY) throw invalidArgument('berth save: refusing to write an archive to a terminal; use -o or redirect');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-save-'));
  try {
    const file = path.join(dir, 'archive.tar');
    await saveImages(store, flags.args, file, { format });
    await pipeToStdout(createReadStream(file), ctx.stdout);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return 0;
}
