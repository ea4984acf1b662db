// Benchmark: applying and creating layers, berth against umoci and GNU tar, on a Debian
// bookworm minbase rootfs (debootstrap, cached; also as zstd) and a layer of 20,000 small files.
//
// Run: `node dist/bench/layer-apply.js` (after scripts/build.sh; as root). Inputs are cached
// under /var/tmp/berth-bench/ (debootstrap takes a few minutes once). Outputs go to a tmpfs
// mounted for the run, so disk write-back of earlier rounds does not leak into later ones.
// Every tool runs as its own process (berth included, node start-up counted); medians of
// ROUNDS rounds (default 5, env BENCH_ROUNDS).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import * as sys from '../src/internal/sys.js';
import { applyLayer, createLayerFromDirectory } from '../src/layer/index.js';

const CACHE = '/var/tmp/berth-bench';
const ROOTFS = path.join(CACHE, 'rootfs');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SELF = fileURLToPath(import.meta.url);

// Worker mode: the berth side of each measurement, in a fresh process like the peers.
if (process.argv[2] === '--apply') {
  await applyLayer(fs.createReadStream(process.argv[3]), process.argv[4], { mode: 'overlay-lower' });
  process.exit(0);
}
if (process.argv[2] === '--create') {
  const blob = createLayerFromDirectory(process.argv[3]);
  await pipeline(blob.stream, fs.createWriteStream(process.argv[4]));
  await blob.done;
  process.exit(0);
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

/** Runs a command (a shell line when args is empty) under time(1); returns its CPU seconds. */
function timed(cmd: string, args: string[]): number {
  const argv = args.length > 0 ? [cmd, ...args] : ['sh', '-c', cmd];
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return m ? Number(m[1]) + Number(m[2]) : Number.NaN;
}

function ensureRootfs(): void {
  if (fs.existsSync(path.join(CACHE, 'rootfs.done'))) return;
  console.log(`making ${ROOTFS} with debootstrap (once; a few minutes)`);
  fs.rmSync(ROOTFS, { recursive: true, force: true });
  run('debootstrap', ['--variant=minbase', 'bookworm', ROOTFS, 'http://deb.debian.org/debian']);
  fs.writeFileSync(path.join(CACHE, 'rootfs.done'), '');
}

function ensureLayers(): { rootfs: string; small: string } {
  const rootfs = path.join(CACHE, 'rootfs.tar.gz');
  if (!fs.existsSync(rootfs)) run('tar', ['--xattrs', '--xattrs-include=*', '-C', ROOTFS, '-czf', rootfs, '.']);
  const small = path.join(CACHE, 'small.tar.gz');
  if (!fs.existsSync(small)) {
    const dir = path.join(CACHE, 'small');
    fs.rmSync(dir, { recursive: true, force: true });
    for (let d = 0; d < 200; d++) {
      fs.mkdirSync(path.join(dir, `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) {
        fs.writeFileSync(path.join(dir, `d${d}`, `f${f}.txt`), 'x'.repeat(50 + (((d * 100 + f) * 37) % 2000)));
      }
    }
    run('tar', ['-C', dir, '-czf', small, '.']);
  }
  return { rootfs, small };
}

/** The rootfs layer as zstd (level 3, as podman writes them), for the zstd rows. */
function ensureZstdLayer(rootfsGz: string): string {
  const zst = path.join(CACHE, 'rootfs.tar.zst');
  if (!fs.existsSync(zst)) run('sh', ['-c', `zcat ${rootfsGz} | zstd -q -3 -o ${zst}`]);
  return zst;
}

async function sha256Of(file: string, gunzip: boolean): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const source = fs.createReadStream(file);
  const stream = gunzip ? source.pipe(createGunzip()) : source;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** A minimal OCI image layout with one single-layer image per tag, for umoci. */
async function ensureOciLayout(layers: Record<string, string>): Promise<string> {
  const layout = path.join(CACHE, 'oci');
  if (fs.existsSync(path.join(layout, 'index.json'))) return layout;
  const blobs = path.join(layout, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const putJson = (value: unknown) => {
    const data = Buffer.from(JSON.stringify(value));
    const hex = createHash('sha256').update(data).digest('hex');
    fs.writeFileSync(path.join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const manifests = [];
  for (const [tag, file] of Object.entries(layers)) {
    const blob = await sha256Of(file, false);
    const diff = await sha256Of(file, true);
    fs.copyFileSync(file, path.join(blobs, blob.digest.slice(7)));
    const config = putJson({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diff.digest] } });
    const manifest = putJson({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blob }],
    });
    manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      annotations: { 'org.opencontainers.image.ref.name': tag },
    });
  }
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  return layout;
}

interface Timing {
  /** Median wall seconds. */
  wall: number;
  /** Median CPU seconds (user + system, children included). */
  cpu: number;
}

/** Medians over ROUNDS of `body` (which returns its CPU seconds), `prepare` untimed before each. */
function measure(prepare: () => void, body: () => number): Timing {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    prepare();
    const start = process.hrtime.bigint();
    cpus.push(body());
    walls.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return { wall: median(walls), cpu: median(cpus) };
}

async function main(): Promise<void> {
  fs.mkdirSync(CACHE, { recursive: true });
  ensureRootfs();
  const layers = ensureLayers();
  const layout = await ensureOciLayout({ rootfs: layers.rootfs, small: layers.small });
  const mnt = path.join(CACHE, 'mnt');
  fs.mkdirSync(mnt, { recursive: true });
  sys.mount('berth-bench', mnt, 'tmpfs', 0, 'size=6g');
  const out = path.join(mnt, 'out');
  const fresh = () => {
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out);
  };
  const node = process.execPath;
  const rows: string[][] = [];
  try {
    for (const [name, file] of Object.entries(layers)) {
      const berth = measure(fresh, () => timed(node, [SELF, '--apply', file, out]));
      const umoci = measure(
        () => fs.rmSync(out, { recursive: true, force: true }),
        () => timed('umoci', ['raw', 'unpack', '--image', `${layout}:${name}`, out]),
      );
      const tar = measure(fresh, () => timed('tar', ['-xzf', file, '-C', out]));
      const label = `apply ${name} (${(fs.statSync(file).size / 1e6).toFixed(1)} MB gz)`;
      rows.push([`${label} wall`, s(berth.wall), s(umoci.wall), s(tar.wall), x(umoci.wall / berth.wall), x(tar.wall / berth.wall)]);
      rows.push([`${label} cpu`, s(berth.cpu), s(umoci.cpu), s(tar.cpu), x(umoci.cpu / berth.cpu), x(tar.cpu / berth.cpu)]);
    }
    // zstd: berth's libzstd stream against GNU tar running the zstd CLI (umoci 0.4.7 has no zstd).
    const zst = ensureZstdLayer(layers.rootfs);
    const berthZstd = measure(fresh, () => timed(node, [SELF, '--apply', zst, out]));
    const tarZstd = measure(fresh, () => timed('tar', ['--zstd', '-xf', zst, '-C', out]));
    const zlabel = `apply rootfs (${(fs.statSync(zst).size / 1e6).toFixed(1)} MB zst)`;
    rows.push([`${zlabel} wall`, s(berthZstd.wall), '', s(tarZstd.wall), '', x(tarZstd.wall / berthZstd.wall)]);
    rows.push([`${zlabel} cpu`, s(berthZstd.cpu), '', s(tarZstd.cpu), '', x(tarZstd.cpu / berthZstd.cpu)]);
    const blob = path.join(mnt, 'layer.tar.gz');
    const clean = () => fs.rmSync(blob, { force: true });
    const berthCreate = measure(clean, () => timed(node, [SELF, '--create', ROOTFS, blob]));
    const berthSize = fs.statSync(blob).size;
    const tarGzip6 = measure(clean, () => timed(`tar -C ${ROOTFS} -cf - . | gzip > ${blob}`, []));
    const tarGzip1 = measure(clean, () => timed(`tar -C ${ROOTFS} -cf - . | gzip -1 > ${blob}`, []));
    const gzip1Size = fs.statSync(blob).size;
    for (const [label, t] of [['tar|gzip (-6)', tarGzip6], ['tar|gzip -1', tarGzip1]] as const) {
      rows.push([`create rootfs vs ${label} wall`, s(berthCreate.wall), '', s(t.wall), '', x(t.wall / berthCreate.wall)]);
      rows.push([`create rootfs vs ${label} cpu`, s(berthCreate.cpu), '', s(t.cpu), '', x(t.cpu / berthCreate.cpu)]);
    }
    console.log(`layer blob sizes: berth ${(berthSize / 1e6).toFixed(1)} MB (gzip level 1), tar|gzip -1 ${(gzip1Size / 1e6).toFixed(1)} MB`);
  } finally {
    sys.umount2(mnt, sys.MNT_DETACH);
  }
  const head = ['case', 'berth', 'umoci raw unpack', 'tar', 'umoci/berth', 'tar/berth'];
  console.log(`medians of ${ROUNDS} rounds, seconds; wall clock and CPU (user+sys incl. children); ratios > 1: berth faster`);
  for (const row of [head, ...rows]) console.log(row.map((c, i) => (i === 0 ? c.padEnd(44) : c.padStart(18))).join(''));
}

const s = (t: number) => t.toFixed(3);
const x = (r: number) => `${r.toFixed(2)}x`;

await main();
