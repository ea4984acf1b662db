// berth load [-i FILE]: images from a docker-archive or oci-archive (read from STDIN without -i).
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { invalidArgument, systemError } from '../internal/errors.js';
import { familiarString, parseNormalizedReference } from '../reference/index.js';
import { loadImages } from '../engine/images/index.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth load [OPTIONS]',
  summary: 'Load images from a tar archive (docker-archive or oci-archive) or STDIN',
  maxArgs: 0,
  flags: [
    { name: 'input', short: 'i', type: 'string', value: 'FILE', description: 'Read from a file instead of STDIN' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load progress' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  let file = flags.string('input');
  let spool: string | undefined;
  // docker's CLI words: a terminal or nothing on STDIN is no archive; a file that cannot be
  // opened says why as Go's open does.
  if (!file && process.stdin.isTTY) throw invalidArgument('requested load from stdin, but stdin is empty');
  if (file) {
    const input = file;
    await fs.access(input, fs.constants.R_OK).catch((err: unknown) => {
      throw systemError(err, `open ${input}`);
    });
  }
  try {
    if (!file) {
      // Archives are read in passes (manifest.json may come last): STDIN is spooled to a file first.
      spool = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-load-'));
      file = path.join(spool, 'archive.tar');
      await pipeline(process.stdin, createWriteStream(file));
      if ((await fs.stat(file)).size === 0) throw invalidArgument('requested load from stdin, but stdin is empty');
    }
    const loaded = await loadImages(store, file);
    // -q quiets docker's progress only: what was loaded is said all the same.
    for (const l of loaded) {
      for (const m of l.moved) ctx.out(`The image ${familiarString(parseNormalizedReference(m.name))} already exists, renaming the old one with ID ${m.from} to empty string\n`);
      if (l.names.length === 0) ctx.out(`Loaded image ID: ${l.id}\n`);
      for (const n of l.names) ctx.out(`Loaded image: ${familiarString(parseNormalizedReference(n))}\n`);
    }
  } finally {
    if (spool) await fs.rm(spool, { recursive: true, force: true });
  }
  return 0;
}
