// berth push: a local image to a registry. Blobs the repository lacks are uploaded (or mounted
// from another repository on the same registry that has them), layers in parallel, the manifest last.
import type { Digest } from '../../digest/digest.js';
import { BerthError, notFound } from '../../internal/errors.js';
import { fullString } from '../../reference/index.js';
import { repoOf, type Store } from '../../store/index.js';
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
  const rec = await store.resolveImage(source);
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
    const blobs = [...rec.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })), { ...rec.config }];
    for (const b of blobs) {
      if (!(await store.content.exists(b.digest))) throw notFound(`${what}: blob ${b.digest} is not in the local store`);
    }
    await runLimited(blobs.length, options.concurrency ?? 3, async (i) => {
      const b = blobs[i];
      options.onEvent?.({ type: 'blob', digest: b.digest, outcome: 'pushing' });
      const result = await repo.pushBlob(b, () => store.content.reader(b.digest, { signal: options.signal }), { mountFrom, signal: options.signal });
      options.onEvent?.({ type: 'blob', digest: b.digest, outcome: result.outcome });
    });
    const bytes = await store.content.readBlob(rec.manifest.digest);
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const digest = await repo.putManifest(bytes, rec.manifest.mediaType, reference, { signal: options.signal });
    return { reference: fullString(ref), digest, size: bytes.length };
  } catch (err) {
    throw err instanceof BerthError && err.message.startsWith('cannot ') ? err : BerthError.wrap(err, what);
  } finally {
    pool.close();
  }
}
