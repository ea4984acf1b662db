// What a container's rootfs is made of: an image (by name or ID) or any layer that
// `berth image tree` shows (a chain ID or its prefix), with the image config's process settings.
import type { Digest } from '../digest/digest.js';
import { BerthError, invalidArgument, notFound } from '../internal/errors.js';
import { parseImageConfig } from '../image/config.js';
import { formatPlatform, parsePlatform, platformSatisfies } from '../image/platform.js';
import type { ContainerConfig, Platform } from '../image/types.js';
import { familiarString, parseNormalizedReference, withDefaultTag } from '../reference/index.js';
import type { ImageRecord, LayerRecord, Store } from '../store/index.js';
import type { PullEvent } from './images/index.js';
import type { RootfsSource } from './container.js';
import type { ContainerHost } from './host.js';

/** What reading an image needs: the Catalog (lean) or the Store's content. */
interface ImageSource {
  resolveImage(query: string): Promise<ImageRecord>;
  readBlob(digest: Digest): Promise<Buffer>;
}

export interface ResolveSourceOptions {
  /** "missing" (default): pull when not stored; "never": fail; "always": pull first. */
  pull?: 'missing' | 'never' | 'always';
  /** --platform "os/arch[/variant]": a stored image for another platform counts as missing. */
  platform?: string;
  signal?: AbortSignal;
  /** Told of a pull when the image is not stored: what docker's run shows on stderr. */
  pullObserver?: PullObserver;
}

export interface PullObserver {
  /** Not stored (or not for the platform asked): the pull starts. */
  missing(query: string): void;
  event(e: PullEvent): void;
  pulled(result: { reference: string; digest: Digest }): void;
}

/** Finds the image or layer; pulls a missing image through src/engine/images when allowed. */
export async function resolveSource(host: ContainerHost, query: string, options: ResolveSourceOptions = {}): Promise<RootfsSource> {
  const pull = options.pull ?? 'missing';
  const platform = options.platform === undefined ? undefined : parsePlatform(options.platform);
  if (pull !== 'always') {
    // The common case, an image by name or ID, needs only the image records.
    const image = await findImage(host.catalog, query);
    if (image) {
      const { source, platform: have } = await fromImage(host.catalog, image);
      if (!platform || platformSatisfies(have, platform)) return source;
      // docker: the stored image is for another platform; a pull may find the one asked for.
      if (pull === 'never' || !looksPullable(query)) {
        throw notFound(
          `cannot create container: image "${query}" was found but does not match the specified platform: wanted ${formatPlatform(platform)}, actual: ${formatPlatform(have)}`,
        );
      }
    } else {
      const store = await host.store();
      const layer = await findLayer(store, query);
      if (layer) return fromLayer(store, layer);
      // dockerd's words: the name as its client sent it, with the default tag.
      if (pull === 'never') throw notFound(`No such image: ${familiarWithTag(query)}`);
    }
  }
  const store = await host.store();
  const observer = options.pullObserver;
  let pulled: ImageRecord;
  try {
    const { pullImage } = await import('./images/index.js');
    observer?.missing(query);
    const result = await pullImage(store, query, { signal: options.signal, ...(platform ? { platform } : {}), ...(observer ? { onEvent: (e) => observer.event(e) } : {}) });
    observer?.pulled(result);
    pulled = result.record;
  } catch (err) {
    if (err instanceof BerthError && err.kind === 'invalid-argument') {
      throw notFound(`cannot create container: image "${query}" not known locally, and it is no reference to pull: ${err.message}`);
    }
    throw BerthError.wrap(err, `cannot create container: image "${query}" not known locally, and the pull failed`);
  }
  return (await fromImage(host.catalog, pulled)).source;
}

/** docker's name of an image asked for: familiar, with the default tag when none is given ("busybox:latest"). */
function familiarWithTag(query: string): string {
  try {
    return familiarString(withDefaultTag(parseNormalizedReference(query)));
  } catch {
    return query;
  }
}

async function findImage(store: ImageSource, query: string): Promise<ImageRecord | undefined> {
  try {
    return await store.resolveImage(query);
  } catch (err) {
    if (err instanceof BerthError && (err.kind === 'not-found' || err.kind === 'invalid-argument')) return undefined;
    throw err;
  }
}

