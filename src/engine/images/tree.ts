// berth image tree: every local layer in one parent/child forest (what dockviz showed docker
// users), each node with its own size, the virtual size up to it, and the names pointing at it.
import type { Digest } from '../../digest/digest.js';
import type { Store } from '../../store/index.js';

export interface TreeNode {
  chainID: Digest;
  diffID: Digest;
  /** Unpacked bytes of this layer alone. */
  size: number;
  /** Bytes of this layer and all below it. */
  virtualSize: number;
  /** Names of images whose top layer this is; IDs of unnamed ones. */
  tags: string[];
  /** Image IDs whose top layer this is. */
  images: Digest[];
  children: TreeNode[];
}

/** The forest of all layers, roots (base layers) first by size, children sorted by chain ID. */
export async function layerTree(store: Store): Promise<TreeNode[]> {
  const records = await store.layers.list();
  const images = await store.listImages();
  const nodes = new Map<string, TreeNode>();
  for (const r of records) {
    nodes.set(r.chainID, { chainID: r.chainID, diffID: r.diffID, size: r.size, virtualSize: 0, tags: [], images: [], children: [] });
  }
  for (const img of images) {
    const top = img.topLayer ?? img.layers[img.layers.length - 1]?.chainID;
    const node = top ? nodes.get(top) : undefined;
    if (!node) continue;
    node.images.push(img.id);
    node.tags.push(...(img.names.length > 0 ? img.names : [`<none>@${img.id.slice(7, 19)}`]));
  }
  const roots: TreeNode[] = [];
  for (const r of records) {
    const node = nodes.get(r.chainID)!;
    const parent = r.parent ? nodes.get(r.parent) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const fill = (n: TreeNode, below: number) => {
    n.virtualSize = below + n.size;
    n.children.sort((a, b) => a.chainID.localeCompare(b.chainID));
    for (const c of n.children) fill(c, n.virtualSize);
  };
  for (const r of roots) fill(r, 0);
  return roots.sort((a, b) => a.chainID.localeCompare(b.chainID));
}
