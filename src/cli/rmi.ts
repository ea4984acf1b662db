// berth rmi IMAGE...: untag, and delete images no name keeps, freeing their unused layers.
import { isBerthError } from '../internal/errors.js';
import { parseVerb, tooFewArguments, type VerbSpec } from './flags.js';
import { openImageStore } from './image-common.js';
import { type CliContext, reportError } from './cli.js';
import { removeImage, splitName } from '../engine/images/index.js';
import { type ContainerRecord, isLive } from '../engine/container.js';
import { listContainers } from '../engine/state.js';
import { containerHost } from './container-common.js';

export const SPEC: VerbSpec = {
  usage: 'berth rmi [OPTIONS] IMAGE [IMAGE...]',
  summary: 'Remove one or more images',
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force removal of the image (all its names; even if in use)' },
    { name: 'no-prune', type: 'bool', description: 'Do not free unused layers' },
    { name: 'all', short: 'a', type: 'bool', description: 'Remove every image' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  const queries = flags.bool('all') ? (await store.listImages()).map((r) => r.id as string) : flags.args;
  // An image at least, as docker's; podman's -a may find none.
  if (!flags.bool('all') && queries.length === 0) throw tooFewArguments(SPEC, 1);
  let code = 0;
  // Read once, and only when a deletion asks for it.
  let containers: Promise<ContainerRecord[]> | undefined;
  const runningUser = async (imageId: string) => {
    containers ??= listContainers(containerHost(ctx));
    return (await containers).find((c) => c.source.imageId === imageId && isLive(c.state.status))?.id;
  };
  for (const q of queries) {
    try {
      const result = await removeImage(store, q, { force: flags.bool('force'), prune: !flags.bool('no-prune'), runningUser });
      for (const n of result.untagged) {
        const at = n.indexOf('@');
        const shown = at === -1 ? `${splitName(n).repository}:${splitName(n).tag}` : `${splitName(n.slice(0, at)).repository}@${n.slice(at + 1)}`;
        ctx.out(`Untagged: ${shown}\n`);
      }
      for (const id of result.deleted) ctx.out(`Deleted: ${id}\n`);
      for (const l of result.pruned.layers) ctx.out(`Deleted: ${l}\n`);
    } catch (err) {
      // Said, and the command fails with docker's 1 once every image was tried; with -f an
      // image that is not there is said only, as docker's CLI has it.
      reportError(err, ctx);
      if (!(flags.bool('force') && isBerthError(err, 'not-found'))) code = 1;
    }
  }
  return code;
}
