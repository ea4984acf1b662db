// Reading a `docker save` archive (docker 20.10's legacy layout and docker 25+'s OCI-style
// blobs/) as Image handles. The archive file is read in passes, not spooled (see TarFile).
import { Readable } from 'node:stream';
import { type Digest, digestOf, isDigest } from '../../digest/digest.js';
import { BerthError, invalidArgument, notFound } from '../../internal/errors.js';
import { parseImageConfig } from '../config.js';
import { MAX_MANIFEST_SIZE } from '../fields.js';
import type { ContentSource, Image, ReadOptions } from '../handles.js';
import { type Compression, DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_LAYER_TAR, DOCKER_LAYER_ZSTD, DOCKER_MANIFEST } from '../mediatype.js';
import { once, openManifest } from '../source-handles.js';
import { TarFile } from '../tarfile.js';
import type { Descriptor, ImageManifest } from '../types.js';
import { type ParsedManifest, parseManifest } from '../validate.js';
import { type DockerArchiveEntry, MANIFEST_JSON, parseDockerManifest, sameRepoTag } from './format.js';

const LAYER_TYPE: Record<Compression, string> = { none: DOCKER_LAYER_TAR, gzip: DOCKER_LAYER_GZIP, zstd: DOCKER_LAYER_ZSTD };

export interface DockerArchiveImage {
  repoTags: string[];
  /** The config digest: docker's image ID. */
  id: Digest;
  /** Position in manifest.json, for `@N` selection. */
  position: number;
}

/** A docker-archive file on disk. Constructing it does no I/O; the first call scans it once. */
export class DockerArchive implements ContentSource {
  readonly file: string;
  readonly name: string;
  private readonly tar: TarFile;
  /** Blob digest -> member name or bytes, filled as images are described. */
  private readonly blobs = new Map<Digest, string | Buffer>();

  constructor(file: string) {
    this.file = file;
    this.name = `docker-archive:${file}`;
    // Compressed layer files outside blobs/ have no digest in their name: hash them in the scan.
    this.tar = new TarFile(file, this.name, { hash: (name, compression) => compression !== 'none' && !name.startsWith('blobs/') });
  }

  /** The parsed manifest.json. */
  readonly entries = once(async (): Promise<DockerArchiveEntry[]> => {
    const m = await this.tar.find(MANIFEST_JSON);
    if (!m?.body) throw notFound(`cannot read ${this.name}: no ${MANIFEST_JSON} (archives from docker before 1.10 are not supported)`);
    try {
      return parseDockerManifest(m.body);
    } catch (err) {
      throw BerthError.wrap(err, `cannot read ${this.name}`);
    }
  });

  /** The images the archive holds. */
  async images(): Promise<DockerArchiveImage[]> {
    const out: DockerArchiveImage[] = [];
    for (const [position, e] of (await this.entries()).entries()) {
      out.push({ repoTags: e.RepoTags ?? [], id: digestOf(await this.configBytes(e)), position });
    }
    return out;
  }

  private async configBytes(e: DockerArchiveEntry): Promise<Buffer> {
    const m = await this.tar.get(e.Config);
    if (!m.body) throw invalidArgument(`cannot read ${this.name}: config ${e.Config} is not a JSON document under ${MAX_MANIFEST_SIZE} bytes`);
    return m.body;
  }

  /**
   * The image for `ref`: a RepoTag ("busybox", "busybox:latest", "docker.io/library/busybox:latest"),
   * "@N" for the N-th entry (skopeo's syntax), an image ID, or nothing when there is one image.
   */
  async image(ref?: string): Promise<Image> {
    const entries = await this.entries();
    let position: number;
    if (ref === undefined || ref === '') {
      if (entries.length !== 1) {
        const tags = entries.flatMap((e) => e.RepoTags ?? []);
        throw invalidArgument(`cannot choose an image in ${this.name}: it holds ${entries.length}; name one of ${tags.join(', ') || '@0..'}`);
      }
      position = 0;
    } else if (/^@\d+$/.test(ref)) {
      position = Number(ref.slice(1));
      if (position >= entries.length) throw notFound(`cannot find ${ref} in ${this.name}: it holds ${entries.length} images`);
    } else {
      const images = await this.images();
      const id = isDigest(ref) ? ref : /^[a-f0-9]{64}$/.test(ref) ? `sha256:${ref}` : undefined;
      const hit = images.find((i) => i.id === id || i.repoTags.some((t) => sameRepoTag(t, ref)));
      if (!hit) throw notFound(`cannot find "${ref}" in ${this.name}: it holds ${images.flatMap((i) => i.repoTags).join(', ') || 'untagged images'}`);
      position = hit.position;
    }
    return this.describe(entries[position]);
  }

  /** The manifest for one entry: the original one when docker 25+ kept it, else a schema 2 one. */
  private async describe(e: DockerArchiveEntry): Promise<Image> {
    const configBytes = await this.configBytes(e);
    const config = parseImageConfig(configBytes);
    const configDigest = digestOf(configBytes);
    this.blobs.set(configDigest, configBytes);
    const diffIDs = config.rootfs.diff_ids;
    if (diffIDs.length !== e.Layers.length) {
      throw invalidArgument(`cannot read ${this.name}: ${e.Layers.length} layers but ${diffIDs.length} diff_ids in config ${e.Config}`);
    }
    const original = await this.originalManifest(configDigest, e);
    if (original) return openManifest(this, original.bytes, original.mediaType) as Image;

    const layers: Descriptor[] = [];
    for (const [i, name] of e.Layers.entries()) {
      const m = await this.tar.get(name);
      const compression = m.compression ?? 'none';
      const fromPath = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(m.name);
      const digest = fromPath ? (`sha256:${fromPath[1]}` as Digest) : compression === 'none' ? diffIDs[i] : m.digest!;
      this.blobs.set(digest, m.name);
      layers.push({ mediaType: LAYER_TYPE[compression], digest, size: m.size });
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: DOCKER_CONFIG, digest: configDigest, size: configBytes.byteLength },
      layers,
    };
    return openManifest(this, Buffer.from(JSON.stringify(manifest)), DOCKER_MANIFEST) as Image;
  }

  /** docker 25+ keeps the pulled manifest in blobs/; using it keeps the image's digest. */
  private async originalManifest(configDigest: Digest, e: DockerArchiveEntry): Promise<{ bytes: Buffer; mediaType: string } | undefined> {
    for (const m of (await this.tar.members()).values()) {
      if (!m.body || !m.name.startsWith('blobs/')) continue;
      let parsed: ParsedManifest;
      try {
        parsed = parseManifest(m.body);
      } catch {
        continue;
      }
      if (parsed.kind !== 'manifest' || parsed.config?.digest !== configDigest) continue;
      const layers = parsed.manifest!.layers;
      if (layers.length !== e.Layers.length) continue;
      const names = layers.map((l) => `blobs/${l.digest.replace(':', '/')}`);
      if (!(await Promise.all(names.map((n) => this.tar.find(n)))).every((x) => x)) continue;
      layers.forEach((l, i) => {
        this.blobs.set(l.digest, names[i]);
      });
      return { bytes: m.body, mediaType: parsed.mediaType };
    }
    return undefined;
  }

  async openBlob(desc: Descriptor, options: ReadOptions = {}): Promise<Readable> {
    const where = this.blobs.get(desc.digest);
    if (where === undefined) throw notFound(`blob ${desc.digest} is not in ${this.name}`);
    if (typeof where !== 'string') return Readable.from([where]);
    return this.tar.open(where, options);
  }
}
