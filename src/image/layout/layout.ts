// Reading an OCI image layout directory (image-layout.md): oci-layout, index.json and
// blobs/<alg>/<hex>, with images selected by their org.opencontainers.image.ref.name.
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { type Digest, isDigest } from '../../digest/digest.js';
import { BerthError, failedPrecondition, invalidArgument, notFound, unsupported } from '../../internal/errors.js';
import { readAllLimited } from '../blob.js';
import { expectObject, FieldPath, MAX_MANIFEST_SIZE, parseJsonObject } from '../fields.js';
import { type ContentSource, type Image, type Index, isIndexHandle, type ReadOptions } from '../handles.js';
import { isIndexMediaType, OCI_INDEX } from '../mediatype.js';
import { hostPlatform, selectManifest } from '../platform.js';
import { openDescriptor, openManifest } from '../source-handles.js';
import { ANNOTATION_CONTAINERD_IMAGE_NAME, ANNOTATION_REF_NAME, type Descriptor, type ImageIndex, type Platform } from '../types.js';
import { parseManifest } from '../validate.js';
import { DirectoryFiles, type LayoutFiles } from './files.js';
import { blobName, IMAGE_LAYOUT_VERSION, INDEX_FILE, OCI_LAYOUT_FILE } from './paths.js';

export interface SelectOptions extends ReadOptions {
  /** When several entries carry the same name for different platforms; default the host's. */
  platform?: Platform;
}

/** How deep nested indexes are searched for a ref name. */
const MAX_NESTING = 4;

/** An OCI image layout, read-only: a directory, or (OciArchive) a tar of one. Constructing it does no I/O. */
export class OciLayout implements ContentSource {
  readonly dir: string;
  readonly name: string;
  protected readonly files: LayoutFiles;

  constructor(dir: string, files?: LayoutFiles, name?: string) {
    this.dir = path.resolve(dir);
    this.name = name ?? `oci:${this.dir}`;
    this.files = files ?? new DirectoryFiles(this.dir);
  }

