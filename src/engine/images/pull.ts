// berth pull: resolve, fetch the manifest (verified), pick the platform, then download layers in
// parallel and unpack each while it downloads; the image record is written last, or not at all.
import { recordEvent } from '../events.js';
import { PassThrough, Readable } from 'node:stream';
import type { Digest } from '../../digest/digest.js';
import { BerthError, invalidArgument } from '../../internal/errors.js';
import {
  type Descriptor,
  hostPlatform,
  type ImageConfig,
  isIndexMediaType,
  type ParsedManifest,
  type Platform,
  parseImageConfig,
  parseManifest,
  selectManifest,
} from '../../image/index.js';
import { fullString, type PullCandidate, type Reference, familiarText } from '../../reference/index.js';
import { type FetchedManifest, pullManifestFromCandidates, type Repository } from '../../registry/client/index.js';
import { chainIDs, type ImageRecord, type Lease, type Store } from '../../store/index.js';
import { clientPool, insecureFor, pullCandidates, type RemoteOptions, registriesFor } from './remote.js';

/** What a pull reports as it goes, for progress bars or plain lines. */
export type PullEvent =
  | { type: 'resolved'; reference: string; candidates: string[] }
  | { type: 'manifest'; reference: string; digest: Digest; mediaType: string }
  | { type: 'layer'; digest: Digest; phase: 'waiting' | 'exists' | 'downloading' | 'done'; current: number; total: number }
  | { type: 'stored'; id: Digest }
  /** The image (its config) is stored already: its layers are only checked (docker says nothing of them). */
  | { type: 'present'; id: Digest };

export interface PullOptions extends RemoteOptions {
  /** The platform to pick from an index; default the host's. */
  platform?: Platform;
  /** Layers downloaded (and unpacked) at once. Default 3, as docker and skopeo. */
  concurrency?: number;
  onEvent?: (event: PullEvent) => void;
}

export interface PullResult {
  record: ImageRecord;
  /** The fully qualified reference that was pulled ("docker.io/library/busybox:latest"). */
  reference: string;
  /** Digest of the top-level manifest or index fetched. */
  digest: Digest;
}

const CONFIG_LIMIT = 8 * 1024 * 1024;

/** Pulls `input` into the store; nothing appears in the image list unless every part verified. */
export async function pullImage(store: Store, input: string, options: PullOptions = {}): Promise<PullResult> {
  const config = await registriesFor(options);
  const candidates = forceInsecure(pullCandidates(input, config), options);
  options.onEvent?.({ type: 'resolved', reference: input, candidates: candidates.map((c) => fullString(c.reference)) });
  const pool = clientPool(options);
  try {
    const found = await pullManifestFromCandidates(candidates, pool, { signal: options.signal }).catch((err: unknown) => {
      const names = candidates.map((c) => fullString(c.reference));
      if (err instanceof BerthError && names.some((n) => err.message.includes(n))) throw err;
      throw BerthError.wrap(err, `cannot pull ${names.join(' or ')}`);
    });
    const ref = found.candidate.reference;
    const what = `cannot pull ${fullString(ref)}`;
    try {
      const result = await pullFound(store, ref, found.repository, found.manifest, options);
      recordEvent(store.layout.runroot, 'image', 'pull', familiarText(result.reference), { name: familiarText(result.reference) });
      return result;
    } catch (err) {
      // What a failed pull made (layers unpacked, blobs verified) is referenced by nothing once
      // its lease is gone: collect it, so no part of a failed pull lingers in the store.
      await store.prune().catch(() => {});
      throw err instanceof BerthError && err.message.startsWith('cannot ') ? err : BerthError.wrap(err, what);
    }
  } finally {
    pool.close();
  }
}

function forceInsecure(candidates: PullCandidate[], options: RemoteOptions): PullCandidate[] {
  if (options.tlsVerify !== false) return candidates;
  return candidates.map((c) => ({ ...c, endpoints: c.endpoints.map((e) => ({ ...e, insecure: insecureFor(e.insecure, options) })) }));
}

