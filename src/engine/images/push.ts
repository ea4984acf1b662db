// berth push: a local image to a registry. Blobs the repository lacks are uploaded (or mounted
// from another repository on the same registry that has them), layers in parallel, the manifest last.
import { pipeline } from 'node:stream';
import type { Digest } from '../../digest/digest.js';
import { BerthError, notFound } from '../../internal/errors.js';
import { compressor, type Descriptor, isNondistributable, layerCompression, layerMediaTypeWith, parseManifest } from '../../image/index.js';
import { fullString } from '../../reference/index.js';
import { type ImageRecord, type Lease, repoOf, type Store } from '../../store/index.js';
import { runLimited } from './pull.js';
import { clientPool, insecureFor, pushTarget, type RemoteOptions, registriesFor } from './remote.js';

export type PushEvent =
  | { type: 'target'; repository: string; reference: string }
  | { type: 'blob'; digest: Digest; outcome: 'exists' | 'mounted' | 'uploaded' | 'pushing' };

export interface PushOptions extends RemoteOptions {
  concurrency?: number;
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
  const rec = await store.resolveImage(source).catch((err: unknown) => {
    throw BerthError.wrap(err, `cannot push ${source}`);
  });
  const config = await registriesFor(options);
  const target = pushTarget(destination ?? source, config);
  const ref = target.reference;
  const what = `cannot push ${fullString(ref)}`;
  const pool = clientPool(options);
  try {
    const client = pool.client(ref.registry, insecureFor(target.insecure, options));
    const repo = client.repository(ref.repository, { displayName: `${ref.registry}/${ref.repository}` });
    options.onEvent?.({ type: 'target', repository: `${ref.registry}/${ref.repository}`, reference: fullString(ref) });
    // Another repository of the same registry that holds this image: blobs mount from there.
    const sameHost = [...rec.names, ...rec.digests].map(repoOf).find((r) => r.startsWith(`${ref.registry}/`) && r !== `${ref.registry}/${ref.repository}`);
    const mountFrom = sameHost?.slice(ref.registry.length + 1);
    const { bytes, mediaType } = await store.withLease(async (lease) => {
      const { layers, manifest, mediaType } = await distributable(store, lease, rec, options.signal);
      // Foreign layers stay where their URLs point (image-spec: nondistributable content).
      const blobs: Descriptor[] = [...layers.filter((l) => !(isNondistributable(l.mediaType) && l.urls?.length)), rec.config];
      for (const b of blobs) {
        if (!(await store.content.exists(b.digest))) throw notFound(`${what}: blob ${b.digest} is not in the local store`);
      }
      await runLimited(blobs.length, options.concurrency ?? 3, async (i) => {
        const b = blobs[i];
        options.onEvent?.({ type: 'blob', digest: b.digest, outcome: 'pushing' });
        const result = await repo.pushBlob(b, () => store.content.reader(b.digest, { signal: options.signal }), { mountFrom, signal: options.signal });
        options.onEvent?.({ type: 'blob', digest: b.digest, outcome: result.outcome });
      });
      return { bytes: manifest, mediaType };
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
