// berth system df: what images, containers and volumes take on disk, as docker's four rows
// count it. The sums are pure functions of records (tested alone); diskUsageDetail gathers them.
import { type Hold, type ImageRecord, imageCreatedMs, type LayerRecord } from '../store/index.js';
import { type ContainerRecord, isActive } from './container.js';
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

/**
 * docker's SHARED SIZE of `system df -v`, per image: the bytes of its layers that another
 * image has too (each at the size the layer store recorded). UNIQUE SIZE is the rest.
 */
export function sharedSizes(images: ImageRecord[], layers: LayerRecord[]): Map<string, number> {
  const sizeOf = new Map(layers.map((l) => [l.chainID as string, l.size]));
  const imagesOf = new Map<string, number>();
  for (const img of images) for (const c of new Set(img.layers.map((l) => l.chainID as string))) imagesOf.set(c, (imagesOf.get(c) ?? 0) + 1);
  const out = new Map<string, number>();
  for (const img of images) {
    let shared = 0;
    for (const c of new Set(img.layers.map((l) => l.chainID as string))) if ((imagesOf.get(c) ?? 0) > 1) shared += sizeOf.get(c) ?? 0;
    out.set(img.id, shared);
  }
  return out;
}

/** What `system df -v` lists: each image, container and volume with its bytes. */
export interface UsageDetail {
  /** The summary rows (Images, Containers, Local Volumes). */
  rows: UsageRow[];
  images: { record: ImageRecord; shared: number; containers: number }[];
  containers: { record: ContainerRecord; size: number; volumes: number }[];
  volumes: { name: string; links: number; size: number }[];
}

/** The Images, Containers and Local Volumes of this host, each measured (Build Cache: src/build/cache.ts). */
export async function diskUsageDetail(host: ContainerHost): Promise<UsageDetail> {
  const { listContainers } = await import('./state.js');
  const { containerSize } = await import('./lifecycle.js');
  const store = await host.store();
  const { layers } = await store.layerUsage();
  const imageRecords = await store.listImages();
  const images = imageUsage(imageRecords, layers, await store.holds());
  const recs = await listContainers(host);
  const containers: UsageDetail['containers'] = [];
  for (const rec of recs) {
    containers.push({ record: rec, size: await containerSize(host, rec), volumes: (rec.spec.mounts ?? []).filter((m) => m.type === 'volume').length });
  }
  const [{ usersOf }, { treeSize }] = await Promise.all([import('./volumes.js'), import('../internal/tree-size.js')]);
  const volumes = host.volumes.list().map((v) => ({ name: v.Name, links: usersOf(recs, v.Name).length, size: treeSize(v.Mountpoint, { skipUnreadable: true }) }));
  const shared = sharedSizes(imageRecords, layers);
  const containersOf = new Map<string, number>();
  for (const rec of recs) if (rec.source.imageId) containersOf.set(rec.source.imageId, (containersOf.get(rec.source.imageId) ?? 0) + 1);
  return {
    rows: [
      images,
      containerUsage(containers.map((c) => ({ running: isActive(c.record.state.status), size: c.size }))),
      volumeUsage(volumes.map((v) => ({ inUse: v.links > 0, size: v.size }))),
    ],
    // Newest first, as dockerd lists them.
    images: imageRecords
      .map((record) => ({ record, shared: shared.get(record.id) ?? 0, containers: containersOf.get(record.id) ?? 0 }))
      .sort((a, b) => imageCreatedMs(b.record) - imageCreatedMs(a.record)),
    containers,
    volumes,
  };
}
