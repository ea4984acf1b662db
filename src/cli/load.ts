// berth load [-i FILE]: images from a docker-archive or oci-archive (read from STDIN without -i).
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
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
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the load output' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  let file = flags.string('input');
  let spool: string | undefined;
  try {
    if (!file) {
      // Archives are read in passes (manifest.json may come last): STDIN is spooled to a file first.
      spool = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-load-'));
      file = path.join(spool, 'archive.tar');
      await pipeline(process.stdin, createWriteStream(file));
    }
    const loaded = await loadImages(store, file);
    if (!flags.bool('quiet')) {
      for (const l of loaded) {
        if (l.names.length === 0) ctx.out(`Loaded image ID: ${l.id}\n`);
        for (const n of l.names) ctx.out(`Loaded image: ${familiarString(parseNormalizedReference(n))}\n`);
      }
    }
  } finally {
    if (spool) await fs.rm(spool, { recursive: true, force: true });
  }
  return 0;
}
