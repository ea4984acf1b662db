// oci-archive: an OCI image layout packed in one tar file (skopeo's and podman's
// "oci-archive:" transport). Reading uses the tar in place; writing builds a layout beside
// the target and packs it at commit().
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TarWriter, tarHeader } from '../../archive/index.js';
import { syncDir, tempPathFor } from '../../internal/atomic.js';
import { BerthError, failedPrecondition } from '../../internal/errors.js';
import type { ReadOptions } from '../handles.js';
import type { BlobInfo, ImageSink, LayerCompressionChoice, WriteManifestOptions } from '../sink.js';
import { TarFile } from '../tarfile.js';
import type { Descriptor } from '../types.js';
import { TarMemberFiles } from './files.js';
import { OciLayout } from './layout.js';
import { BLOBS_DIR, INDEX_FILE, OCI_LAYOUT_FILE } from './paths.js';
import { OciLayoutSink } from './sink.js';

/** An oci-archive file read in place (see TarFile for how members are reached). */
export class OciArchive extends OciLayout {
  readonly file: string;

  constructor(file: string) {
    const resolved = path.resolve(file);
    const name = `oci-archive:${resolved}`;
    super(resolved, new TarMemberFiles(new TarFile(resolved, name)), name);
    this.file = resolved;
  }
}

export interface OciArchiveSinkOptions {
  durable?: boolean;
  layerCompression?: LayerCompressionChoice;
}

/** Writes an oci-archive file; nothing replaces the target until commit(). */
export class OciArchiveSink implements ImageSink {
  readonly file: string;
  readonly name: string;
  readonly acceptsIndex = true;
  private readonly staging: string;
  private readonly layout: OciLayoutSink;
  private readonly durable: boolean;
  private done = false;

  constructor(file: string, options: OciArchiveSinkOptions = {}) {
    this.file = path.resolve(file);
    this.name = `oci-archive:${this.file}`;
    this.durable = options.durable ?? true;
    this.staging = tempPathFor(this.file);
    // The staged layout is thrown away after packing: no fsync there, only on the archive.
    this.layout = new OciLayoutSink(this.staging, { durable: false, layerCompression: options.layerCompression });
  }

  get manifestMediaTypes(): readonly string[] {
    return this.layout.manifestMediaTypes;
  }
  get layerCompression(): LayerCompressionChoice {
    return this.layout.layerCompression;
  }

  private check(): void {
    if (this.done) throw failedPrecondition(`cannot write to ${this.name}: already committed or aborted`);
  }

  hasBlob(desc: Descriptor): Promise<boolean> {
    return this.layout.hasBlob(desc);
  }
  writeBlob(info: BlobInfo, stream: Readable, options?: ReadOptions): Promise<Descriptor> {
    this.check();
    return this.layout.writeBlob(info, stream, options);
  }
  writeManifest(bytes: Uint8Array, mediaType: string, tag?: string, options?: WriteManifestOptions): Promise<Descriptor> {
    this.check();
    return this.layout.writeManifest(bytes, mediaType, tag, options);
  }

  /** Packs the staged layout into the target file, atomically. */
  async commit(options: ReadOptions = {}): Promise<void> {
    this.check();
    await this.layout.init();
    const tmp = tempPathFor(this.file);
    try {
      const tar = new TarWriter({ signal: options.signal });
      const written = pipeline(tar, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
      written.catch(() => {});
      const dirHeader = (name: string) => tarHeader({ name, type: 'directory', mode: 0o755 });
      const fileOf = async (name: string) => {
        const full = path.join(this.staging, name);
        const st = await fs.stat(full);
        await tar.add(tarHeader({ name, type: 'file', size: st.size, mode: 0o644 }), createReadStream(full));
      };
      await tar.add(dirHeader(`${BLOBS_DIR}/`));
      for (const alg of (await fs.readdir(path.join(this.staging, BLOBS_DIR))).sort()) {
        const algDir = path.join(this.staging, BLOBS_DIR, alg);
        if (!(await fs.stat(algDir)).isDirectory()) continue;
        await tar.add(dirHeader(`${BLOBS_DIR}/${alg}/`));
        for (const hex of (await fs.readdir(algDir)).sort()) {
          if (hex.startsWith('.')) continue; // an abandoned temp file
          await fileOf(`${BLOBS_DIR}/${alg}/${hex}`);
        }
      }
      await fileOf(INDEX_FILE);
      await fileOf(OCI_LAYOUT_FILE);
      await tar.finish();
      await written;
      if (this.durable) {
        const fh = await fs.open(tmp, 'r');
        await fh.sync().finally(() => fh.close());
      }
      await fs.rename(tmp, this.file);
      if (this.durable) await syncDir(path.dirname(this.file));
    } catch (err) {
      await fs.rm(tmp, { force: true });
      await this.abort();
      throw BerthError.wrap(err, `cannot write ${this.name}`);
    }
    this.done = true;
    await fs.rm(this.staging, { recursive: true, force: true });
  }

  /** Drops the staged layout; the target stays as it was. */
  async abort(): Promise<void> {
    this.done = true;
    await fs.rm(this.staging, { recursive: true, force: true });
  }
}
