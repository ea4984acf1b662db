// `commit`: the container's changes (its overlay upper, or a tree diff under vfs) become one new
// layer on top of its image's, with the image config changed by -c/--change, -m and -a.
import { containerEvent } from './events.js';
import { type BigIntStats, lstatSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { Digest } from '../digest/digest.js';
import { BerthError, invalidArgument, notFound } from '../internal/errors.js';
import { type ContainerConfig, type Descriptor, hostPlatform, type ImageConfig, OCI_CONFIG, OCI_LAYER_TAR_GZIP, OCI_MANIFEST, parseImageConfig } from '../image/index.js';
import { createLayerFromOverlayUpper, diffDirectories } from '../layer/index.js';
import { normalizeName, type ImageRecord } from '../store/index.js';
import { referenceFormatError } from '../reference/index.js';
import type { ContainerRecord } from './container.js';
import { isInitOnly } from './files.js';
import { runConfigOf } from './inspect.js';
import { commandOf } from './spec.js';
import type { ContainerHost } from './host.js';
import { lookupContainer } from './state.js';
import { Readable } from 'node:stream';

export interface CommitOptions {
  /** "repo[:tag]"; untagged when absent. */
  reference?: string;
  /**
   * -c/--change, parsed (build/changes.ts parseChanges): applied to the new image's config
   * before any work, so a change that fails leaves nothing behind.
   */
  editConfig?: (config: ContainerConfig) => void;
  message?: string;
  author?: string;
  /** Pause a running container while its layer is made (docker's default). */
  pause?: boolean;
}

/** The container's run config in an image config's terms: docker's null and empty values left out. */
function commitConfigOf(rec: ContainerRecord): NonNullable<ImageConfig['config']> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(runConfigOf(rec))) {
    if (v === null || v === '' || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0)) continue;
    out[k] = v;
  }
  if (rec.spec.stopSignal) out.StopSignal = rec.spec.stopSignal;
  return out as NonNullable<ImageConfig['config']>;
}

/** The entry at `rel` in the topmost of `dirs` that has one. */
function lowerEntry(dirs: string[], rel: string): Stats | undefined {
  for (const d of dirs) {
    try {
      return lstatSync(path.join(d, rel));
    } catch {}
  }
  return undefined;
}


/** Commits the container; returns the new image's record. */
export async function commitContainer(host: ContainerHost, query: string, options: CommitOptions = {}): Promise<ImageRecord> {
  // The reference first, as docker's client checks it before asking for the container.
  let repository: string | undefined;
  let tag: string | undefined;
  if (options.reference) {
    const canonical = normalizeName(options.reference);
    if (!canonical) throw invalidArgument(referenceFormatError(options.reference));
    if (canonical.includes('@')) throw invalidArgument('refusing to create a tag with a digest reference');
    const colon = canonical.lastIndexOf(':');
    repository = canonical.slice(0, colon);
    tag = canonical.slice(colon + 1);
  }
  const rec = await lookupContainer(host, query);
  const store = await host.store();
  const driver = await host.driver();
  // The base: the image's config when there is one, else a bare config over the layers.
  let base: ImageConfig;
  const baseLayers: Descriptor[] = [];
  const diffIDs: Digest[] = [];
  for (const chain of rec.source.layers) {
    const layer = await store.layers.get(chain);
    const form = layer?.compressed[0];
    if (!layer || !form) throw notFound(`cannot commit ${rec.name}: layer ${chain} has no stored blob`);
    baseLayers.push({ mediaType: form.mediaType, digest: form.digest, size: form.size });
    diffIDs.push(layer.diffID);
  }
  if (rec.source.imageId) {
    const image = await store.resolveImage(rec.source.imageId);
    base = parseImageConfig(await store.content.readBlob(image.config.digest));
  } else {
    base = { architecture: hostPlatform().architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} };
  }
  // docker's commit starts from the container's config (the image's with -e, -l, the command
  // and the rest of the container's settings over it; not the image's ONBUILD triggers, which
  // a build consumes), then applies --change.
  const runConfig = commitConfigOf(rec);
  const imageRunConfig: ContainerConfig = { ...(base.config ?? {}), ...runConfig };
  delete imageRunConfig.OnBuild;
  options.editConfig?.(imageRunConfig);
  const runtime = host.runtimeOf(rec);
  const pause = (options.pause ?? true) && rec.state.status === 'running';
  if (pause) await runtime.pause(rec.id);
  try {
    const src = await driver.diff(rec.snapshot);
    // Init entries, and directories that hold nothing else (with the image's mode and owner):
    // leaving them out orphans nothing.
    const lowers = src.kind === 'overlay-upper' ? src.lowers : [src.base];
    const exclude = (rel: string, st: BigIntStats, full: string) => isInitOnly(`/${rel}`, st, full, st.isDirectory() ? lowerEntry(lowers, rel) : undefined);
    const blob = src.kind === 'overlay-upper' ? createLayerFromOverlayUpper(src.upper, src.lowers, { exclude }) : diffDirectories(src.base, src.changed, { exclude });
    return await store.withLease(async (lease) => {
      const sink = store.sink(lease, repository ? { repository } : {});
      let layerDesc: Descriptor;
      try {
        layerDesc = await sink.writeBlob({ mediaType: OCI_LAYER_TAR_GZIP }, blob.stream);
      } finally {
        if (src.kind === 'directory') await src.release();
      }
      const digests = await blob.done;
      const created = new Date().toISOString();
      // It names the container and its config, and the message as the image's comment.
      const config: ImageConfig = {
        ...base,
        created,
        ...(options.author ? { author: options.author } : {}),
        ...(options.message ? { comment: options.message } : {}),
        container: rec.id,
        container_config: runConfig,
        config: imageRunConfig,
        rootfs: { type: 'layers', diff_ids: [...diffIDs, digests.diffID] },
        history: [...(base.history ?? []), { created, created_by: commandOf(rec).join(' '), ...(options.author ? { author: options.author } : {}), ...(options.message ? { comment: options.message } : {}) }],
      };
      const configBytes = Buffer.from(JSON.stringify(config));
      const configDesc = await sink.writeBlob({ mediaType: OCI_CONFIG }, Readable.from([configBytes]));
      const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDesc, layers: [...baseLayers, layerDesc] };
      await sink.writeManifest(Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST, tag);
      const written = sink.written[sink.written.length - 1];
      if (!written) throw new BerthError('internal', `cannot commit ${rec.name}: the store recorded no image`);
      containerEvent(host.runroot, rec, 'commit', { comment: options.message ?? '', imageID: written.id, ...(repository ? { imageName: `${repository}:${tag}` } : {}) });
      return written;
    });
  } finally {
    if (pause) await runtime.resume(rec.id).catch(() => {});
  }
}
