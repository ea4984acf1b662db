// Tar reader, writer, gzip and zstd throughput of src/archive side by side with GNU tar, on a
// ~300 MB tree of mixed files and on 20,000 small files. Run: node dist/bench/archive-throughput.js
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { compressGzip, compressZstd, createZstdDecompress, decompress, readTar, TarWriter, tarHeader } from '../src/archive/index.js';

const ROOT = process.env.BERTH_BENCH_DIR ?? path.join(os.tmpdir(), 'berth-bench-archive');
const RUNS = Number(process.env.BERTH_BENCH_RUNS ?? 3);

/** Deterministic pseudo-random bytes that compress like real binaries (about 2-3x). */
function content(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 3 === 0 ? x >>> 24 : (i >> 6) & 0x7f;
  }
  return out;
}

async function makeTrees(): Promise<{ mixed: string; small: string }> {
  const mixed = path.join(ROOT, 'mixed');
  const small = path.join(ROOT, 'small');
  if (!existsSync(path.join(ROOT, 'ready'))) {
    await fs.rm(ROOT, { recursive: true, force: true });
    // Mixed: 3 files of 40 MB, 150 of 1 MB, 3,000 of 20 KB, 5,000 of 1 KB: ~330 MB.
    const sizes: number[] = [...Array(3).fill(40 << 20), ...Array(150).fill(1 << 20), ...Array(3000).fill(20 << 10), ...Array(5000).fill(1 << 10)];
    for (let i = 0; i < sizes.length; i++) {
      const d = path.join(mixed, `d${i % 50}`);
      await fs.mkdir(d, { recursive: true });
      await fs.writeFile(path.join(d, `f${i}`), content(sizes[i], i));
    }
    for (let i = 0; i < 20_000; i++) {
      const d = path.join(small, `d${i % 200}`);
      await fs.mkdir(d, { recursive: true });
      await fs.writeFile(path.join(d, `file-${i}.txt`), content(200 + (i % 3000), i));
    }
    for (const [tree, name] of [
      [mixed, 'mixed'],
      [small, 'small'],
    ]) {
      spawnSync('tar', ['-cf', path.join(ROOT, `${name}.tar`), '-C', tree, '.']);
    }
    spawnSync('bash', ['-c', `zstd -q -f -3 ${ROOT}/mixed.tar -o ${ROOT}/mixed.tar.zst`]);
    await fs.writeFile(path.join(ROOT, 'ready'), '');
  }
  return { mixed, small };
}

/** Best of RUNS by wall time; CPU time (user+sys, thread pool and children included) too, as the host may be busy. */
async function best(label: string, bytes: number, run: () => unknown): Promise<void> {
  let wall = Number.POSITIVE_INFINITY;
  let cpu = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const before = process.cpuUsage();
    const childCpu = await run();
    const used = process.cpuUsage(before);
    wall = Math.min(wall, performance.now() - start);
    cpu = Math.min(cpu, typeof childCpu === 'number' ? childCpu : (used.user + used.system) / 1000);
  }
  const rate = (ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0).padStart(5);
  console.log(`${label.padEnd(56)} ${wall.toFixed(0).padStart(6)} ms ${rate(wall)} MB/s | cpu ${cpu.toFixed(0).padStart(6)} ms ${rate(cpu)} MB/s`);
}

/** Runs a shell pipeline; returns the CPU milliseconds of everything it ran. */
function shell(script: string): number {
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%3U %3S'; time ( ${script} )`], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  const [user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return (user + sys) * 1000;
}

const devNull = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

async function readBodies(file: string, mode: 'stream' | 'readAll' | 'skip'): Promise<void> {
  for await (const entry of readTar(createReadStream(file, { highWaterMark: 256 * 1024 }))) {
    if (mode === 'skip') continue;
    if (mode === 'readAll' && entry.header.size <= 1 << 20) await entry.readAll();
    else for await (const _ of entry.body);
  }
}

/** Walks a tree the way a layer writer does: lstat, then small files read whole, big ones streamed. */
async function writeTree(tree: string, out: Writable): Promise<void> {
  const writer = new TarWriter();
  const done = pipeline(writer, out);
  const walk = async (dir: string, rel: string): Promise<void> => {
    // Synchronous metadata calls: for small files a thread-pool round trip costs more than the call.
    const names = readdirSync(dir).sort();
    for (const name of names) {
      const p = path.join(dir, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        await writer.add(tarHeader({ name: `${r}/`, type: 'directory', mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000) }));
        await walk(p, r);
      } else {
        const h = tarHeader({ name: r, type: 'file', size: st.size, mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000) });
        await writer.add(h, st.size <= 1 << 20 ? readFileSync(p) : createReadStream(p, { highWaterMark: 1 << 20 }));
      }
    }
  };
  await walk(tree, '');
  await writer.finish();
  await done;
}

/** The writer alone: 20,000 in-memory files of 200 B to 3 KB. */
async function writeMemory(files: Buffer[]): Promise<void> {
  const writer = new TarWriter();
  const done = pipeline(writer, devNull());
  for (let i = 0; i < files.length; i++) {
    await writer.add(tarHeader({ name: `d${i % 200}/file-${i}.txt`, type: 'file', size: files[i].length, mtime: 1_700_000_000 }), files[i]);
  }
  await writer.finish();
  await done;
}

