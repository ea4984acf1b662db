// berth push NAME[:TAG] [DESTINATION]: docker's output (per-layer lines, then digest and size).
import { pushImage } from '../engine/images/index.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { shortId } from './format.js';
import { openImageStore, REMOTE_FLAGS, remoteOptions } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth push [OPTIONS] NAME[:TAG] [DESTINATION]',
  summary: 'Upload an image to a registry',
  minArgs: 1,
  maxArgs: 2,
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
    { name: 'all', type: 'bool', description: 'Push the whole index (manifest list) the image came from, with every platform stored' },
    ...REMOTE_FLAGS,
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  const quiet = flags.bool('quiet');
  // docker's CLI names the tag it takes when none was given.
  if (!quiet && !/[:@][^/]*$/.test(flags.args[0])) ctx.out('Using default tag: latest\n');
  const words = { exists: 'Layer already exists', mounted: 'Mounted from another repository', uploaded: 'Pushed', pushing: 'Preparing' } as const;
  const result = await pushImage(store, flags.args[0], flags.args[1], {
    ...remoteOptions(flags),
    all: flags.bool('all'),
    onEvent: quiet
      ? undefined
      : (e) => {
          if (e.type === 'target') ctx.out(`The push refers to repository [${e.repository}]\n`);
          // docker's lines: the layers only, by their diff IDs; the config goes up unsaid.
          else if (e.layer) ctx.out(`${shortId(e.layer)}: ${words[e.outcome]}\n`);
        },
  });
  const tag = result.reference.slice(result.reference.lastIndexOf(':') + 1);
  if (quiet) ctx.out(`${result.reference}\n`);
  else ctx.out(`${tag}: digest: ${result.digest} size: ${result.size}\n`);
  return 0;
}