async function pullFound(store: Store, ref: Reference, repo: Repository, top: FetchedManifest, options: PullOptions): Promise<PullResult> {
  const repository = `${ref.registry}/${ref.repository}`;
  options.onEvent?.({ type: 'manifest', reference: fullString(ref), digest: top.digest, mediaType: top.mediaType });
  const topParsed = parseManifest(top.bytes, top.mediaType);
  const want = options.platform ?? hostPlatform();
  // Walk down (possibly nested) indexes to the image for the platform.
  const chain: { fetched: FetchedManifest; parsed: ParsedManifest; entry?: Descriptor }[] = [{ fetched: top, parsed: topParsed }];
  for (let depth = 0; chain[chain.length - 1].parsed.kind === 'index'; depth++) {
    if (depth > 4) throw invalidArgument(`cannot pull ${fullString(ref)}: indexes nest deeper than 4 levels`);
    const parent = chain[chain.length - 1].parsed;
    const entry = selectManifest(parent.index!, want);
    const fetched = await repo.getManifest(entry.digest, { signal: options.signal });
    const parsed = parseManifest(fetched.bytes, fetched.mediaType);
    // The index said one kind of document and the registry served another under that digest.
    if ((parsed.kind === 'index') !== isIndexMediaType(entry.mediaType)) {
      throw invalidArgument(`cannot pull ${fullString(ref)}: index entry ${entry.digest} is ${entry.mediaType} but the manifest is ${parsed.mediaType}`);
    }
    chain.push({ fetched, parsed, entry });
  }
  const image = chain[chain.length - 1];
  const manifest = image.parsed;
  if (!manifest.config || !manifest.manifest) throw invalidArgument(`cannot pull ${fullString(ref)}: the manifest has no config`);
  const configBytes = await readSmallBlob(repo, manifest.config, options.signal);
  const imageConfig = parseImageConfig(configBytes);
  const layers = manifest.manifest.layers;
  const diffIDs = imageConfig.rootfs.diff_ids;
  if (diffIDs.length !== layers.length) {
    throw invalidArgument(`cannot pull ${fullString(ref)}: the manifest has ${layers.length} layers but the config lists ${diffIDs.length} diff_ids`);
  }
  checkPlatform(ref, imageConfig, want, topParsed.kind === 'index');

  if ((await store.images.load()).some((r) => r.config.digest === manifest.config!.digest)) {
    options.onEvent?.({ type: 'present', id: manifest.config.digest });
  }
  return store.withLease(async (lease) => {
    await fetchLayers(store, lease, repo, layers, diffIDs, options);
    await lease.add({ blobs: [manifest.config!.digest] });
    await store.content.ingest(`blob-${manifest.config!.digest}`, Readable.from([configBytes]), {
      expected: { digest: manifest.config!.digest, size: manifest.config!.size },
    });
    const sink = store.sink(lease, { repository, signal: options.signal });
    const tag = ref.tag;
    // The platform image carries the tag; the indexes above it are recorded as its source.
    await sink.writeManifest(image.fetched.bytes, image.parsed.mediaType, tag, { descriptor: image.entry, signal: options.signal });
    for (let i = chain.length - 2; i >= 0; i--) {
      await sink.writeManifest(chain[i].fetched.bytes, chain[i].parsed.mediaType, undefined, { signal: options.signal });
    }
    const record = (await store.images.load()).find((r) => r.manifest.digest === manifest.digest);
    if (!record) throw new BerthError('internal', `cannot pull ${fullString(ref)}: the image record vanished after writing`);
    options.onEvent?.({ type: 'stored', id: record.id });
    return { record, reference: fullString(ref), digest: top.digest };
  });
}

/** An image whose config says another OS or architecture is refused when the user named a platform. */
function checkPlatform(ref: Reference, config: ImageConfig, want: Platform, fromIndex: boolean): void {
  if (fromIndex) return; // the index entry was chosen for the platform already
  if (config.os && config.os !== want.os) {
    throw invalidArgument(`cannot pull ${fullString(ref)}: the image is for ${config.os}/${config.architecture}, not ${want.os}/${want.architecture}`);
  }
}

