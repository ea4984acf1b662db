// Interop of berth's tar reader and writer with GNU tar: archives GNU tar makes in every
// format are read back exactly, and archives berth writes are listed and extracted by it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { isBerthError } from '../src/internal/errors.js';
import { readTar, type TarHeader, TarWriter, tarHeader } from '../src/archive/index.js';

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

describe('GNU tar features berth reads or refuses', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-archive-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('xattrs written by tar --xattrs (user.* and security.capability) come back byte for byte', async () => {
    const tree = path.join(dir, 'xattrs');
    await fs.mkdir(tree);
    await fs.writeFile(path.join(tree, 'ping'), 'binary');
    const cap = Buffer.from('AQAAAgAgAAAAAAAAAAAAAAAAAAA=', 'base64');
    execFileSync('setfattr', ['-n', 'user.comment', '-v', 'hello world', path.join(tree, 'ping')]);
    execFileSync('setfattr', ['-n', 'security.capability', '-v', `0s${cap.toString('base64')}`, path.join(tree, 'ping')]);
    const file = path.join(dir, 'xattrs.tar');
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--format=pax', '-cf', file, '-C', tree, 'ping']);
    const [entry] = await readAllEntries(file);
    assert.equal(entry.header.name, 'ping');
    assert.deepEqual(entry.header.xattrs.get('user.comment'), Buffer.from('hello world'));
    assert.deepEqual(entry.header.xattrs.get('security.capability'), cap);
    assert.equal(entry.body.toString(), 'binary');
  });

  for (const variant of ['gnu', 'pax-1.0', 'pax-0.1', 'pax-0.0'] as const) {
    test(`a sparse file from tar --sparse (${variant}) ${variant === 'pax-0.0' ? 'is refused clearly' : 'reads back with its holes'}`, async () => {
      const file = path.join(dir, `sparse-${variant}.tar`);
      const tree = path.join(dir, `sparse-${variant}`);
      await fs.mkdir(tree);
      const image = path.join(tree, 'disk.img');
      const handle = await fs.open(image, 'w');
      for (let i = 1; i <= 30; i++) await handle.write(`run ${i}`, i * 100_000);
      await handle.truncate(8_000_000);
      await handle.close();
      const format = variant === 'gnu' ? ['--format=gnu'] : ['--format=pax', `--sparse-version=${variant.slice(4)}`];
      execFileSync('tar', ['--sparse', ...format, '-cf', file, '-C', tree, 'disk.img']);
      assert.ok((await fs.stat(file)).size < 1_000_000, 'GNU tar stored only the data runs');
      if (variant === 'pax-0.0') {
        await assert.rejects(readAllEntries(file), (e: unknown) => isBerthError(e, 'unsupported') && /GNU sparse file in pax format 0.0/.test(e.message));
        return;
      }
      const [entry] = await readAllEntries(file);
      assert.equal(entry.header.name, 'disk.img');
      assert.equal(entry.header.size, 8_000_000);
      assert.ok(entry.body.equals(await fs.readFile(image)));
    });
  }
});

