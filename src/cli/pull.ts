// berth pull NAME[:TAG|@DIGEST]: docker's output (per-layer progress, digest, status line).
import { invalidArgument } from '../internal/errors.js';
import { pullImage } from '../engine/images/index.js';
import { parsePlatform } from '../image/index.js';
import { parseNormalizedReference, familiarString } from '../reference/index.js';
import { listTags } from '../registry/client/index.js';
import { clientPool, pullCandidates, registriesFor } from '../engine/images/index.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { openImageStore, REMOTE_FLAGS, remoteOptions } from './image-common.js';
import type { CliContext } from './main.js';
import { PullProgress } from './progress.js';

export const SPEC: VerbSpec = {
  usage: 'berth pull [OPTIONS] NAME[:TAG|@DIGEST]',
  summary: 'Download an image from a registry',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output' },
    { name: 'platform', type: 'string', value: 'OS/ARCH[/VARIANT]', description: 'Pick this platform from a multi-platform image' },
    { name: 'all-tags', short: 'a', type: 'bool', description: 'Pull every tagged image in the repository' },
    ...REMOTE_FLAGS,
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  const remote = remoteOptions(flags);
  const platformSpec = flags.string('platform');
  const platform = platformSpec ? parsePlatform(platformSpec) : undefined;
  const quiet = flags.bool('quiet');
  let names = [flags.args[0]];
  if (flags.bool('all-tags')) {
    const ref = parseNormalizedReference(flags.args[0]);
    if (ref.tag !== undefined || ref.digest !== undefined) throw invalidArgument('berth pull: a tag or digest cannot be given with --all-tags');
    const config = await registriesFor(remote);
    const candidate = pullCandidates(flags.args[0], config)[0];
    const pool = clientPool(remote);
    try {
      const endpoint = candidate.endpoints[candidate.endpoints.length - 1];
      const repo = pool.client(endpoint.reference.registry, endpoint.insecure || remote.tlsVerify === false).repository(endpoint.reference.repository);
      const tags = await listTags(repo);
      names = tags.map((t) => `${candidate.reference.registry}/${candidate.reference.repository}:${t}`);
    } finally {
      pool.close();
    }
  }
  const tty = (ctx.stdout as NodeJS.WriteStream).isTTY === true;
  for (const name of names) {
    const progress = quiet ? undefined : new PullProgress(ctx.stdout, tty);
    // docker's "Downloaded newer image" when the name now names another image (or none did),
    // even when every layer was here already.
    const before = await store.resolveImage(name).then((r) => r.id, () => undefined);
    let fetched = false;
    const result = await pullImage(store, name, {
      ...remote,
      platform,
      onEvent: (e) => {
        if (e.type === 'layer' && e.phase === 'downloading') fetched = true;
        progress?.onEvent(e);
      },
    });
    progress?.finish();
    if (quiet) {
      ctx.out(`${result.reference}\n`);
      continue;
    }
    ctx.out(`Digest: ${result.digest}\n`);
    const familiar = familiarString(parseNormalizedReference(result.reference));
    const newer = fetched || before !== result.record.id;
    ctx.out(newer ? `Status: Downloaded newer image for ${familiar}\n` : `Status: Image is up to date for ${familiar}\n`);
    ctx.out(`${result.reference}\n`);
  }
  return 0;
}
