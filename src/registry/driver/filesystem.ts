// The filesystem StorageDriver: every driver path maps under one root directory.
// Small writes are temp+fsync+rename; stream writes go to disk in large O_DIRECT writes.
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

/** Chunks are gathered up to this many bytes before one writev: fewer syscalls per blob. */
const WRITE_BATCH = 1 << 20;
/** Read size for blob streams: large reads keep the per-chunk overhead out of the profile. */
const READ_CHUNK = 1 << 20;
/** Buffer size of copyTo: two of them per response in flight. */
const COPY_CHUNK = 512 * 1024;

export interface FilesystemDriverOptions {
  /** fsync on commit and putContent; default true. Tests may turn it off. */
  durable?: boolean;
  /**
   * Stream writes (blob uploads) bypass the page cache with O_DIRECT where the filesystem
   * allows; default true. Uploads are written once and fsynced anyway: copying them into the
   * page cache first and writing them back later was most of the server's CPU per push.
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
    this.direct = options.direct ?? true;
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
/** Staging buffer of a direct writer: one write per this many bytes. */
const DIRECT_BATCH = 1 << 20;
/** Staging buffers kept for the next writers: aligned memory is slow to get and to fault in. */
const stagePool: Buffer[] = [];

/**
 * A stream write. With a direct handle, bytes gather in an aligned staging buffer that goes
 * to disk with O_DIRECT writes at aligned offsets; only the last partial block goes through
 * the page cache (the buffered handle), and an append first reads that block back. Without
 * one, chunks are gathered and written with writev.
 */
class FsFileWriter implements FileWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Buffered mode: bytes in the file before the pending ones. Direct mode: file offset of stage[0]. */
  private written: number;
  private stage: Buffer | undefined;
  private stageLen = 0;
  /** Bytes at the start of the stage that are on disk already (a resumed partial block). */
  private stageClean = 0;
  private closed = false;

  private constructor(
    private readonly fh: fs.FileHandle,
    private readonly direct: fs.FileHandle | undefined,
    private readonly full: string,
    size: number,
    private readonly durable: boolean,
  ) {
    this.written = size;
  }

  static async open(full: string, append: boolean, durable: boolean, direct: boolean): Promise<FsFileWriter> {
    const { O_RDWR, O_CREAT, O_TRUNC, O_DIRECT } = fsConstants;
    const fh = await fs.open(full, O_RDWR | O_CREAT | (append ? 0 : O_TRUNC), 0o644);
    try {
      const size = append ? (await fh.stat()).size : 0;
      const dfh = direct ? await fs.open(full, fsConstants.O_WRONLY | O_DIRECT) : undefined;
      const w = new FsFileWriter(fh, dfh, full, size, durable);
      if (dfh) await w.primeStage();
      return w;
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  }

  /** Direct mode starts at the aligned offset below the end: the partial block is read back. */
  private async primeStage(): Promise<void> {
    this.stage = stagePool.pop() ?? alignedBuffer(DIRECT_BATCH, DIRECT_ALIGN);
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
    return this.written + (this.stage ? this.stageLen : this.pendingBytes);
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new BerthError('failed-precondition', `cannot write ${this.full}: writer is closed`);
    if (this.stage) {
      for (let off = 0; off < chunk.byteLength; ) {
        const n = Math.min(chunk.byteLength - off, DIRECT_BATCH - this.stageLen);
        this.stage.set(off === 0 && n === chunk.byteLength ? chunk : chunk.subarray(off, off + n), this.stageLen);
        this.stageLen += n;
        off += n;
        if (this.stageLen === DIRECT_BATCH) await this.writeStage(DIRECT_BATCH);
      }
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    if (this.pendingBytes >= WRITE_BATCH) await this.flush();
  }

  /** Writes the first `len` (aligned) bytes of the stage with O_DIRECT and shifts the rest down. */
  private async writeStage(len: number): Promise<void> {
    const stage = this.stage!;
    for (let done = 0; done < len; ) {
      const { bytesWritten } = await this.direct!.write(stage, done, len - done, this.written + done);
      done += bytesWritten;
    }
    stage.copy(stage, 0, len, this.stageLen);
    this.stageLen -= len;
    this.stageClean = Math.max(0, this.stageClean - len);
    this.written += len;
  }

  /**
   * An HTTP request body straight from its socket into the stage and the file (recvFile),
   * hashed in the same pass; only direct writers take it.
   */
  async receive(source: Readable, hash: Sha256 | undefined, options: DriverOptions = {}): Promise<number | undefined> {
    if (this.closed || !this.stage || !this.direct) return undefined;
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
      if (this.stageLen === DIRECT_BATCH) await this.writeStage(DIRECT_BATCH);
      const r = await recvFile(body.fd, this.direct.fd, this.written, this.stage, this.stageLen, body.rest, hash, { signal });
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

  private releaseStage(): void {
    if (this.stage && stagePool.length < 16) stagePool.push(this.stage);
    this.stage = undefined;
    this.stageLen = 0;
    this.stageClean = 0;
  }

  /** Puts every byte received into the file. */
  private async flush(): Promise<void> {
    if (this.stage) {
      if (this.stageLen === this.stageClean) return;
      const aligned = this.stageLen - (this.stageLen % DIRECT_ALIGN);
      if (aligned > 0) await this.writeStage(aligned);
      if (this.stage) {
        // The partial last block goes through the page cache; it stays staged for more writes.
        for (let done = 0; done < this.stageLen; ) {
          const { bytesWritten } = await this.fh.write(this.stage, done, this.stageLen - done, this.written + done);
          done += bytesWritten;
        }
        this.stageClean = this.stageLen;
        return;
      }
    }
    if (this.pendingBytes === 0) return;
    const chunks = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    let done = 0;
    // writev may write less than asked; resume with what is left.
    let rest: Uint8Array[] = chunks;
    while (done < bytes) {
      const { bytesWritten } = await this.fh.writev(rest, this.written + done);
      done += bytesWritten;
      if (done < bytes) rest = skip(rest, bytesWritten);
    }
    this.written += bytes;
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
      this.closed = true;
      this.releaseStage();
      await this.direct?.close().catch(() => {});
      await this.fh.close();
    }
  }

  async cancel(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.closed) {
      this.closed = true;
      this.releaseStage();
      await this.direct?.close().catch(() => {});
      await this.fh.close().catch(() => {});
    }
    await fs.rm(this.full, { force: true });
  }
}

function skip(chunks: Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    if (n >= c.byteLength) {
      n -= c.byteLength;
      continue;
    }
    out.push(n > 0 ? c.subarray(n) : c);
    n = 0;
  }
  return out;
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