async function main(): Promise<void> {
  const { mixed, small } = await makeTrees();
  const mixedTar = path.join(ROOT, 'mixed.tar');
  const smallTar = path.join(ROOT, 'small.tar');
  const mixedSize = (await fs.stat(mixedTar)).size;
  const smallSize = (await fs.stat(smallTar)).size;
  console.log(`mixed.tar ${(mixedSize / 1e6).toFixed(0)} MB (8,153 files), small.tar ${(smallSize / 1e6).toFixed(0)} MB (20,000 files); best of ${RUNS}`);

  console.log('\n# reading');
  for (const [file, size, name] of [
    [mixedTar, mixedSize, 'mixed'],
    [smallTar, smallSize, 'small'],
  ] as const) {
    await best(`readTar ${name}: every body streamed`, size, () => readBodies(file, 'stream'));
    await best(`readTar ${name}: small bodies by readAll()`, size, () => readBodies(file, 'readAll'));
    await best(`readTar ${name}: bodies skipped`, size, () => readBodies(file, 'skip'));
    await best(`GNU tar ${name}: cat | tar -xO > /dev/null`, size, () => shell(`cat ${file} | tar -xOf - > /dev/null`));
    await best(`GNU tar ${name}: cat | tar -t > /dev/null`, size, () => shell(`cat ${file} | tar -tf - > /dev/null`));
  }

  console.log('\n# writing (reads the tree from disk, tar to a sink)');
  for (const [tree, size, name] of [
    [mixed, mixedSize, 'mixed'],
    [small, smallSize, 'small'],
  ] as const) {
    await best(`TarWriter ${name}: tree -> sink`, size, () => writeTree(tree, devNull()));
    await best(`GNU tar ${name}: tar -c | cat > /dev/null`, size, () => shell(`tar -cf - -C ${tree} . | cat > /dev/null`));
  }
  const memory = Array.from({ length: 20_000 }, (_, i) => content(200 + (i % 3000), i));
  const memorySize = memory.reduce((n, b) => n + 1024 + b.length, 0);
  await best('TarWriter: 20,000 in-memory files -> sink', memorySize, () => writeMemory(memory));

  console.log('\n# gzip on small.tar (compressGzip: parallel 1 MiB members)');
  for (const [level, concurrency] of [
    [1, 1],
    [1, 2],
    [6, 1],
    [6, 2],
  ]) {
    let out = 0;
    await best(`compressGzip level ${level}, concurrency ${concurrency}`, smallSize, async () => {
      out = 0;
      const counter = new Writable({
        write(c: Buffer, _e, cb) {
          out += c.length;
          cb();
        },
      });
      await pipeline(createReadStream(smallTar, { highWaterMark: 1 << 20 }), compressGzip(level, { concurrency }), counter);
    });
    console.log(`  ratio ${(smallSize / out).toFixed(2)}`);
  }
  await best('GNU gzip -1 (for scale)', smallSize, () => shell(`gzip -1 -c ${smallTar} > /dev/null`));
  await best('GNU gzip -6 (for scale)', smallSize, () => shell(`gzip -6 -c ${smallTar} > /dev/null`));

  console.log('\n# decompression + readTar of mixed.tar');
  const gz = path.join(ROOT, 'mixed.tar.gz');
  if (!existsSync(gz)) shell(`gzip -6 -c ${mixedTar} > ${gz}`);
  for (const file of [gz, `${mixedTar}.zst`]) {
    await best(`decompress + readTar ${path.basename(file)}`, mixedSize, async () => {
      const { stream } = await decompress(createReadStream(file, { highWaterMark: 256 * 1024 }));
      for await (const entry of readTar(stream)) for await (const _ of entry.body);
    });
  }
  await best('GNU: tar -xzOf mixed.tar.gz > /dev/null', mixedSize, () => shell(`tar -xzOf ${gz} > /dev/null`));
  await best('GNU: zstd -dc mixed.tar.zst | tar -xO > /dev/null', mixedSize, () => shell(`zstd -dc ${mixedTar}.zst | tar -xOf - > /dev/null`));

  console.log('\n# zstd alone (libzstd through the addon vs the zstd CLI)');
  const sink = () => pipeline(createReadStream(`${mixedTar}.zst`, { highWaterMark: 256 * 1024 }), createZstdDecompress(), devNull());
  await best('createZstdDecompress mixed.tar.zst -> sink', mixedSize, sink);
  await best('GNU: zstd -dc mixed.tar.zst > /dev/null', mixedSize, () => shell(`zstd -dc ${mixedTar}.zst > /dev/null`));
  await best('compressZstd level 3 small.tar -> sink', smallSize, () =>
    pipeline(createReadStream(smallTar, { highWaterMark: 256 * 1024 }), compressZstd(3), devNull()),
  );
  await best('GNU: zstd -3 -c small.tar > /dev/null', smallSize, () => shell(`zstd -3 -q -c ${smallTar} > /dev/null`));
}

await main();