describe('berth-written archives read by GNU tar', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-archive-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const LONG_NAME = `top/${'deep-directory-name/'.repeat(12)}file-with-a-long-name.txt`;
  const MTIME = 1_700_000_000;
  const cap = Buffer.from('AQAAAgAgAAAAAAAAAAAAAAAAAAA=', 'base64');
  const big = Buffer.alloc(1_000_000, 0x61);

  async function writeArchive(file: string): Promise<void> {
    const writer = new TarWriter();
    const done = pipeline(writer, createWriteStream(file));
    const add = (h: Partial<TarHeader> & Pick<TarHeader, 'name' | 'type'>, body?: Buffer | Readable) => writer.add(tarHeader({ mtime: MTIME, ...h }), body);
    await add({ name: 'top/', type: 'directory', mode: 0o750, uid: 1000, gid: 1000, uname: 'alice', gname: 'staff' });
    await add({ name: 'top/hello.txt', type: 'file', size: 6, mode: 0o640, uid: 1000, gid: 100 }, Buffer.from('hello\n'));
    await add({ name: 'top/big.bin', type: 'file', size: big.length, uid: 3_000_000, gid: 3_000_001 }, Readable.from([big.subarray(0, 300_000), big.subarray(300_000)]));
    await add({ name: LONG_NAME, type: 'file', size: 4 }, Buffer.from('long'));
    await add({ name: 'top/ping', type: 'file', size: 4, mode: 0o755, xattrs: new Map([['security.capability', cap], ['user.note', Buffer.from('x=y')]]) }, Buffer.from('ping'));
    await add({ name: 'top/link', type: 'symlink', linkname: `../${'t'.repeat(150)}`, mode: 0o777 });
    await add({ name: 'top/hard', type: 'hardlink', linkname: 'top/hello.txt' });
    await add({ name: 'top/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 });
    await add({ name: 'top/loop', type: 'block', devmajor: 7, devminor: 1, mode: 0o660 });
    await add({ name: 'top/fifo', type: 'fifo', mode: 0o600 });
    await add({ name: 'top/ünïcode-ñame', type: 'file', size: 1 }, Buffer.from('u'));
    await writer.finish();
    await done;
  }

  test('tar -tv lists every entry with the right type, mode, owner, size and target', async () => {
    const file = path.join(dir, 'listed.tar');
    await writeArchive(file);
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8' }).trim().split('\n');
    const fields = listing.map((line) => {
      const [mode, owner, size] = line.split(/\s+/);
      const name = line.slice(line.indexOf(':') + 4);
      return `${mode} ${owner} ${size} ${name}`;
    });
    assert.deepEqual(fields, [
      'drwxr-x--- 1000/1000 0 top/',
      '-rw-r----- 1000/100 6 top/hello.txt',
      `-rw-r--r-- 3000000/3000001 ${big.length} top/big.bin`,
      `-rw-r--r-- 0/0 4 ${LONG_NAME}`,
      '-rwxr-xr-x 0/0 4 top/ping',
      `lrwxrwxrwx 0/0 0 top/link -> ../${'t'.repeat(150)}`,
      'hrw-r--r-- 0/0 0 top/hard link to top/hello.txt',
      'crw-rw-rw- 0/0 1,3 top/null',
      'brw-rw---- 0/0 7,1 top/loop',
      'prw------- 0/0 0 top/fifo',
      '-rw-r--r-- 0/0 1 top/ünïcode-ñame',
    ]);
  });

  test('tar -x --xattrs extracts exactly what was written', async () => {
    const file = path.join(dir, 'extracted.tar');
    await writeArchive(file);
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--same-owner', '--numeric-owner', '-xpf', file, '-C', out]);
    const at = (p: string) => path.join(out, p);
    assert.equal(await fs.readFile(at('top/hello.txt'), 'utf8'), 'hello\n');
    assert.ok((await fs.readFile(at('top/big.bin'))).equals(big));
    assert.equal(await fs.readFile(at(LONG_NAME), 'utf8'), 'long');
    assert.equal(await fs.readFile(at('top/ünïcode-ñame'), 'utf8'), 'u');
    const hello = await fs.stat(at('top/hello.txt'));
    assert.equal(hello.mode & 0o7777, 0o640);
    assert.deepEqual([hello.uid, hello.gid, hello.mtimeMs / 1000], [1000, 100, MTIME]);
    assert.equal((await fs.stat(at('top/hard'))).ino, hello.ino);
    const bigStat = await fs.stat(at('top/big.bin'));
    assert.deepEqual([bigStat.uid, bigStat.gid], [3_000_000, 3_000_001]);
    assert.equal(await fs.readlink(at('top/link')), `../${'t'.repeat(150)}`);
    const nul = await fs.stat(at('top/null'));
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, (1 << 8) | 3);
    assert.ok((await fs.stat(at('top/loop'))).isBlockDevice());
    assert.ok((await fs.stat(at('top/fifo'))).isFIFO());
    const attrs = execFileSync('getfattr', ['--absolute-names', '-d', '-m', '-', '-e', 'base64', at('top/ping')], { encoding: 'utf8' });
    assert.match(attrs, new RegExp(`security.capability=0s${cap.toString('base64').replace(/[+/=]/g, '\\$&')}`));
    assert.match(attrs, /user.note=0seD15/);
    const top = await fs.stat(at('top'));
    assert.deepEqual([top.mode & 0o7777, top.uid, top.gid], [0o750, 1000, 1000]);
  });

  test('a GNU tar archive read by berth and written again lists the same under tar -tv', async () => {
    const tree = path.join(dir, 'again');
    await fs.mkdir(path.join(tree, 'a/b'), { recursive: true });
    await fs.writeFile(path.join(tree, 'a/b/file'), 'content');
    await fs.writeFile(path.join(tree, `a/${'n'.repeat(200)}`), 'n');
    await fs.symlink('b/file', path.join(tree, 'a/sym'));
    execFileSync('mknod', [path.join(tree, 'a/zero'), 'c', '1', '5']);
    const original = path.join(dir, 'original.tar');
    execFileSync('tar', ['--format=pax', '--mtime=@1700000000', '-cf', original, '-C', tree, 'a']);
    const copy = path.join(dir, 'copy.tar');
    const writer = new TarWriter();
    const done = pipeline(writer, createWriteStream(copy));
    for await (const entry of readTar(createReadStream(original))) await writer.add(entry.header, entry.body);
    await writer.finish();
    await done;
    const list = (f: string) => execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', f], { encoding: 'utf8' });
    assert.equal(list(copy), list(original));
  });
});
