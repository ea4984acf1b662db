// berth push: a local image to a registry. Blobs the repository lacks are uploaded (or mounted
// from another repository on the same registry that has them), layers in parallel, the manifest last.
import { recordEvent } from '../events.js';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream';
import type { Digest } from '../../digest/digest.js';
import { BerthError, isBerthError, notFound } from '../../internal/errors.js';
import { compressor, type Descriptor, isNondistributable, layerCompression, layerMediaTypeWith, parseManifest, formatPlatform } from '../../image/index.js';
import { fullString, familiarText } from '../../reference/index.js';
import { type ImageRecord, type Lease, normalizeName, repoOf, type Store } from '../../store/index.js';
import { runLimited } from './pull.js';
import { clientPool, insecureFor, pushTarget, type RemoteOptions, registriesFor } from './remote.js';

export type PushEvent =
  | { type: 'target'; repository: string; reference: string }
  /** `layer`: the layer's diff ID (docker's output names layers by it); none for the config. */
  | { type: 'blob'; digest: Digest; layer?: Digest; outcome: 'exists' | 'mounted' | 'uploaded' | 'pushing' };

export interface PushOptions extends RemoteOptions {
  concurrency?: number;
  /**
   * The image was pulled from an index (manifest list): push the index and every image it lists
   * (each must be stored, e.g. pulled with --platform all), not only this platform's image.
   */
  all?: boolean;
  onEvent?: (e: PushEvent) => void;
}

export interface PushResult {
  reference: string;
  /** Digest of the manifest as pushed. */
  digest: Digest;
  size: number;
}

/** Pushes the local image `source` to `destination` (default: the same name). */
export async function pushImage(store: Store, source: string, destination: string | undefined, options: PushOptions = {}): Promise<PushResult> {
  const result = await pushOnce(store, source, destination, options);
  recordEvent(store.layout.runroot, 'image', 'push', familiarText(result.reference), { name: familiarText(result.reference) });
  return result;
}

async function pushOnce(store: Store, source: string, destination: string | undefined, options: PushOptions = {}): Promise<PushResult> {
  const config = await registriesFor(options);
  const target = pushTarget(destination ?? source, config);
  const ref = target.reference;
  const what = `cannot push ${fullString(ref)}`;
  options.onEvent?.({ type: 'target', repository: `${ref.registry}/${ref.repository}`, reference: fullString(ref) });
  const rec = await store.resolveImage(source).catch((err: unknown) => {
    // docker's words for a name not stored: "tag does not exist: NAME:TAG".
    if (isBerthError(err, 'not-found')) throw notFound(`tag does not exist: ${familiarText(normalizeName(source) ?? source)}`);
    throw BerthError.wrap(err, `cannot push ${source}`);
  });
  const pool = clientPool(options);
  try {
    const client = pool.client(ref.registry, insecureFor(target.insecure, options));
    const repo = client.repository(ref.repository, { displayName: `${ref.registry}/${ref.repository}` });
    // Another repository of the same registry that holds this image: blobs mount from there.
    const sameHost = [...rec.names, ...rec.digests].map(repoOf).find((r) => r.startsWith(`${ref.registry}/`) && r !== `${ref.registry}/${ref.repository}`);
    const mountFrom = sameHost?.slice(ref.registry.length + 1);
    const pushOne = async (lease: Lease, image: ImageRecord) => {
      const { layers, manifest, mediaType } = await distributable(store, lease, image, options.signal);
      // Foreign layers stay where their URLs point (image-spec: nondistributable content).
      const blobs: { desc: Descriptor; layer?: Digest }[] = [
        ...layers.flatMap((l, i) => (isNondistributable(l.mediaType) && l.urls?.length ? [] : [{ desc: l, ...(image.layers[i] ? { layer: image.layers[i].diffID } : {}) }])),
        { desc: image.config },
      ];
      for (const { desc } of blobs) {
        if (!(await store.content.exists(desc.digest))) throw notFound(`${what}: blob ${desc.digest} is not in the local store`);
      }
      await runLimited(blobs.length, options.concurrency ?? 3, async (i) => {
        const { desc: b, layer } = blobs[i];
        const about = { type: 'blob', digest: b.digest, ...(layer ? { layer } : {}) } as const;
        options.onEvent?.({ ...about, outcome: 'pushing' });
        const result = await repo.pushBlob(b, () => store.content.reader(b.digest, { signal: options.signal }), { mountFrom, signal: options.signal });
        options.onEvent?.({ ...about, outcome: result.outcome });
      });
      return { bytes: manifest, mediaType };
    };
    const { bytes, mediaType } = await store.withLease(async (lease) => {
      if (!options.all || !rec.index) return pushOne(lease, rec);
      return pushIndex(store, rec.index, what, async (child) => {
        const pushed = await pushOne(lease, child);
        // Each image goes up by digest first: a registry refuses an index whose images it lacks.
        const digest = await repo.putManifest(pushed.bytes, pushed.mediaType, digestOfBytes(pushed.bytes), { signal: options.signal });
        return { digest, size: pushed.bytes.length };
      });
    });
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const digest = await repo.putManifest(bytes, mediaType, reference, { signal: options.signal });
    return { reference: fullString(ref), digest, size: bytes.length };
  } catch (err) {
    throw err instanceof BerthError && err.message.startsWith('cannot ') ? err : BerthError.wrap(err, what);
  } finally {
    pool.close();
  }
}

