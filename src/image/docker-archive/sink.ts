// Writing a `docker save` archive that docker 20.10's `docker load`, podman and skopeo read:
// layers as <diffID>.tar, configs as <id>.json, manifest.json, repositories, legacy dirs.
//
// Layers stream straight into the tar when their size is known; a layer that must be
// decompressed first is spooled to a temp file beside the target to learn its size. The
// archive itself is a temp file renamed over the target at commit(), so readers never see
// half an archive. Legacy <id>/ directories hold VERSION, json and a layer.tar symlink to the
// real file, as containers/image writes them (docker load reads manifest.json; the directories
// serve older loaders).
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline as pipe, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type TarHeader, TarWriter, tarHeader } from '../../archive/index.js';
import { type Digest, digestHex, digestOf } from '../../digest/digest.js';
import { VerifyingStream } from '../../digest/verify.js';
import { syncDir, tempPathFor } from '../../internal/atomic.js';
import { aborted, BerthError, failedPrecondition, invalidArgument } from '../../internal/errors.js';
import { readAllLimited } from '../blob.js';
import { decompressor } from '../compression.js';
import { parseImageConfig } from '../config.js';
import { MAX_MANIFEST_SIZE } from '../fields.js';
import type { ReadOptions } from '../handles.js';
import { DOCKER_MANIFEST, isConfigMediaType, layerCompression, OCI_MANIFEST } from '../mediatype.js';
import type { BlobInfo, ImageSink, WriteManifestOptions } from '../sink.js';
import type { Descriptor, ImageConfig } from '../types.js';
import { parseManifest } from '../validate.js';
import { chainIDs, type DockerArchiveEntry, LEGACY_VERSION, legacyLayerID, legacyLayerJSON, MANIFEST_JSON, REPOSITORIES, repoTag, splitRepoTag } from './format.js';

export interface DockerArchiveSinkOptions {
  /** fsync the archive before it replaces the target; default true. */
  durable?: boolean;
}

interface PendingImage {
  configDigest: Digest;
  config: ImageConfig;
  layers: Digest[];
  repoTags: string[];
}

const file = (name: string, size: number): TarHeader => tarHeader({ name, type: 'file', size, mode: 0o644 });

/**
 * Collects images into one docker-archive file. Call commit() to produce the file, or
 * abort() to drop everything; until then the target is untouched.
 */
export class DockerArchiveSink implements ImageSink {
  readonly file: string;
  readonly name: string;
  readonly manifestMediaTypes: readonly string[] = [DOCKER_MANIFEST, OCI_MANIFEST];
  readonly acceptsIndex = false;
  readonly layerCompression = 'none' as const;
  private readonly durable: boolean;
  private readonly tmp: string;
  private tar: TarWriter | undefined;
  private opening: Promise<TarWriter> | undefined;
  private output: Promise<void> | undefined;
  /** Blobs already in the tar (or on their way): digest -> member name. */
  private readonly members = new Map<Digest, Promise<string>>();
  private readonly configs = new Map<Digest, Buffer>();
  private readonly images: PendingImage[] = [];
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private readonly spools = new Set<string>();
  /** Writes still running, so abort() can wait for them to let go of their files. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly cancel = new AbortController();

  constructor(target: string, options: DockerArchiveSinkOptions = {}) {
    this.file = path.resolve(target);
    this.name = `docker-archive:${this.file}`;
    this.durable = options.durable ?? true;
    this.tmp = tempPathFor(this.file);
  }

  /** The tar being written, with its temp file already open (so abort() always finds the file). */
  private async writer(): Promise<TarWriter> {
    if (this.state !== 'open') throw failedPrecondition(`cannot write to ${this.name}: already ${this.state}`);
    this.opening ??= (async () => {
      const fh = await fs.open(this.tmp, 'wx', 0o644);
      const tar = new TarWriter();
      this.tar = tar;
      this.output = pipeline(tar, fh.createWriteStream());
      this.output.catch(() => {});
      return tar;
    })();
    return this.opening;
  }

  async hasBlob(desc: Descriptor): Promise<boolean> {
    return this.members.has(desc.digest);
  }

