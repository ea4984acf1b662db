// berth tags REPOSITORY: a remote repository's tags, with --digests their manifest digests.
import { remoteTags } from '../engine/images/index.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { formatRows } from './format.js';
import { REMOTE_FLAGS, remoteOptions } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth tags [OPTIONS] REPOSITORY',
  summary: "List a remote repository's tags",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'digests', type: 'bool', description: "Show each tag's manifest digest" },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'table, json, or a Go template' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only tag names' },
    ...REMOTE_FLAGS,
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const digests = flags.bool('digests');
  const { repository, tags } = await remoteTags(flags.args[0], { ...remoteOptions(flags), digests });
  if (flags.bool('quiet')) {
    ctx.out(tags.map((t) => `${t.tag}\n`).join(''));
    return 0;
  }
  const spec = {
    columns: [{ header: 'REPOSITORY', field: '.Repository' }, { header: 'TAG', field: '.Tag' }, ...(digests ? [{ header: 'DIGEST', field: '.Digest' }] : [])],
    headers: { Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST' },
    view: (t: (typeof tags)[number]) => ({ Repository: repository, Tag: t.tag, Digest: t.digest ?? '<none>' }),
  };
  ctx.out(formatRows(tags, spec, flags.string('format')));
  return 0;
}