/**
 * Pushes (through `pushChild`) every image an index lists and returns the index to put last; it
 * is rewritten only when an image's manifest changed on the way (layers gzipped for the push).
 */
async function pushIndex(
  store: Store,
  index: Descriptor,
  what: string,
  pushChild: (rec: ImageRecord) => Promise<{ digest: Digest; size: number }>,
): Promise<{ bytes: Uint8Array; mediaType: string }> {
  const raw = await store.content.readBlob(index.digest);
  const parsed = parseManifest(raw, index.mediaType);
  const entries = parsed.index?.manifests ?? [];
  const images = await store.listImages();
  let changed = false;
  const pushed: Descriptor[] = [];
  for (const entry of entries) {
    const child = images.find((i) => i.manifest.digest === entry.digest);
    if (!child) {
      const platform = entry.platform ? formatPlatform(entry.platform) : 'unknown platform';
      throw notFound(`${what}: the index lists ${entry.digest} (${platform}), which is not in the local store; pull it with --platform all`);
    }
    const result = await pushChild(child);
    if (result.digest !== entry.digest) changed = true;
    pushed.push({ ...entry, digest: result.digest, size: result.size });
  }
  if (!changed) return { bytes: raw, mediaType: parsed.mediaType };
  const doc = JSON.parse(Buffer.from(raw).toString('utf8')) as Record<string, unknown>;
  return { bytes: Buffer.from(JSON.stringify({ ...doc, manifests: pushed })), mediaType: parsed.mediaType };
}

function digestOfBytes(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

/**
 * The layers and manifest to send. Uncompressed layers (from docker-archive loads and imports
 * of plain tars) are gzipped first, as docker does on push; the manifest is then rewritten.
 */
async function distributable(store: Store, lease: Lease, rec: ImageRecord, signal?: AbortSignal): Promise<{ layers: Descriptor[]; manifest: Uint8Array; mediaType: string }> {
  const raw = await store.content.readBlob(rec.manifest.digest);
  const parsed = parseManifest(raw, rec.manifest.mediaType);
  const doc = parsed.manifest!;
  if (!doc.layers.some((l) => layerCompression(l.mediaType) === 'none' && !isNondistributable(l.mediaType))) {
    return { layers: doc.layers, manifest: raw, mediaType: parsed.mediaType };
  }
  const sink = store.sink(lease, { signal });
  const layers: Descriptor[] = [];
  for (const l of doc.layers) {
    if (layerCompression(l.mediaType) !== 'none' || isNondistributable(l.mediaType)) {
      layers.push(l);
      continue;
    }
    const mediaType = layerMediaTypeWith(l.mediaType, 'gzip');
    const body = pipeline(await store.content.reader(l.digest, { signal }), compressor('gzip'), () => {});
    const written = await sink.writeBlob({ mediaType }, body, { signal });
    layers.push({ ...l, mediaType, digest: written.digest, size: written.size });
  }
  const manifest = Buffer.from(JSON.stringify({ ...doc, layers }));
  return { layers, manifest, mediaType: parsed.mediaType };
}
