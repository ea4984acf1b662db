// The filesystem StorageDriver: every driver path maps under one root directory.
// Small writes are temp+fsync+rename; stream writes go out in large aligned batches, optionally
// with O_DIRECT, and HTTP bodies can go from the socket to the file without passing through JS.
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { isTempName, syncDir, tempPathFor } from '../../internal/atomic.js';
import { BerthError, notFound } from '../../internal/errors.js';
import { checkPath, type DriverOptions, type FileInfo, type FileWriter, type ReaderOptions, type StorageDriver } from './driver.js';
import { FsFileWriter, probeDirect } from './file-writer.js';
import { SENDFILE_MIN, sendFileRange, sendfileTarget } from './sendfile.js';

/** Read size for blob streams: large reads keep the per-chunk overhead out of the profile. */
const READ_CHUNK = 1 << 20;
/** Buffer size of copyTo: two of them per response in flight. */
const COPY_CHUNK = 512 * 1024;

export interface FilesystemDriverOptions {
  /** fsync on commit and putContent; default true. Tests may turn it off. */
  durable?: boolean;
  /**
   * Stream writes (blob uploads) bypass the page cache with O_DIRECT where the filesystem
   * allows; default false. Saves the kernel's copy into the page cache and the writeback in
   * fsync (about a quarter of the CPU per push), but a blob is then read from disk the first
   * time it is pulled: worth it where pushes are rarely pulled back soon from this host.
   */
  direct?: boolean;
}

