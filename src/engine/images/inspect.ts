// Local image details: docker's `image inspect` document and `history` rows, built from the
// image record, its config and the layer store (sizes per layer).
import type { Digest } from '../../digest/digest.js';
import { EMPTY_CONTAINER_CONFIG, type History, type ImageConfig } from '../../image/index.js';
import type { ImageRecord, Store } from '../../store/index.js';
import { familiarText } from '../../reference/index.js';
import { imageConfigOf } from './list.js';

/** The fields docker prints for `docker image inspect` (those berth knows). */
export interface ImageInspect {
  Id: Digest;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container: string;
  ContainerConfig: ImageConfig['config'] | null;
  DockerVersion: string;
  Author: string;
  Config: ImageConfig['config'] | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  VirtualSize: number;
  RootFS: { Type: string; Layers: Digest[] };
  Metadata: { LastTagTime: string };
  /** berth's extras: what the store holds. */
  Digest: Digest;
  ManifestMediaType: string;
  Labels: Record<string, string> | null;
  GraphDriver?: { Data: Record<string, string> | null; Name: string };
}

/**
 * docker's image Config and ContainerConfig: every field of its container.Config struct that it
 * prints with its zero value ("" / false / null), then the image's own values over them.
 */
function dockerRunConfig(c: Record<string, unknown> | null | undefined): Record<string, unknown> {
  return { ...EMPTY_CONTAINER_CONFIG, ...(c ?? {}) };
}

/** `driver`: the graph driver's name, for docker's GraphDriver of the image (left out without it). */
export async function inspectImage(store: Store, query: string, driver?: string): Promise<ImageInspect> {
  const rec = await store.resolveImage(query);
  return inspectRecord(store, rec, driver);
}

/**
 * docker's GraphDriver of an image: overlay's UpperDir, its top layer's unpacked tree, and
 * LowerDir, the layers under it top first (the trees a container's overlay mounts); none for
 * vfs, as docker's vfs has none.
 */
function imageGraphDriver(store: Store, rec: ImageRecord, driver: string): ImageInspect['GraphDriver'] {
  if (driver !== 'overlay' || rec.layers.length === 0) return { Data: null, Name: driver };
  const dirs = rec.layers.map((l) => store.layout.layerDiffPath(l.chainID)).reverse();
  const [upper, ...lower] = dirs;
  return { Data: { ...(lower.length ? { LowerDir: lower.join(':') } : {}), UpperDir: upper }, Name: driver };
}

export async function inspectRecord(store: Store, rec: ImageRecord, driver?: string): Promise<ImageInspect> {
  const config = await imageConfigOf(store, rec);
  return {
    Id: rec.id,
    // docker's familiar names ("bench/busybox:latest", not "docker.io/bench/busybox:latest").
    RepoTags: rec.names.map(familiarText),
    RepoDigests: rec.digests.map(familiarText),
    Parent: '',
    Comment: config?.comment ?? '',
    Created: config?.created ?? rec.created ?? '',
    // docker's: the container an image was committed from, and its config.
    Container: config?.container ?? '',
    ContainerConfig: dockerRunConfig(config?.container_config as Record<string, unknown> | undefined),
    DockerVersion: config?.docker_version ?? '',
    Author: config?.author ?? '',
    Config: dockerRunConfig(config?.config as Record<string, unknown> | undefined),
    Architecture: config?.architecture ?? rec.platform?.architecture ?? '',
    ...(config?.variant ? { Variant: config.variant } : {}),
    Os: config?.os ?? rec.platform?.os ?? '',
    Size: rec.size,
    VirtualSize: rec.size,
    ...(driver ? { GraphDriver: imageGraphDriver(store, rec, driver) } : {}),
    RootFS: { Type: 'layers', Layers: rec.layers.map((l) => l.diffID) },
    Metadata: { LastTagTime: rec.addedAt },
    Digest: rec.manifest.digest,
    ManifestMediaType: rec.manifest.mediaType,
    Labels: config?.config?.Labels ?? null,
  };
}

export interface HistoryRow {
  /** The layer's chain ID for entries that made one, else "<missing>". */
  id: string;
  created?: string;
  createdBy: string;
  size: number;
  comment: string;
  emptyLayer: boolean;
}

/** The config's history, newest first, each non-empty entry paired with its layer's size. */
export async function imageHistory(store: Store, query: string): Promise<HistoryRow[]> {
  const rec = await store.resolveImage(query);
  const config = await imageConfigOf(store, rec);
  const sizes: number[] = [];
  for (const l of rec.layers) sizes.push((await store.layers.get(l.chainID))?.size ?? 0);
  const history: History[] = config?.history ?? rec.layers.map(() => ({}));
  const rows: HistoryRow[] = [];
  let layer = 0;
  for (const h of history) {
    const empty = h.empty_layer === true;
    const idx = empty ? -1 : layer++;
    rows.push({
      id: idx === rec.layers.length - 1 ? rec.id : '<missing>',
      created: h.created,
      createdBy: h.created_by ?? '',
      size: idx >= 0 ? (sizes[idx] ?? 0) : 0,
      comment: h.comment ?? '',
      emptyLayer: empty,
    });
  }
  return rows.reverse();
}
