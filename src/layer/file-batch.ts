// Small files written in batches on a worker thread, in order, while the main thread reads
// the next tar entries: creating a file is mostly kernel time, which then overlaps parsing.
import * as fs from 'node:fs';
import * as sys from '../internal/sys-at.js';

/** A batch goes to the worker at this many files or bytes, whichever comes first. */
const BATCH_FILES = 256;
const BATCH_BYTES = 4 << 20;
/** First size of a body pool; it grows (and stays grown) as batches need. */
const POOL_BYTES = 256 * 1024;
/** Retired dir fds kept open for queued files before a flush is forced. */
const MAX_RETIRED = 256;

interface Queued {
  files: sys.FileBatch;
  /** Paths inside the root, for error messages. */
  rels: string[];
}

/**
 * One batch runs while the next fills; a batch is submitted only after the previous one
 * (and its fallbacks) finished, so files land in tar order. Callers flush() before any
 * other kind of change, so only file-over-file conflicts meet a running batch.
 */
export class SmallFileBatcher {
  /** Two body pools: one for the batch running, one for the batch filling. */
  private readonly pools: Buffer[] = [Buffer.allocUnsafe(POOL_BYTES), Buffer.allocUnsafe(POOL_BYTES)];
  private poolIndex = 0;
  private batches = 0;
  private pending: Queued = this.nextBatch();
  private running: Promise<void> | undefined;
  private retired: number[] = [];
  /** Called for a name that was taken (EEXIST): remove what holds it, synchronously. */
  private readonly onExists: (dirFd: number, name: string) => void;

  constructor(onExists: (dirFd: number, name: string) => void) {
    this.onExists = onExists;
  }

  private nextBatch(): Queued {
    this.poolIndex = this.batches++ % 2;
    return { files: new sys.FileBatch(this.pools[this.poolIndex]), rels: [] };
  }

  /** Queues one file (metadata as sys.Metadata, mtime required); resolves once it may be queued further. */
  add(
    dirFd: number,
    name: string,
    data: Buffer | null,
    uid: number,
    gid: number,
    mode: number,
    mtimeSec: number,
    mtimeNsec: number,
    xattrs: (string | Buffer)[] | null,
    rel: string,
  ): Promise<void> | undefined {
    const { files, rels } = this.pending;
    files.add(dirFd, name, data, uid, gid, mode, mtimeSec, mtimeNsec, xattrs);
    rels.push(rel);
    if (files.length >= BATCH_FILES || files.bytes >= BATCH_BYTES || this.retired.length > MAX_RETIRED) return this.submitAndCheck();
    return undefined;
  }

  private async submitAndCheck(): Promise<void> {
    await this.submit();
    if (this.retired.length > MAX_RETIRED) await this.flush();
  }

  /** A directory fd no longer cached: closed once no queued file can need it. */
  retire(fd: number): void {
    this.retired.push(fd);
  }

  /** Writes everything queued and waits for it; then closes retired fds. */
  async flush(): Promise<void> {
    if (this.pending.files.length > 0) await this.submit();
    const running = this.running;
    this.running = undefined;
    try {
      await running;
    } finally {
      for (const fd of this.retired) fs.closeSync(fd);
      this.retired = [];
    }
  }

  private async submit(): Promise<void> {
    const batch = this.pending;
    this.pools[this.poolIndex] = batch.files.pool; // grown, perhaps
    this.pending = this.nextBatch();
    const previous = this.running;
    this.running = undefined;
    await previous;
    const running = this.run(batch);
    running.catch(() => {}); // awaited by the next submit or flush
    this.running = running;
  }

  private async run({ files, rels }: Queued): Promise<void> {
    const codes = await files.write();
    if (codes === null) return;
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      if (code === null) continue;
      if (code === 'EEXIST') {
        const [dirFd, name] = files.where(i);
        this.onExists(dirFd, name);
        files.writeOne(i);
        continue;
      }
      const err = new Error(`${code}: cannot write file "${rels[i]}"`) as NodeJS.ErrnoException;
      err.code = code;
      throw err;
    }
  }
}
