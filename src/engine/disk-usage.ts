// berth system df: what images, containers and volumes take on disk, as docker's four rows
// count it. The sums are pure functions of records (tested alone); diskUsage gathers them.
import type { Hold, ImageRecord, LayerRecord } from '../store/index.js';
import type { ContainerHost } from './host.js';

/** One row of docker's `system df` table, in bytes. */
export interface UsageRow {
  type: 'Images' | 'Containers' | 'Local Volumes' | 'Build Cache';
  total: number;
  active: number;
  size: number;
  reclaimable: number;
}

/**
 * Images: TOTAL the records, ACTIVE those a container holds. SIZE the unique layers of all
 * images (a shared layer once), each at the size the layer store recorded (what `berth images`
 * sums per image). RECLAIMABLE what removing every unused image would free: the layers no
 * used image references.
 */
export function imageUsage(images: ImageRecord[], layers: LayerRecord[], holds: Pick<Hold, 'images'>[]): UsageRow {
  const sizeOf = new Map(layers.map((l) => [l.chainID as string, l.size]));
  const held = new Set<string>(holds.flatMap((h) => h.images));
  const all = new Set<string>();
  const used = new Set<string>();
  let active = 0;
  for (const img of images) {
    const inUse = held.has(img.id);
    if (inUse) active++;
    for (const l of img.layers) {
      all.add(l.chainID);
      if (inUse) used.add(l.chainID);
    }
  }
  const sum = (chains: Iterable<string>) => {
    let n = 0;
    for (const c of chains) n += sizeOf.get(c) ?? 0;
    return n;
  };
  const size = sum(all);
  return { type: 'Images', total: images.length, active, size, reclaimable: size - sum(used) };
}

/** Containers: ACTIVE the running and paused ones; RECLAIMABLE the writable layers of the rest. */
export function containerUsage(containers: { running: boolean; size: number }[]): UsageRow {
  let size = 0;
  let reclaimable = 0;
  for (const c of containers) {
    size += c.size;
    if (!c.running) reclaimable += c.size;
  }
  return { type: 'Containers', total: containers.length, active: containers.filter((c) => c.running).length, size, reclaimable };
}

/** Local Volumes: ACTIVE those a container record names; RECLAIMABLE the _data trees of the rest. */
export function volumeUsage(volumes: { inUse: boolean; size: number }[] = []): UsageRow {
  let size = 0;
  let reclaimable = 0;
  for (const v of volumes) {
    size += v.size;
    if (!v.inUse) reclaimable += v.size;
  }
  return { type: 'Local Volumes', total: volumes.length, active: volumes.filter((v) => v.inUse).length, size, reclaimable };
}

/** docker's reclaimable column: "800kB (66%)", the share an integer, truncated; none for size 0. */
export function percentOf(reclaimable: number, size: number): string {
  return size > 0 ? ` (${Math.trunc((reclaimable * 100) / size)}%)` : '';
}

const ACTIVE_STATUSES = new Set(['running', 'paused', 'restarting']);

/** The Images, Containers and Local Volumes rows of this host (Build Cache: src/build/cache.ts). */
export async function diskUsage(host: ContainerHost): Promise<UsageRow[]> {
  const { listContainers } = await import('./state.js');
  const { containerSize } = await import('./lifecycle.js');
  const store = await host.store();
  const { layers } = await store.layerUsage();
  const images = imageUsage(await store.listImages(), layers, await store.holds());
  const ctrs: { running: boolean; size: number }[] = [];
  const recs = await listContainers(host);
  for (const rec of recs) ctrs.push({ running: ACTIVE_STATUSES.has(rec.state.status), size: await containerSize(host, rec) });
  const [{ usersOf }, { treeSize }] = await Promise.all([import('./volumes.js'), import('../internal/tree-size.js')]);
  const vols = host.volumes.list().map((v) => ({ inUse: usersOf(recs, v.Name).length > 0, size: treeSize(v.Mountpoint, { skipUnreadable: true }) }));
  return [images, containerUsage(ctrs), volumeUsage(vols)];
}
