// Small files written in batches on a worker thread, in order, while the main thread reads
// the next tar entries: creating a file is mostly kernel time, which then overlaps parsing.
import * as fs from 'node:fs';
import * as sys from '../internal/sys.js';

/** A batch goes to the worker at this many files or bytes, whichever comes first. */
const BATCH_FILES = 256;
const BATCH_BYTES = 4 << 20;
/** Retired dir fds kept open for queued files before a flush is forced. */
const MAX_RETIRED = 256;

interface Pending {
  item: sys.FileItem;
  /** Path inside the root, for error messages. */
  rel: string;
}

/**
 * One batch runs while the next fills; a batch is submitted only after the previous one
 * (and its fallbacks) finished, so files land in tar order. Callers flush() before any
 * other kind of change, so only file-over-file conflicts meet a running batch.
 */
export class SmallFileBatcher {
  private pending: Pending[] = [];
  private bytes = 0;
  private running: Promise<void> | undefined;
  private retired: number[] = [];
  /** Called for a name that was taken (EEXIST): replace it synchronously. */
  private readonly onExists: (item: sys.FileItem) => void;

  constructor(onExists: (item: sys.FileItem) => void) {
    this.onExists = onExists;
  }

  async add(item: sys.FileItem, rel: string): Promise<void> {
    this.pending.push({ item, rel });
    this.bytes += item[2]?.length ?? 0;
    if (this.pending.length >= BATCH_FILES || this.bytes >= BATCH_BYTES) await this.submit();
    if (this.retired.length > MAX_RETIRED) await this.flush();
  }

  /** A directory fd no longer cached: closed once no queued file can need it. */
  retire(fd: number): void {
    this.retired.push(fd);
  }

  /** Writes everything queued and waits for it; then closes retired fds. */
  async flush(): Promise<void> {
    if (this.pending.length > 0) await this.submit();
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
    this.pending = [];
    this.bytes = 0;
    const previous = this.running;
    this.running = undefined;
    await previous;
    const running = this.run(batch);
    running.catch(() => {}); // awaited by the next submit or flush
    this.running = running;
  }

  private async run(batch: Pending[]): Promise<void> {
    const codes = await sys.writeFilesAsync(batch.map((p) => p.item));
    for (let i = 0; i < batch.length; i++) {
      const code = codes[i];
      if (code === null) continue;
      if (code === 'EEXIST') {
        this.onExists(batch[i].item);
        continue;
      }
      const err = new Error(`${code}: cannot write file "${batch[i].rel}"`) as NodeJS.ErrnoException;
      err.code = code;
      throw err;
    }
  }
}
