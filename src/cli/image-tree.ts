// berth image tree: every local layer as one parent/child tree with sizes and tags.
import { layerTree, splitName, type TreeNode } from '../engine/images/index.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { humanSize, shortId } from './format.js';
import { openImageStore } from './image-common.js';
import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth image tree [OPTIONS]',
  summary: 'Show every local layer as a tree: ID, size, virtual size, and the tags pointing at it',
  maxArgs: 0,
  flags: [
    { name: 'no-trunc', type: 'bool', description: "Don't truncate layer IDs" },
    { name: 'format', type: 'string', value: 'FORMAT', description: 'json for the tree as JSON' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const store = await openImageStore(ctx);
  const roots = await layerTree(store);
  if (flags.string('format') === 'json') {
    ctx.out(`${JSON.stringify(roots, null, 2)}\n`);
    return 0;
  }
  const noTrunc = flags.bool('no-trunc');
  const lines: string[] = [];
  const show = (n: TreeNode, prefix: string, last: boolean) => {
    const id = noTrunc ? n.chainID : shortId(n.chainID);
    const tags = n.tags.map((t) => (t.startsWith('<none>') ? t : `${splitName(t).repository}:${splitName(t).tag}`));
    lines.push(`${prefix}${last ? '└─' : '├─'}${id} Size: ${humanSize(n.size)} Virtual Size: ${humanSize(n.virtualSize)}${tags.length ? ` Tags: ${tags.join(', ')}` : ''}`);
    n.children.forEach((c, i) => {
      show(c, `${prefix}${last ? '  ' : '│ '}`, i === n.children.length - 1);
    });
  };
  roots.forEach((r, i) => {
    show(r, '', i === roots.length - 1);
  });
  ctx.out(lines.map((l) => `${l}\n`).join(''));
  return 0;
}