/** A chain ID ("sha256:<hex>", "<hex>" or a unique prefix of 4+ hex digits). */
async function findLayer(store: Store, query: string): Promise<LayerRecord | undefined> {
  const hex = query.replace(/^sha256:/, '');
  if (!/^[0-9a-f]{4,64}$/.test(hex)) return undefined;
  const hits = (await store.layers.list()).filter((l) => l.chainID.slice(7).startsWith(hex));
  if (hits.length > 1) throw invalidArgument(`ambiguous layer ID "${query}": ${hits.length} layers match; give more digits`);
  return hits[0];
}

async function readConfig(store: Pick<ImageSource, 'readBlob'>, image: ImageRecord): Promise<{ config: ContainerConfig; platform: Platform }> {
  const c = parseImageConfig(await store.readBlob(image.config.digest));
  return { config: c.config ?? {}, platform: { os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) } };
}

/** An image ID (or its prefix) names a stored image only: nothing to pull for another platform. */
function looksPullable(query: string): boolean {
  return !/^(sha256:)?[0-9a-f]{4,64}$/.test(query);
}

function processOf(c: ContainerConfig, withCommand: boolean): RootfsSource['config'] {
  return {
    ...(withCommand && c.Entrypoint ? { entrypoint: [...c.Entrypoint] } : {}),
    ...(withCommand && c.Cmd ? { cmd: [...c.Cmd] } : {}),
    ...(c.Env ? { env: [...c.Env] } : {}),
    ...(c.WorkingDir ? { workingDir: c.WorkingDir } : {}),
    ...(c.User ? { user: c.User } : {}),
    ...(c.StopSignal ? { stopSignal: c.StopSignal } : {}),
    ...(c.Labels ? { labels: { ...c.Labels } } : {}),
    ...(c.Volumes && Object.keys(c.Volumes).length > 0 ? { volumes: Object.keys(c.Volumes) } : {}),
    ...(c.ExposedPorts && Object.keys(c.ExposedPorts).length > 0 ? { exposedPorts: Object.keys(c.ExposedPorts) } : {}),
    ...(c.Healthcheck && typeof c.Healthcheck === 'object' ? { healthcheck: imageHealthcheck(c.Healthcheck) } : {}),
  };
}

/** The image's HEALTHCHECK, its fields checked for type (the config is untrusted). */
function imageHealthcheck(h: NonNullable<ContainerConfig['Healthcheck']>): NonNullable<RootfsSource['config']['healthcheck']> {
  const out: NonNullable<RootfsSource['config']['healthcheck']> = {};
  if (Array.isArray(h.Test) && h.Test.every((t) => typeof t === 'string')) out.Test = [...h.Test];
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    const v = h[k];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) out[k] = v;
  }
  return out;
}

/** The rootfs source of an image, and the platform its config names. */
async function fromImage(store: ImageSource, image: ImageRecord): Promise<{ source: RootfsSource; platform: Platform }> {
  const { config, platform } = await readConfig(store, image);
  const source = { imageId: image.id, imageName: image.names[0] ?? image.id, layers: image.layers.map((l) => l.chainID), config: processOf(config, true) };
  return { source, platform };
}

/**
 * A container from an intermediate layer: the layers up to it, and the settings of an image
 * built on it. Its command only when that image ends at this layer (a lower step's command
 * is not known), so otherwise the user names one.
 */
async function fromLayer(store: Store, layer: LayerRecord): Promise<RootfsSource> {
  const byChain = new Map((await store.layers.list()).map((l) => [l.chainID, l]));
  const layers: Digest[] = [];
  for (let cur: LayerRecord | undefined = layer; cur; cur = cur.parent ? byChain.get(cur.parent) : undefined) {
    layers.unshift(cur.chainID);
    if (layers.length > 1000) throw invalidArgument(`cannot use layer ${layer.chainID}: its parent chain loops`);
    if (cur.parent && !byChain.has(cur.parent)) throw notFound(`cannot use layer ${layer.chainID}: parent ${cur.parent} is missing`);
  }
  const images = await store.listImages();
  const top = images.find((i) => i.layers[i.layers.length - 1]?.chainID === layer.chainID);
  const containing = top ?? images.find((i) => i.layers.some((l) => l.chainID === layer.chainID));
  const config = containing ? processOf((await readConfig(store.content, containing)).config, top !== undefined) : {};
  return { ...(top ? { imageId: top.id } : {}), imageName: layer.chainID, layers, config };
}
