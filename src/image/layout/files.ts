// Where an OCI layout's files live: a directory, or the members of a tar (oci-archive).
// The layout reader asks only these three questions, so both serve the same Image handles.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError, notFound, resourceExhausted } from '../../internal/errors.js';
import type { ReadOptions } from '../handles.js';
import type { TarFile } from '../tarfile.js';

export interface LayoutFiles {
  /** A small file whole; 'not-found' when absent, 'resource-exhausted' above `limit`. */
  read(name: string, limit: number): Promise<Buffer>;
  open(name: string, options?: ReadOptions): Promise<Readable>;
  /** The size of a regular file, or undefined when there is none. */
  size(name: string): Promise<number | undefined>;
}

/** Names are '/'-separated paths the layout code built from parsed digests and fixed names. */
export class DirectoryFiles implements LayoutFiles {
  constructor(readonly dir: string) {}

  async read(name: string, limit: number): Promise<Buffer> {
    const file = path.join(this.dir, name);
    try {
      const st = await fs.stat(file);
      if (st.size > limit) throw resourceExhausted(`${name} is ${st.size} bytes, over the limit of ${limit}`);
      return await fs.readFile(file);
    } catch (err) {
      throw BerthError.wrap(err, `cannot read ${file}`);
    }
  }

  async open(name: string): Promise<Readable> {
    const file = path.join(this.dir, name);
    const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
    try {
      await once(stream, 'open');
    } catch (err) {
      throw BerthError.wrap(err, `cannot read ${file}`);
    }
    return stream;
  }

  async size(name: string): Promise<number | undefined> {
    try {
      const st = await fs.stat(path.join(this.dir, name));
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  }
}

export class TarMemberFiles implements LayoutFiles {
  constructor(private readonly tar: TarFile) {}

  async read(name: string, limit: number): Promise<Buffer> {
    const m = await this.tar.find(name);
    if (!m) throw notFound(`cannot read ${name} in ${this.tar.label}: no such member`);
    if (m.size > limit) throw resourceExhausted(`${name} in ${this.tar.label} is ${m.size} bytes, over the limit of ${limit}`);
    if (m.body) return m.body;
    const chunks: Buffer[] = [];
    for await (const c of await this.tar.open(name)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  open(name: string, options: ReadOptions = {}): Promise<Readable> {
    return this.tar.open(name, options);
  }

  async size(name: string): Promise<number | undefined> {
    return (await this.tar.find(name))?.size;
  }
}