async function readSmallBlob(repo: Repository, desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
  if (desc.size > CONFIG_LIMIT) throw invalidArgument(`cannot read config ${desc.digest}: ${desc.size} bytes is over the limit of ${CONFIG_LIMIT}`);
  const stream = await repo.getBlob(desc, { signal });
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/**
 * Downloads and unpacks every layer, `concurrency` at a time. Each layer unpacks into its own
 * directory (overlay lowers need no parent), so a layer is unpacked while its bytes arrive:
 * the verified download is split into the content store's ingest and the layer applier; the
 * layer store commits the unpacked tree only if the whole stream verified.
 */
async function fetchLayers(store: Store, lease: Lease, repo: Repository, layers: Descriptor[], diffIDs: Digest[], options: PullOptions): Promise<void> {
  const chains = chainIDs(diffIDs);
  const firstOf = new Map<string, Promise<void>>();
  const emit = options.onEvent;
  const one = async (i: number): Promise<void> => {
    const desc = layers[i];
    const earlier = firstOf.get(desc.digest);
    const mine = (async () => {
      if (earlier) await earlier.catch(() => {});
      const haveBlob = (await lease.add({ blobs: [desc.digest] }, () => store.content.exists(desc.digest))) ?? false;
      let ingest: Promise<unknown> | undefined;
      let source: Readable | undefined;
      let received = 0;
      const open = async (): Promise<Readable> => {
        if (haveBlob) return store.content.reader(desc.digest, { signal: options.signal });
        source = await repo.getBlob(desc, { signal: options.signal });
        emit?.({ type: 'layer', digest: desc.digest, phase: 'downloading', current: 0, total: desc.size });
        source.on('data', (c: Buffer) => {
          received += c.length;
          emit?.({ type: 'layer', digest: desc.digest, phase: 'downloading', current: received, total: desc.size });
        });
        const [toStore, toApply] = tee(source);
        // getBlob's stream fails before its end unless size and digest match: no second hash.
        ingest = store.content.ingest(`blob-${desc.digest}`, toStore, {
          expected: { digest: desc.digest, size: desc.size },
          sourceVerified: true,
          signal: options.signal,
        });
        ingest.catch(() => {});
        return toApply;
      };
      try {
        await store.layers.unpack(lease, {
          diffID: diffIDs[i],
          parent: i === 0 ? undefined : chains[i - 1],
          compressed: { digest: desc.digest, size: desc.size, mediaType: desc.mediaType },
          open,
          signal: options.signal,
        });
      } catch (err) {
        source?.destroy();
        await ingest?.catch(() => {});
        throw err;
      }
      if (ingest) await ingest;
      else if (!haveBlob) {
        // Another pull unpacked this layer already; keep the compressed blob too, for push and save.
        const body = await repo.getBlob(desc, { signal: options.signal });
        await store.content.ingest(`blob-${desc.digest}`, body, { expected: { digest: desc.digest, size: desc.size }, signal: options.signal });
      }
      emit?.({ type: 'layer', digest: desc.digest, phase: haveBlob && !source ? 'exists' : 'done', current: desc.size, total: desc.size });
    })();
    if (!earlier) firstOf.set(desc.digest, mine);
    await mine;
  };
  for (const l of layers) emit?.({ type: 'layer', digest: l.digest, phase: 'waiting', current: 0, total: l.size });
  await runLimited(layers.length, options.concurrency ?? 3, one);
}

/** Splits a stream in two with backpressure from both; a source error reaches both. */
function tee(source: Readable): [PassThrough, PassThrough] {
  const a = new PassThrough({ highWaterMark: 1 << 20 });
  const b = new PassThrough({ highWaterMark: 1 << 20 });
  source.on('error', (err) => {
    a.destroy(err);
    b.destroy(err);
  });
  // Consumers see the error through their own reads; a branch whose consumer already gave up
  // must not turn it into an unhandled 'error' event.
  a.on('error', () => {});
  b.on('error', () => {});
  source.pipe(a);
  source.pipe(b);
  return [a, b];
}

/** Runs fn(0..count-1) with at most `limit` at once; the first failure stops new starts. */
export async function runLimited(count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      const i = next++;
      try {
        await fn(i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, count)) }, worker));
  const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
}