export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  readonly root: string;
  private readonly durable: boolean;
  private readonly direct: boolean;
  /** Whether this root's filesystem takes aligned O_DIRECT writes; asked once. */
  private directProbe: Promise<boolean> | undefined;

  constructor(root: string, options: FilesystemDriverOptions = {}) {
    this.root = path.resolve(root);
    this.durable = options.durable ?? true;
    this.direct = options.direct ?? false;
  }

  /** The host path of a driver path. */
  fullPath(p: string): string {
    return path.join(this.root, checkPath(p));
  }

  async getContent(p: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.fullPath(p));
    } catch (err) {
      throw wrap(err, p, 'read');
    }
  }

  async putContent(p: string, content: Uint8Array | string): Promise<void> {
    const full = this.fullPath(p);
    await fs.mkdir(path.dirname(full), { recursive: true });
    const tmp = tempPathFor(full);
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(tmp, 'wx', 0o644);
      await fh.writeFile(content);
      if (this.durable) await fh.sync();
      await fh.close();
      fh = undefined;
      await fs.rename(tmp, full);
    } catch (err) {
      await fh?.close().catch(() => {});
      await fs.rm(tmp, { force: true }).catch(() => {});
      throw wrap(err, p, 'write');
    }
  }

  async reader(p: string, offset = 0, options: ReaderOptions = {}): Promise<Readable> {
    const full = this.fullPath(p);
    // Opening first turns a missing file into not-found before any byte is promised.
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(full, 'r');
    } catch (err) {
      throw wrap(err, p, 'read');
    }
    return createReadStream('', { fd: fh, start: offset, end: options.end, highWaterMark: READ_CHUNK, signal: options.signal });
  }

  /**
   * Serves a file with sendfile when the sink is an HTTP response on a plain TCP socket (the
   * bytes never enter the process); else from two reused buffers, each refilled only once the
   * sink has taken its bytes: no allocation (and no page faults on fresh memory) per chunk.
   */
  async copyTo(p: string, sink: Writable, offset: number, end: number, options: DriverOptions = {}): Promise<void> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(this.fullPath(p), 'r');
    } catch (err) {
      throw wrap(err, p, 'read');
    }
    const res = end - offset + 1 >= SENDFILE_MIN ? sendfileTarget(sink) : undefined;
    if (res) {
      let sent: boolean;
      try {
        sent = await sendFileRange(res, fh.fd, offset, end, p, options.signal);
      } catch (err) {
        await fh.close();
        throw err;
      }
      if (sent) {
        await fh.close();
        return;
      }
    }
    await this.copyBuffered(fh, p, sink, offset, end, options);
  }

  private async copyBuffered(fh: fs.FileHandle, p: string, sink: Writable, offset: number, end: number, options: DriverOptions): Promise<void> {
    // Small blobs (configs, manifests) get one buffer of their own size.
    const size = Math.min(COPY_CHUNK, end - offset + 1);
    const buffers = [Buffer.allocUnsafeSlow(size), end - offset + 1 > size ? Buffer.allocUnsafeSlow(size) : Buffer.alloc(0)];
    const written: (Promise<void> | undefined)[] = [undefined, undefined];
    let failed: Error | undefined;
    const onError = (e: Error) => {
      failed ??= e;
    };
    sink.on('error', onError);
    sink.on('close', () => {
      failed ??= new Error('the client went away');
    });
    try {
      let pos = offset;
      for (let i = 0; pos <= end; i ^= 1) {
        await written[i];
        if (failed || options.signal?.aborted) break;
        const want = Math.min(size, end - pos + 1);
        const { bytesRead } = await fh.read(buffers[i], 0, want, pos);
        if (bytesRead === 0) throw new BerthError('corrupt', `cannot read ${p}: file ended at ${pos}, before ${end + 1}`);
        pos += bytesRead;
        const chunk = buffers[i].subarray(0, bytesRead);
        written[i] = new Promise<void>((resolve) => sink.write(chunk, () => resolve()));
      }
      await Promise.all(written);
      if (failed) throw failed;
    } finally {
      sink.off('error', onError);
      await fh.close();
    }
  }

  async writer(p: string, append: boolean): Promise<FileWriter> {
    const full = this.fullPath(p);
    await fs.mkdir(path.dirname(full), { recursive: true });
    try {
      const direct = this.direct && (await (this.directProbe ??= probeDirect(path.dirname(full))));
      return await FsFileWriter.open(full, append, this.durable, direct);
    } catch (err) {
      throw wrap(err, p, 'open');
    }
  }

  async stat(p: string): Promise<FileInfo> {
    try {
      const st = await fs.stat(this.fullPath(p));
      return { path: p, size: st.isDirectory() ? 0 : st.size, modTime: st.mtime, isDir: st.isDirectory() };
    } catch (err) {
      throw wrap(err, p, 'stat');
    }
  }

  async list(p: string): Promise<string[]> {
    try {
      const names = await fs.readdir(this.fullPath(p));
      const base = p === '/' ? '' : p;
      // Temp files of in-flight putContent calls are not content.
      return names.filter((n) => !n.includes('.tmp-')).sort().map((n) => `${base}/${n}`);
    } catch (err) {
      throw wrap(err, p, 'list');
    }
  }

  async move(source: string, dest: string): Promise<void> {
    const to = this.fullPath(dest);
    try {
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.rename(this.fullPath(source), to);
      if (this.durable) await syncDir(path.dirname(to));
    } catch (err) {
      throw wrap(err, source, 'move');
    }
  }

  async removeTemps(p: string, olderThan: Date, _options?: DriverOptions): Promise<string[]> {
    const removed: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw wrap(err, rel, 'list');
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        const r = `${rel === '/' ? '' : rel}/${e.name}`;
        if (isTempName(e.name)) {
          const st = await fs.lstat(full).catch(() => undefined);
          if (!st || st.mtime >= olderThan) continue;
          await fs.rm(full, { recursive: true, force: true });
          removed.push(r);
        } else if (e.isDirectory()) await walk(full, r);
      }
    };
    await walk(this.fullPath(p), p);
    return removed;
  }

  async delete(p: string, _options?: DriverOptions): Promise<void> {
    const full = this.fullPath(p);
    try {
      await fs.lstat(full);
    } catch (err) {
      throw wrap(err, p, 'delete');
    }
    // Rename away first so a reader never sees a half-deleted tree.
    const tmp = tempPathFor(full);
    try {
      await fs.rename(full, tmp);
      await fs.rm(tmp, { recursive: true, force: true });
    } catch (err) {
      throw wrap(err, p, 'delete');
    }
  }
}

function wrap(err: unknown, p: string, verb: string): BerthError {
  if (err instanceof BerthError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return notFound(`cannot ${verb} ${p}: no such file`, { cause: err });
  return BerthError.wrap(err, `cannot ${verb} ${p}`);
}
