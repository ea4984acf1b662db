// Helpers for the store's end-to-end tests: deterministic layer tars and images written
// through the store's own sink, so every process that builds "the same" image gets the same bytes.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { TarWriter, tarHeader } from '../src/archive/index.js';
import { MemoryImageStore, OCI_INDEX, writeImage, type WrittenImage } from '../src/image/index.js';
import { openStore, type Store, type StoreOptions } from '../src/store/index.js';

export interface FileSpec {
  name: string;
  type?: 'file' | 'directory';
  body?: string | Buffer;
  mode?: number;
}

/** A tar of `files`, byte-identical every time. */
export function tarOf(files: FileSpec[]): Readable {
  const w = new TarWriter();
  void (async () => {
    try {
      for (const f of files) {
        const type = f.type ?? 'file';
        const body = typeof f.body === 'string' ? Buffer.from(f.body) : (f.body ?? Buffer.alloc(0));
        await w.add(tarHeader({ name: f.name, type, size: type === 'file' ? body.length : 0, mtime: 1_700_000_000, ...(f.mode === undefined ? {} : { mode: f.mode }) }), type === 'file' ? body : undefined);
      }
      await w.finish();
    } catch (err) {
      w.destroy(err as Error);
    }
  })();
  return w;
}

/** `size` pseudo-random bytes from a seed (incompressible, so gzip does real work). */
export function seeded(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export async function putImage(store: Store, repository: string, tag: string, layers: FileSpec[][]): Promise<WrittenImage> {
  return store.withLease((lease) =>
    writeImage(
      store.sink(lease, { repository }),
      layers.map((files) => ({ tar: () => tarOf(files) })),
      { tag, created: '2024-01-01T00:00:00Z', config: { architecture: 'amd64', os: 'linux' } },
    ),
  );
}

export async function tempStore(extra: Partial<StoreOptions> = {}) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-store-'));
  const options = { root: path.join(dir, 'root'), runroot: path.join(dir, 'run'), ...extra };
  const store = await openStore(options);
  return { dir, options, store, done: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** A two-platform index (amd64, arm64; one small layer each) tagged "multi" in a memory store. */
export async function multiArchIndex() {
  const mem = new MemoryImageStore();
  const children = [];
  for (const architecture of ['amd64', 'arm64']) {
    const w = await writeImage(mem, [{ tar: () => tarOf([{ name: `arch-${architecture}`, body: architecture }]) }], {
      created: '2024-01-01T00:00:00Z',
      config: { architecture, os: 'linux' },
    });
    children.push({ ...w.descriptor, platform: { architecture, os: 'linux' } });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children }));
  const indexDesc = await mem.writeManifest(index, OCI_INDEX, 'multi');
  return { mem, children, index, indexDesc };
}