  async writeBlob(info: BlobInfo, stream: Readable, options: ReadOptions = {}): Promise<Descriptor> {
    const work = this.write(info, stream, options);
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async write(info: BlobInfo, stream: Readable, options: ReadOptions): Promise<Descriptor> {
    const tar = await this.writer();
    if (isConfigMediaType(info.mediaType)) {
      const verified = pipe(stream, new VerifyingStream({ size: info.size, digest: info.digest, what: 'config' }), () => {});
      const bytes = await readAllLimited(verified, MAX_MANIFEST_SIZE, 'config');
      const digest = digestOf(bytes);
      parseImageConfig(bytes);
      this.configs.set(digest, bytes);
      if (!this.members.has(digest)) {
        const name = `${digestHex(digest)}.json`;
        this.members.set(digest, tar.add(file(name, bytes.byteLength), bytes).then(() => name));
      }
      await this.members.get(digest);
      return { mediaType: info.mediaType, digest, size: bytes.byteLength };
    }
    const compression = layerCompression(info.mediaType) ?? 'none';
    if (compression === 'none' && info.digest && info.size !== undefined) {
      const existing = this.members.get(info.digest);
      if (existing) {
        stream.destroy();
        await existing;
        return { mediaType: info.mediaType, digest: info.digest, size: info.size };
      }
      const name = `${digestHex(info.digest)}.tar`;
      const body = pipe(stream, new VerifyingStream({ size: info.size, digest: info.digest, what: `layer ${info.digest}` }), () => {});
      const added = tar.add(file(name, info.size), body).then(() => name);
      this.members.set(info.digest, added);
      try {
        await added;
      } catch (err) {
        this.members.delete(info.digest);
        throw BerthError.wrap(err, `cannot write layer ${info.digest} to ${this.name}`);
      }
      return { mediaType: info.mediaType, digest: info.digest, size: info.size };
    }
    return this.spoolLayer(info, stream, compression, options);
  }

  /** Decompresses (or measures) a layer into a temp file first: a tar header needs the size. */
  private async spoolLayer(info: BlobInfo, stream: Readable, compression: 'none' | 'gzip' | 'zstd', options: ReadOptions): Promise<Descriptor> {
    const spool = tempPathFor(this.file);
    this.spools.add(spool);
    try {
      const verifier = new VerifyingStream({ size: info.size, digest: info.digest, what: `layer for ${this.name}` });
      const plain = new VerifyingStream({});
      const out = (await fs.open(spool, 'wx', 0o600)).createWriteStream();
      try {
        await pipeline(stream, verifier, decompressor(compression), plain, out, {
          signal: options.signal ? AbortSignal.any([options.signal, this.cancel.signal]) : this.cancel.signal,
        });
      } finally {
        // The descriptor must be closed before the spool file is removed or read.
        if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      }
      const digest = plain.digest!;
      const size = plain.size;
      const mediaType = info.mediaType.replace(/(\+|\.)(gzip|zstd)$/, '');
      if (!this.members.has(digest)) {
        const name = `${digestHex(digest)}.tar`;
        const tar = await this.writer();
        this.members.set(digest, tar.add(file(name, size), createReadStream(spool)).then(() => name));
      }
      await this.members.get(digest);
      return { mediaType, digest, size };
    } finally {
      this.spools.delete(spool);
      await fs.rm(spool, { force: true });
    }
  }

  async writeManifest(bytes: Uint8Array, mediaType: string, tag?: string, _options: WriteManifestOptions = {}): Promise<Descriptor> {
    const parsed = parseManifest(bytes, mediaType);
    if (parsed.kind !== 'manifest') throw invalidArgument(`cannot write an index to ${this.name}: a docker archive holds single images`);
    const m = parsed.manifest!;
    const config = this.configs.get(m.config.digest);
    if (!config) throw failedPrecondition(`cannot write manifest to ${this.name}: its config ${m.config.digest} was not written first`);
    for (const l of m.layers) {
      if (!this.members.has(l.digest)) throw failedPrecondition(`cannot write manifest to ${this.name}: layer ${l.digest} was not written first`);
    }
    const repoTags = tag === undefined ? [] : [repoTag(tag)];
    const same = this.images.find((i) => i.configDigest === m.config.digest);
    if (same) {
      for (const t of repoTags) if (!same.repoTags.includes(t)) same.repoTags.push(t);
    } else {
      this.images.push({ configDigest: m.config.digest, config: parseImageConfig(config), layers: m.layers.map((l) => l.digest), repoTags });
    }
    // A tag names one image per archive, as in `docker save a:1 b:1`.
    for (const other of this.images) if (other.configDigest !== m.config.digest) other.repoTags = other.repoTags.filter((t) => !repoTags.includes(t));
    return { mediaType: parsed.mediaType, digest: parsed.digest, size: parsed.size };
  }

  /** Writes manifest.json, repositories and the legacy directories, then puts the archive in place. */
  async commit(options: ReadOptions = {}): Promise<void> {
    if (this.images.length === 0) throw failedPrecondition(`cannot commit ${this.name}: no image was written`);
    const tar = await this.writer();
    try {
      const entries: DockerArchiveEntry[] = [];
      const repositories: Record<string, Record<string, string>> = {};
      const legacyDone = new Set<string>();
      for (const img of this.images) {
        const layerNames = await Promise.all(img.layers.map((d) => this.members.get(d)!));
        const chains = chainIDs(img.layers);
        let parent = '';
        for (const [i, name] of layerNames.entries()) {
          const top = i === layerNames.length - 1;
          const id = legacyLayerID(parent, chains[i], top ? img.configDigest : undefined);
          if (!legacyDone.has(id)) {
            legacyDone.add(id);
            const json = Buffer.from(JSON.stringify(legacyLayerJSON(id, parent, img.config, top)));
            await tar.add(tarHeader({ name: `${id}/`, type: 'directory', mode: 0o755 }));
            await tar.add(file(`${id}/VERSION`, LEGACY_VERSION.length), Buffer.from(LEGACY_VERSION));
            await tar.add(file(`${id}/json`, json.byteLength), json);
            await tar.add(tarHeader({ name: `${id}/layer.tar`, type: 'symlink', linkname: `../${name}`, mode: 0o777 }));
          }
          if (top) {
            for (const t of img.repoTags) {
              const { repository, tag } = splitRepoTag(t);
              repositories[repository] = { ...(repositories[repository] ?? {}), [tag]: id };
            }
          }
          parent = id;
        }
        // docker's null for an image saved without a name (by its ID).
        entries.push({ Config: await this.members.get(img.configDigest)!, RepoTags: img.repoTags.length ? img.repoTags : null, Layers: layerNames });
      }
      const manifest = Buffer.from(JSON.stringify(entries));
      await tar.add(file(MANIFEST_JSON, manifest.byteLength), manifest);
      if (Object.keys(repositories).length) {
        const repos = Buffer.from(`${JSON.stringify(repositories)}\n`);
        await tar.add(file(REPOSITORIES, repos.byteLength), repos);
      }
      if (options.signal?.aborted) throw aborted(`cannot commit ${this.name}: aborted`);
      await tar.finish();
      await this.output;
      if (this.durable) {
        const fh = await fs.open(this.tmp, 'r');
        await fh.sync().finally(() => fh.close());
      }
      await fs.rename(this.tmp, this.file);
      if (this.durable) await syncDir(path.dirname(this.file));
      this.state = 'committed';
    } catch (err) {
      await this.abort();
      throw BerthError.wrap(err, `cannot write ${this.name}`);
    }
  }

  /** Drops everything written so far; the target stays as it was. */
  async abort(): Promise<void> {
    if (this.state === 'committed') return;
    this.state = 'aborted';
    this.cancel.abort();
    await this.opening?.catch(() => {});
    this.tar?.destroy();
    await Promise.allSettled([...this.inFlight]);
    await this.output?.catch(() => {});
    await fs.rm(this.tmp, { force: true });
    for (const s of this.spools) await fs.rm(s, { force: true });
  }
}
