// berth import FILE|- [REFERENCE]: a rootfs tarball becomes a one-layer base image.
import * as fs from 'node:fs/promises';
import { parseChanges } from '../build/changes.js';
import { importTarball } from '../engine/images/index.js';
import { type ContainerConfig, parsePlatform } from '../image/index.js';
import { systemError } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth import [OPTIONS] FILE|- [REPOSITORY[:TAG]]',
  summary: 'Import the contents from a tarball to create a filesystem image',
  minArgs: 1,
  maxArgs: 2,
  flags: [
    { name: 'change', short: 'c', type: 'list', value: 'INSTRUCTION', description: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', value: 'TEXT', description: 'Commit message for the imported image' },
    { name: 'platform', type: 'string', value: 'OS/ARCH[/VARIANT]', description: 'Platform recorded in the image' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress output' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const config: ContainerConfig = {};
  parseChanges(flags.list('change'))(config);
  const store = await openImageStore(ctx);
  const [file, reference] = flags.args;
  const source =
    file === '-'
      ? process.stdin
      : (
          await fs.open(file, 'r').catch((err: unknown) => {
            throw systemError(err, `open ${file}`);
          })
        ).createReadStream();
  const platform = flags.string('platform');
  const result = await importTarball(store, source, {
    ...(reference ? { reference } : {}),
    config,
    ...(flags.string('message') ? { message: flags.string('message') } : {}),
    ...(platform ? { platform: parsePlatform(platform) } : {}),
  });
  ctx.out(`${result.id}\n`);
  return 0;
}
