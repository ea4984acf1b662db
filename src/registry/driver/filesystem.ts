// The filesystem StorageDriver: every driver path maps under one root directory.
// Small writes are temp+fsync+rename; stream writes go out in large aligned batches, optionally
// with O_DIRECT, and HTTP bodies can go from the socket to the file without passing through JS.
import { constants as fsConstants, createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { syncDir, tempPathFor } from '../../internal/atomic.js';
import { BerthError, notFound } from '../../internal/errors.js';
import { alignedBuffer, recvFile, type Sha256 } from '../../internal/sys.js';
import { checkPath, type DriverOptions, type FileInfo, type FileWriter, type ReaderOptions, type StorageDriver } from './driver.js';
import { takeRequestBody } from './receive.js';
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

/** File offsets, lengths and memory of O_DIRECT writes are multiples of this. */
const DIRECT_ALIGN = 4096;
/** Staging buffer of a writer: one write per this many bytes. */
const STAGE_SIZE = 1 << 20;
/** Staging buffers kept for the next writers: aligned memory is slow to get and to fault in. */
const stagePool: Buffer[] = [];

/**
 * A stream write. Bytes gather in an aligned staging buffer that goes to the file in full
 * batches at aligned offsets (with O_DIRECT when the driver asks for it); the last partial
 * block goes through the page cache, and an append first reads that block back, so that
 * every batch write stays aligned.
 */
class FsFileWriter implements FileWriter {
  /** File offset of stage[0]; aligned. */
  private written: number;
  private readonly stage: Buffer;
  private stageLen = 0;
  /** Bytes at the start of the stage that are in the file already (a resumed partial block). */
  private stageClean = 0;
  private closed = false;

  private constructor(
    private readonly fh: fs.FileHandle,
    /** The O_DIRECT handle batches go through, when direct; else they go through fh. */
    private readonly direct: fs.FileHandle | undefined,
    private readonly full: string,
    size: number,
    private readonly durable: boolean,
  ) {
    this.written = size;
    this.stage = stagePool.pop() ?? alignedBuffer(STAGE_SIZE, DIRECT_ALIGN);
  }

  static async open(full: string, append: boolean, durable: boolean, direct: boolean): Promise<FsFileWriter> {
    const { O_RDWR, O_CREAT, O_TRUNC, O_WRONLY, O_DIRECT } = fsConstants;
    const fh = await fs.open(full, O_RDWR | O_CREAT | (append ? 0 : O_TRUNC), 0o644);
    let dfh: fs.FileHandle | undefined;
    try {
      const size = append ? (await fh.stat()).size : 0;
      dfh = direct ? await fs.open(full, O_WRONLY | O_DIRECT) : undefined;
      const w = new FsFileWriter(fh, dfh, full, size, durable);
      await w.readBackPartialBlock();
      return w;
    } catch (err) {
      await dfh?.close().catch(() => {});
      await fh.close().catch(() => {});
      throw err;
    }
  }

  private async readBackPartialBlock(): Promise<void> {
    const head = this.written % DIRECT_ALIGN;
    this.written -= head;
    while (this.stageLen < head) {
      const { bytesRead } = await this.fh.read(this.stage, this.stageLen, head - this.stageLen, this.written + this.stageLen);
      if (bytesRead === 0) throw new BerthError('corrupt', `cannot append to ${this.full}: it shrank while opening`);
      this.stageLen += bytesRead;
    }
    this.stageClean = head;
  }

  get size(): number {
    return this.written + this.stageLen;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new BerthError('failed-precondition', `cannot write ${this.full}: writer is closed`);
    for (let off = 0; off < chunk.byteLength; ) {
      const n = Math.min(chunk.byteLength - off, STAGE_SIZE - this.stageLen);
      this.stage.set(off === 0 && n === chunk.byteLength ? chunk : chunk.subarray(off, off + n), this.stageLen);
      this.stageLen += n;
      off += n;
      if (this.stageLen === STAGE_SIZE) await this.writeStage(STAGE_SIZE);
    }
  }

  /** Writes the first `len` (aligned) bytes of the stage and shifts the rest down. */
  private async writeStage(len: number): Promise<void> {
    const out = this.direct ?? this.fh;
    for (let done = 0; done < len; ) {
      const { bytesWritten } = await out.write(this.stage, done, len - done, this.written + done);
      done += bytesWritten;
    }
    this.stage.copy(this.stage, 0, len, this.stageLen);
    this.stageLen -= len;
    this.stageClean = Math.max(0, this.stageClean - len);
    this.written += len;
  }

  /**
   * An HTTP request body straight from its socket into the stage and the file (recvFile),
   * hashed in the same pass.
   */
  async receive(source: Readable, hash: Sha256 | undefined, options: DriverOptions = {}): Promise<number | undefined> {
    if (this.closed) return undefined;
    const body = takeRequestBody(source);
    if (!body) return undefined;
    const signal = options.signal ? AbortSignal.any([body.signal, options.signal]) : body.signal;
    try {
      let n = 0;
      for (const c of body.head) {
        await this.write(c);
        hash?.update(c);
        n += c.length;
      }
      const out = this.direct ?? this.fh;
      const r = await recvFile(body.fd, out.fd, this.written, this.stage, this.stageLen, body.rest, hash, { signal });
      if (r.fileOffset !== this.written) this.stageClean = 0;
      this.written = r.fileOffset;
      this.stageLen = r.stageLen;
      n += r.received;
      if (r.eof || r.code === 'ECANCELED' || r.code === 'ECONNRESET') {
        throw new BerthError('aborted', `cannot receive ${this.full}: the client went away after ${n} of ${n + body.rest - r.received} bytes`);
      }
      if (r.code) throw new BerthError('internal', `cannot receive ${this.full}: ${r.code}`);
      return n;
    } finally {
      body.done();
    }
  }

  /** Puts every byte received into the file; the partial last block stays staged for more. */
  private async flush(): Promise<void> {
    if (this.stageLen === this.stageClean) return;
    const aligned = this.stageLen - (this.stageLen % DIRECT_ALIGN);
    if (aligned > 0) await this.writeStage(aligned);
    for (let done = 0; done < this.stageLen; ) {
      const { bytesWritten } = await this.fh.write(this.stage, done, this.stageLen - done, this.written + done);
      done += bytesWritten;
    }
    this.stageClean = this.stageLen;
  }

  async commit(): Promise<void> {
    await this.flush();
    if (this.durable) await this.fh.sync();
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      await this.release();
    }
  }

  async cancel(): Promise<void> {
    await this.release();
    await fs.rm(this.full, { force: true });
  }

  private async release(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (stagePool.length < 16) stagePool.push(this.stage);
    await this.direct?.close().catch(() => {});
    await this.fh.close().catch(() => {});
  }
}

function wrap(err: unknown, p: string, verb: string): BerthError {
  if (err instanceof BerthError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return notFound(`cannot ${verb} ${p}: no such file`, { cause: err });
  return BerthError.wrap(err, `cannot ${verb} ${p}`);
}

/** Whether files in `dir` take O_DIRECT writes of aligned blocks (tmpfs, some FUSE: no). */
async function probeDirect(dir: string): Promise<boolean> {
  const probe = path.join(dir, `.direct-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const { O_WRONLY, O_CREAT, O_EXCL, O_DIRECT } = fsConstants;
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(probe, O_WRONLY | O_CREAT | O_EXCL | O_DIRECT, 0o600);
    await fh.write(alignedBuffer(DIRECT_ALIGN, DIRECT_ALIGN), 0, DIRECT_ALIGN, 0);
    return true;
  } catch {
    return false;
  } finally {
    await fh?.close().catch(() => {});
    await fs.rm(probe, { force: true }).catch(() => {});
  }
}
