// Content hashes of source files for the build cache, remembered by inode, size, mtime and
// ctime so an unchanged rebuild re-reads nothing; a changed file is hashed again.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { writeJsonAtomic } from '../internal/atomic.js';

const CHUNK = 1 << 20;
/** Entries kept in the remembered set: enough for big contexts, bounded on disk. */
const MAX_ENTRIES = 200_000;

export class FileHasher {
  private readonly known = new Map<string, string>();
  private readonly used = new Map<string, string>();
  private dirty = false;
  private buffer: Buffer | undefined;

  /** `file`: where the remembered hashes live (read now, written by save()); none for a throwaway hasher. */
  constructor(private readonly file?: string) {}

  load(): void {
    if (!this.file) return;
    try {
      const data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, string>;
      for (const [k, v] of Object.entries(data)) this.known.set(k, v);
    } catch {
      // no remembered hashes yet (or a torn file): hash everything
    }
  }

  /** sha256 (hex) of a regular file's content. */
  hash(file: string): string {
    const st = fs.statSync(file, { bigint: true });
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const hit = this.known.get(key);
    if (hit) {
      this.used.set(key, hit);
      return hit;
    }
    const h = createHash('sha256');
    const fd = fs.openSync(file, 'r');
    try {
      this.buffer ??= Buffer.allocUnsafe(CHUNK);
      for (;;) {
        const n = fs.readSync(fd, this.buffer, 0, CHUNK, null);
        if (n <= 0) break;
        h.update(this.buffer.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
    const hex = h.digest('hex');
    this.known.set(key, hex);
    this.used.set(key, hex);
    this.dirty = true;
    return hex;
  }

  /** Writes the hashes used by this build (and older ones up to the bound). */
  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    const out: Record<string, string> = Object.fromEntries(this.used);
    let n = this.used.size;
    for (const [k, v] of this.known) {
      if (n >= MAX_ENTRIES) break;
      if (!(k in out)) {
        out[k] = v;
        n++;
      }
    }
    await writeJsonAtomic(this.file, out, { durable: false });
  }
}
