// The in-memory StorageDriver: the reference implementation for tests and a model of the
// contract (writes invisible to readers' guarantees until commit, atomic moves).
import { Readable } from 'node:stream';
import { failedPrecondition, notFound } from '../../internal/errors.js';
import { checkPath, type FileInfo, type FileWriter, type ReaderOptions, type StorageDriver } from './driver.js';

interface Entry {
  content: Buffer;
  modTime: Date;
}

export class MemoryDriver implements StorageDriver {
  readonly name = 'inmemory';
  private readonly files = new Map<string, Entry>();

  async getContent(p: string): Promise<Buffer> {
    return Buffer.from(this.file(p).content);
  }

  async putContent(p: string, content: Uint8Array | string): Promise<void> {
    checkPath(p);
    this.assertNoFileAbove(p);
    this.files.set(p, { content: Buffer.from(content), modTime: new Date() });
  }

  async reader(p: string, offset = 0, options: ReaderOptions = {}): Promise<Readable> {
    const { content } = this.file(p);
    const end = options.end === undefined ? content.length : Math.min(options.end + 1, content.length);
    return Readable.from([content.subarray(Math.min(offset, content.length), Math.max(offset, end))], { objectMode: false });
  }

  async writer(p: string, append: boolean): Promise<FileWriter> {
    checkPath(p);
    this.assertNoFileAbove(p);
    const existing = append ? this.files.get(p) : undefined;
    const start = existing ? existing.content : Buffer.alloc(0);
    const files = this.files;
    const chunks: Buffer[] = [start];
    let size = start.length;
    let closed = false;
    const save = () => files.set(p, { content: Buffer.concat(chunks), modTime: new Date() });
    save();
    return {
      get size() {
        return size;
      },
      async write(chunk: Uint8Array) {
        if (closed) throw failedPrecondition(`cannot write ${p}: writer is closed`);
        chunks.push(Buffer.from(chunk));
        size += chunk.byteLength;
      },
      async commit() {
        if (!closed) save();
        closed = true;
      },
      async close() {
        if (!closed) save();
        closed = true;
      },
      async cancel() {
        closed = true;
        files.delete(p);
      },
    };
  }

  async stat(p: string): Promise<FileInfo> {
    checkPath(p);
    const f = this.files.get(p);
    if (f) return { path: p, size: f.content.length, modTime: f.modTime, isDir: false };
    let newest: Date | undefined;
    const prefix = p === '/' ? '/' : `${p}/`;
    for (const [k, v] of this.files) if (k.startsWith(prefix) && (!newest || v.modTime > newest)) newest = v.modTime;
    if (!newest) throw notFound(`cannot stat ${p}: no such file`);
    return { path: p, size: 0, modTime: newest, isDir: true };
  }

  async list(p: string): Promise<string[]> {
    checkPath(p);
    const prefix = p === '/' ? '/' : `${p}/`;
    const children = new Set<string>();
    for (const k of this.files.keys()) {
      if (!k.startsWith(prefix)) continue;
      const slash = k.indexOf('/', prefix.length);
      children.add(slash === -1 ? k : k.slice(0, slash));
    }
    if (children.size === 0) {
      if (this.files.has(p)) return [];
      throw notFound(`cannot list ${p}: no such directory`);
    }
    return [...children].sort();
  }

  async move(source: string, dest: string): Promise<void> {
    checkPath(source);
    checkPath(dest);
    const f = this.files.get(source);
    if (f) {
      this.files.delete(source);
      this.files.set(dest, f);
      return;
    }
    const prefix = `${source}/`;
    const moved = [...this.files].filter(([k]) => k.startsWith(prefix));
    if (moved.length === 0) throw notFound(`cannot move ${source}: no such file`);
    for (const [k] of [...this.files]) if (k === dest || k.startsWith(`${dest}/`)) this.files.delete(k);
    for (const [k, v] of moved) {
      this.files.delete(k);
      this.files.set(dest + k.slice(source.length), v);
    }
  }

  async delete(p: string): Promise<void> {
    checkPath(p);
    let found = this.files.delete(p);
    const prefix = p === '/' ? '/' : `${p}/`;
    for (const k of [...this.files.keys()]) {
      if (k.startsWith(prefix)) {
        this.files.delete(k);
        found = true;
      }
    }
    if (!found) throw notFound(`cannot delete ${p}: no such file`);
  }

  private file(p: string): Entry {
    checkPath(p);
    const f = this.files.get(p);
    if (!f) throw notFound(`cannot read ${p}: no such file`);
    return f;
  }

  private assertNoFileAbove(p: string): void {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
      if (this.files.has(p.slice(0, i))) throw failedPrecondition(`cannot write ${p}: ${p.slice(0, i)} is a file`);
    }
  }
}
