// save, load and import: local images to and from docker-archive and oci-archive files (what
// `docker save`/`docker load` and podman's oci-archive exchange), and a rootfs tarball as a base image.
import { recordEvent } from '../events.js';
import { PassThrough, type Readable } from 'node:stream';
import { closeSync, createReadStream, createWriteStream, openSync, readSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { decompress, detectCompression, MAGIC_BYTES, peek } from '../../archive/index.js';
import type { Digest } from '../../digest/digest.js';
import { BerthError, corrupt, errnoText, invalidArgument, isBerthError, notFound, unsupported } from '../../internal/errors.js';
import {
  ANNOTATION_CONTAINERD_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  copyImage,
  DockerArchive,
  DockerArchiveSink,
  hostPlatform,
  type ImageConfig,
  isIndexHandle,
  OciArchive,
  OciArchiveSink,
  type Platform,
  writeImage,
} from '../../image/index.js';
import { familiarText, referenceFormatError } from '../../reference/index.js';
import { normalizeName, type Store } from '../../store/store.js';

export type ArchiveFormat = 'docker-archive' | 'oci-archive';

export interface SaveOptions {
  format?: ArchiveFormat;
  signal?: AbortSignal;
}


/** Writes the images `queries` name into `file` (docker-archive by default); the file appears whole or not at all. */
export async function saveImages(store: Store, queries: string[], file: string, options: SaveOptions = {}): Promise<void> {
  if (queries.length === 0) throw invalidArgument('cannot save: no image named');
  const format = options.format ?? 'docker-archive';
  // Every image looked up before anything is written: a missing one is docker's "No such
  // image: NAME" alone, with no archive begun.
  const records = [];
  // dockerd 20.10's save names the image as it was given ("No such image: hi/nope"), where its
  // other verbs add the tag.
  for (const q of queries) {
    records.push(
      await store.resolveImage(q).catch((err: unknown) => {
        throw isBerthError(err, 'not-found') ? notFound(`No such image: ${q}`) : err;
      }),
    );
  }
  const sink = format === 'docker-archive' ? new DockerArchiveSink(file) : new OciArchiveSink(file);
  try {
    for (const [i, q] of queries.entries()) {
      const rec = records[i];
      const handle = await store.imageHandle(rec.id);
      // The name the user gave, when it is one of the image's. An image asked for by its ID has
      // no name in a docker-archive (docker's RepoTags null: its load says "Loaded image ID");
      // in an oci-archive it keeps its first name, if any, as podman's does.
      const asked = normalizeName(q);
      const full = asked && rec.names.includes(asked) ? asked : format === 'oci-archive' ? rec.names[0] : undefined;
      // An OCI ref name keeps the full name, so a load gives back the same name.
      const tag = full === undefined ? undefined : format === 'oci-archive' ? full : familiarText(full);
      await copyImage(handle, sink, { ...(tag ? { tag } : {}), signal: options.signal });
    }
    await sink.commit({ signal: options.signal });
    for (const q of queries) recordEvent(store.layout.runroot, 'image', 'save', q, { name: q });
  } catch (err) {
    await sink.abort().catch(() => {});
    throw isBerthError(err) && err.message.startsWith('cannot ') ? err : BerthError.wrap(err, `cannot save to ${file}`);
  }
}

export interface LoadedImage {
  id: Digest;
  names: string[];
  /** The names it took from other images (their IDs): docker says each one. */
  moved: { name: string; from: Digest }[];
}

/** What kind of archive `file` is: docker's (manifest.json) or OCI (index.json + oci-layout). */
export async function archiveFormat(file: string): Promise<ArchiveFormat> {
  const docker = new DockerArchive(file);
  try {
    await docker.entries();
    return 'docker-archive';
  } catch (err) {
    if (!isBerthError(err, 'not-found')) throw err;
  }
  return 'oci-archive';
}

/**
 * A stream of `source` decompressed, whatever docker load and import take: gzip, bzip2, xz (and
 * zstd, as newer docker), or none. gzip and zstd are unpacked in process, bzip2 and xz by their
 * Debian tools (bzip2, xz-utils), which must be installed for those. `what` names the input in
 * errors.
 */
export async function decompressTarball(source: Readable, what: string, signal?: AbortSignal): Promise<Readable> {
  const { head, stream } = await peek(source, MAGIC_BYTES);
  const compression = detectCompression(head);
  if (compression !== 'xz' && compression !== 'bzip2') return (await decompress(stream, signal ? { signal } : {})).stream;
  const tool = compression;
  const { spawn } = await import('node:child_process');
  const child = spawn(tool, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
  const out = new PassThrough();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.on('error', (e: NodeJS.ErrnoException) => {
    const why = e.code === 'ENOENT' ? `and ${tool} is not installed (Debian: ${tool === 'xz' ? 'xz-utils' : 'bzip2'})` : `and ${tool} cannot run: ${errnoText(e)}`;
    out.destroy(unsupported(`cannot read ${what}: it is ${compression} compressed, ${why}`));
  });
  // The tool's end of the input may close first (it failed): its own error says why.
  pipeline(stream, child.stdin).catch(() => {});
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else if (!out.destroyed) out.destroy(corrupt(`cannot read ${what}: ${tool} -d failed: ${stderr.trim() || `exit ${code}`}`));
  });
  out.once('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return out;
}

/**
 * Runs `fn` over `file` as a plain tar: a compressed archive (decompressTarball's formats) is
 * unpacked into a temporary file first, since an archive is read in passes.
 */
async function withPlainArchive<T>(file: string, fn: (plain: string) => Promise<T>): Promise<T> {
  const head = Buffer.alloc(MAGIC_BYTES);
  const fd = openSync(file, 'r');
  let got: number;
  try {
    got = readSync(fd, head, 0, MAGIC_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  if (detectCompression(head.subarray(0, got)) === 'none') return fn(file);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-unpack-'));
  const plain = path.join(dir, 'archive.tar');
  try {
    await pipeline(await decompressTarball(createReadStream(file), file), createWriteStream(plain, { mode: 0o600 }));
    return await fn(plain);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Loads every image of a docker-archive or oci-archive file (compressed or not) into the store, with the names it records. */
export async function loadImages(store: Store, file: string, options: { signal?: AbortSignal; platform?: Platform } = {}): Promise<LoadedImage[]> {
  return withPlainArchive(file, (plain) => loadPlainImages(store, plain, options));
}

async function loadPlainImages(store: Store, file: string, options: { signal?: AbortSignal; platform?: Platform }): Promise<LoadedImage[]> {
  const format = await archiveFormat(file);
  const out: LoadedImage[] = [];
  const platform = options.platform ?? hostPlatform();
  if (format === 'docker-archive') {
    const archive = new DockerArchive(file);
    for (const entry of await archive.images()) {
      const image = await archive.image(`@${entry.position}`);
      const names = entry.repoTags.map((t) => normalizeName(t)).filter((n): n is string => n !== undefined);
      out.push(await storeCopy(store, image, names, options.signal, platform));
    }
    return loaded(store, out);
  }
  const layout = new OciArchive(file);
  const index = await layout.indexManifest();
  for (const desc of index.manifests) {
    const ref = desc.annotations?.[ANNOTATION_CONTAINERD_IMAGE_NAME] ?? desc.annotations?.[ANNOTATION_REF_NAME];
    const name = ref && /[/:]/.test(ref) ? normalizeName(ref) : undefined;
    const handle = await layout.open(ref ?? desc.digest).catch(async () => layout.open(desc.digest));
    out.push(await storeCopy(store, handle, name ? [name] : [], options.signal, platform));
  }
  return loaded(store, out);
}

function loaded(store: Store, images: LoadedImage[]): LoadedImage[] {
  for (const i of images) recordEvent(store.layout.runroot, 'image', 'load', i.id, { name: i.names[0] ? familiarText(i.names[0]) : i.id });
  return images;
}

async function storeCopy(store: Store, source: Parameters<typeof copyImage>[0], names: string[], signal: AbortSignal | undefined, platform: Platform): Promise<LoadedImage> {
  // Who has each name now: a name that moves to the loaded image is said (docker's "renaming
  // the old one ... to empty string").
  const before = new Map<string, Digest>();
  for (const n of names) {
    const owner = await store.resolveImage(n).catch(() => undefined);
    if (owner) before.set(n, owner.id);
  }
  return store.withLease(async (lease) => {
    const sink = store.sink(lease, { signal });
    const picked = isIndexHandle(source) ? { platform } : {};
    await copyImage(source, sink, { ...(names[0] ? { tag: names[0] } : {}), ...picked, signal });
    const rec = sink.written[sink.written.length - 1];
    if (!rec) throw new BerthError('internal', 'cannot load image: nothing was recorded');
    for (const n of names.slice(1)) await store.tag(rec.id, n);
    const moved = names.flatMap((name) => {
      const from = before.get(name);
      return from && from !== rec.id ? [{ name, from }] : [];
    });
    return { id: rec.id, names, moved };
  });
}

export interface ImportOptions {
  /** Name for the new image ("name:tag"). */
  reference?: string;
  /** Config fields: Cmd, Env, Entrypoint, WorkingDir, User, Labels, ExposedPorts (from --change). */
  config?: ImageConfig['config'];
  /** History comment (--message). */
  message?: string;
  platform?: Platform;
  signal?: AbortSignal;
}

/** A rootfs tarball (plain or compressed: decompressTarball) becomes a one-layer base image: an image with no parent layer. */
export async function importTarball(store: Store, source: Readable, options: ImportOptions = {}): Promise<{ id: Digest; name?: string }> {
  const name = options.reference ? normalizeName(options.reference) : undefined;
  // docker's client's words for a reference it cannot parse.
  if (options.reference && !name) throw invalidArgument(referenceFormatError(options.reference));
  const stream = await decompressTarball(source, 'the tarball', options.signal);
  const platform = options.platform ?? hostPlatform();
  const created = new Date().toISOString();
  const written = await store.withLease(async (lease) => {
    const sink = store.sink(lease, { signal: options.signal });
    await writeImage(sink, [{ tar: () => stream, history: { created, created_by: 'berth import', ...(options.message ? { comment: options.message } : {}) } }], {
      ...(name ? { tag: name } : {}),
      created,
      // The message is the image's comment too, as dockerd's import writes it (inspect's .Comment).
      config: {
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
        ...(options.message ? { comment: options.message } : {}),
        config: options.config ?? {},
      },
      signal: options.signal,
    });
    return sink.written[sink.written.length - 1];
  });
  recordEvent(store.layout.runroot, 'image', 'import', written.id, { name: name ? familiarText(name) : written.id });
  return { id: written.id, ...(name ? { name } : {}) };
}