  /** Checks the oci-layout marker: present, JSON, version 1.0.0. */
  async checkLayout(): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await this.files.read(OCI_LAYOUT_FILE, MAX_MANIFEST_SIZE);
    } catch (err) {
      throw BerthError.wrap(err, `cannot read OCI layout ${this.name}: no ${OCI_LAYOUT_FILE} file`);
    }
    const obj = parseJsonObject(bytes, `${OCI_LAYOUT_FILE} of ${this.name}`);
    const version = obj.imageLayoutVersion;
    if (version !== IMAGE_LAYOUT_VERSION) {
      throw unsupported(`cannot read OCI layout ${this.name}: imageLayoutVersion ${JSON.stringify(version)} is not ${IMAGE_LAYOUT_VERSION}`);
    }
  }

  /** The exact bytes of index.json. */
  async rawIndex(): Promise<Uint8Array> {
    await this.checkLayout();
    try {
      return await this.files.read(INDEX_FILE, MAX_MANIFEST_SIZE);
    } catch (err) {
      throw BerthError.wrap(err, `cannot read OCI layout ${this.name}: ${INDEX_FILE}`);
    }
  }

  /** index.json, validated as an image index. */
  async indexManifest(): Promise<ImageIndex> {
    const bytes = await this.rawIndex();
    try {
      // index.json may omit mediaType; it is an index by definition.
      const obj = expectObject(parseJsonObject(bytes, INDEX_FILE), new FieldPath(INDEX_FILE, ''));
      return parseManifest(bytes, obj.mediaType === undefined ? OCI_INDEX : undefined).index ?? notAnIndex();
    } catch (err) {
      throw BerthError.wrap(err, `cannot read OCI layout ${this.name}: ${INDEX_FILE}`, 'invalid-argument');
    }
  }

  /** The whole index.json as an Index handle. */
  async asIndex(): Promise<Index> {
    const bytes = await this.rawIndex();
    const h = openManifest(this, bytes, OCI_INDEX, {});
    if (!isIndexHandle(h)) notAnIndex();
    return h;
  }

  async openBlob(desc: Descriptor, options: ReadOptions = {}): Promise<Readable> {
    try {
      return await this.files.open(blobName(desc.digest), options);
    } catch (err) {
      throw BerthError.wrap(err, `cannot read blob ${desc.digest} in ${this.name}`);
    }
  }

  async hasBlob(desc: Descriptor): Promise<boolean> {
    return (await this.files.size(blobName(desc.digest))) === desc.size;
  }

  /** Reads a blob that no descriptor names (a digest given on the command line): size from disk. */
  private async describeBlob(digest: Digest): Promise<Descriptor> {
    const size = await this.files.size(blobName(digest));
    if (size === undefined) throw notFound(`cannot find ${digest} in ${this.name}`);
    if (size > MAX_MANIFEST_SIZE) throw invalidArgument(`${digest} in ${this.name} is too large to be a manifest`);
    const bytes = await readAllLimited(await this.files.open(blobName(digest)), MAX_MANIFEST_SIZE, `${digest} in ${this.name}`);
    const parsed = parseManifest(bytes);
    return { mediaType: parsed.mediaType, digest, size };
  }

  /**
   * The index.json entry for `ref`: a ref name (org.opencontainers.image.ref.name, or a full
   * io.containerd.image.name), a digest, or nothing when the layout holds exactly one entry.
   * Nested indexes are searched too.
   */
  async find(ref?: string, options: SelectOptions = {}): Promise<Descriptor> {
    const index = await this.indexManifest();
    if (ref === undefined || ref === '') {
      if (index.manifests.length === 1) return index.manifests[0];
      if (index.manifests.length === 0) throw notFound(`cannot find an image in ${this.name}: index.json lists none`);
      const names = index.manifests.map((m) => m.annotations?.[ANNOTATION_REF_NAME] ?? m.digest);
      throw invalidArgument(`cannot choose an image in ${this.name}: it holds ${names.length}; name one of ${names.join(', ')}`);
    }
    const digest = ref.startsWith('@') ? ref.slice(1) : ref;
    if (isDigest(digest)) {
      return index.manifests.find((m) => m.digest === digest) ?? (await this.describeBlob(digest as Digest));
    }
    const matches = await this.findNamed(index.manifests, ref, 0);
    if (matches.length === 0) {
      const names = index.manifests.map((m) => m.annotations?.[ANNOTATION_REF_NAME]).filter((n) => n !== undefined);
      throw notFound(`cannot find "${ref}" in ${this.name}: it holds ${names.length ? names.join(', ') : 'no named images'}`);
    }
    if (matches.length === 1) return matches[0];
    if (matches.every((m) => m.platform)) return selectManifest(matches, options.platform ?? hostPlatform());
    throw failedPrecondition(`cannot choose "${ref}" in ${this.name}: ${matches.length} entries carry that name`);
  }

  private async findNamed(entries: Descriptor[], ref: string, depth: number): Promise<Descriptor[]> {
    const own = entries.filter((m) => m.annotations?.[ANNOTATION_REF_NAME] === ref);
    if (own.length) return own;
    const full = entries.filter((m) => m.annotations?.[ANNOTATION_CONTAINERD_IMAGE_NAME] === ref);
    if (full.length || depth >= MAX_NESTING) return full;
    for (const m of entries) {
      if (!isIndexMediaType(m.mediaType)) continue;
      const child = await openDescriptor(this, m);
      if (!isIndexHandle(child)) continue;
      const found = await this.findNamed((await child.indexManifest()).manifests, ref, depth + 1);
      if (found.length) return found;
    }
    return [];
  }

  /** The image or index named `ref` (see find). */
  async open(ref?: string, options: SelectOptions = {}): Promise<Image | Index> {
    return openDescriptor(this, await this.find(ref, options), options);
  }

  /** The image named `ref`; an index is resolved to the image for `options.platform` (default the host's). */
  async image(ref?: string, options: SelectOptions = {}): Promise<Image> {
    let h = await this.open(ref, options);
    for (let depth = 0; isIndexHandle(h); depth++) {
      if (depth > MAX_NESTING) throw invalidArgument(`cannot open "${ref}" in ${this.name}: indexes nested too deep`);
      const chosen = selectManifest(await h.indexManifest(), options.platform ?? hostPlatform());
      h = isIndexMediaType(chosen.mediaType) ? await h.imageIndex(chosen.digest) : await h.image(chosen.digest);
    }
    return h;
  }
}

function notAnIndex(): never {
  throw invalidArgument('index.json is not an image index');
}
