// The few store reads and writes a container start needs (resolve an image, read its config,
// hold and release it), through the store's own small modules: `run` does not load the
// layer applier, the image formats and the content ingester that opening the whole Store does.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { type Digest, parseDigest } from '../digest/digest.js';
import { resourceExhausted } from '../internal/errors.js';
import { parseNormalizedReference } from '../reference/normalize.js';
import { fullString, withTag } from '../reference/reference.js';
import { type HoldOptions, Holds, type HoldRefs } from '../store/holds.js';
import { type ImageRecord, ImageRecords } from '../store/images.js';
import { StoreLayout } from '../store/layout.js';
import { withLock } from '../store/lock.js';

/** A config is a small JSON document; the store's own limit. */
const MAX_CONFIG = 4 * 1024 * 1024;

/** docker's reading of a name, as the store's normalizeName: "busybox" -> "docker.io/library/busybox:latest". */
function normalize(query: string): string | undefined {
  try {
    const ref = parseNormalizedReference(query);
    return fullString(ref.tag === undefined && ref.digest === undefined ? withTag(ref, 'latest') : ref);
  } catch {
    return undefined;
  }
}

export class Catalog {
  readonly layout: StoreLayout;
  readonly #images: ImageRecords;
  readonly #holds: Holds;

  constructor(root: string, runroot: string) {
    this.layout = new StoreLayout(root, runroot);
    this.#images = new ImageRecords(this.layout);
    this.#holds = new Holds(this.layout);
  }

  resolveImage(query: string): Promise<ImageRecord> {
    return this.#images.resolve(query, { normalize });
  }

  listImages(): Promise<ImageRecord[]> {
    return this.#images.load();
  }

  async readBlob(digest: Digest): Promise<Buffer> {
    const file = this.layout.blobPath(parseDigest(digest));
    const st = statSync(file);
    if (st.size > MAX_CONFIG) throw resourceExhausted(`cannot read blob ${digest}: ${st.size} bytes exceeds the limit of ${MAX_CONFIG}`);
    return readFileSync(file);
  }

  /** Store.hold's protocol: holds.json rewritten under the store's metadata lock. */
  async hold(holder: string, refs: HoldRefs, options: HoldOptions = {}): Promise<void> {
    mkdirSync(this.layout.locksDir, { recursive: true, mode: 0o700 });
    await withLock(this.layout.metadataLock, {}, () => this.#holds.set(holder, refs, options));
  }

  async release(holder: string): Promise<void> {
    await withLock(this.layout.metadataLock, {}, () => this.#holds.remove(holder));
  }
}
