// Benchmark: `berth build` against `podman build` and docker's classic builder (dockerd
// 20.10, DOCKER_BUILDKIT=0) on one Containerfile: a Debian bookworm minbase base (debootstrap,
// cached by bench/layer-apply.ts), a COPY of a 200 MB file, a COPY of 20,000 small files and
// a RUN. Cold (--no-cache, fresh stores with only the base) and an unchanged rebuild (warm).
//
// Run: `node dist/bench/build.js` as root after scripts/build.sh and bench/layer-apply (it
// makes /var/tmp/berth-bench/rootfs.tar.gz and small/). Work goes to /var/tmp/berth-build-bench.
// Every build is its own CLI process (node start-up counted for berth); medians of
// BENCH_ROUNDS rounds (default 3). BENCH_TOOLS=berth,podman,docker picks the tools.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Committer } from '../src/build/commit.js';
import { hostPlatform, type ImageConfig, OCI_LAYER_TAR_GZIP } from '../src/image/index.js';
import { createLayerFromDirectory } from '../src/layer/index.js';
import { openStore } from '../src/store/index.js';

const CACHE = '/var/tmp/berth-bench';
const WORK = '/var/tmp/berth-build-bench';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TOOLS = (process.env.BENCH_TOOLS ?? 'berth,podman,docker').split(',');
const BERTH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const DOCKER = '/usr/bin/docker';

const CONTAINERFILE = `FROM localhost/debian
COPY big.bin /data/big.bin
COPY small/ /data/small/
RUN echo built > /built && ls /data/small | wc -l > /data/count
`;

function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: env ?? process.env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
}

function seconds(cmd: string, args: string[], env?: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  sh(cmd, args, env);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function prepareContext(): string {
  const ctx = path.join(WORK, 'context');
  if (!fs.existsSync(path.join(CACHE, 'rootfs.tar.gz')) || !fs.existsSync(path.join(CACHE, 'small'))) {
    throw new Error(`run bench/layer-apply first: it makes ${CACHE}/rootfs.tar.gz and ${CACHE}/small (debootstrap)`);
  }
  if (!fs.existsSync(path.join(ctx, '.done'))) {
    fs.rmSync(ctx, { recursive: true, force: true });
    fs.mkdirSync(ctx, { recursive: true });
    const fd = fs.openSync(path.join(ctx, 'big.bin'), 'w');
    for (let i = 0; i < 200; i++) fs.writeSync(fd, randomBytes(1 << 20));
    fs.closeSync(fd);
    sh('cp', ['-a', path.join(CACHE, 'small'), path.join(ctx, 'small')]);
    fs.writeFileSync(path.join(ctx, '.done'), '');
  }
  fs.writeFileSync(path.join(ctx, 'Containerfile'), CONTAINERFILE);
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), CONTAINERFILE);
  return ctx;
}

/** A fresh berth store holding only the Debian base as localhost/debian. */
async function berthStore(dir: string): Promise<string[]> {
  fs.rmSync(dir, { recursive: true, force: true });
  const root = path.join(dir, 'root');
  const runroot = path.join(dir, 'run');
  const store = await openStore({ root, runroot });
  const rootfs = path.join(CACHE, 'rootfs');
  await store.withLease(async (lease) => {
    const c = new Committer(store, lease);
    const layer = await c.commitBlob(createLayerFromDirectory(rootfs), undefined, { mediaType: OCI_LAYER_TAR_GZIP });
    const p = hostPlatform();
    const config: ImageConfig = { architecture: p.architecture, os: p.os, config: {}, rootfs: { type: 'layers', diff_ids: [layer.diffID] } };
    await c.writeImage(config, [layer], ['localhost/debian:latest']);
  });
  return ['--root', root, '--runroot', runroot];
}

/** Unmounts what a tool left mounted under `dir` (dockerd's netns file, podman's overlays). */
function unmountUnder(dir: string): void {
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m?.startsWith(`${dir}/`));
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
}

function podmanStore(dir: string): string[] {
  unmountUnder(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  const args = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'overlay', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none', '--runtime', 'runc'];
  sh('podman', [...args, 'import', path.join(CACHE, 'rootfs.tar.gz'), 'localhost/debian']);
  return args;
}

async function startDocker(dir: string): Promise<{ args: string[]; stop: () => Promise<void> }> {
  fs.mkdirSync(dir, { recursive: true });
  const sock = path.join(dir, 'docker.sock');
  const child: ChildProcess = spawn(
    '/usr/sbin/dockerd',
    ['--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'), '-H', `unix://${sock}`, '--iptables=false', '--bridge=none'],
    { stdio: 'ignore' },
  );
  const args = ['-H', `unix://${sock}`];
  for (let i = 0; i < 100; i++) {
    if (spawnSync(DOCKER, [...args, 'version'], { stdio: 'ignore' }).status === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    args,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
    },
  };
}

interface Tool {
  name: string;
  /** Fresh store with only the base; returns the build command. */
  fresh(): Promise<void>;
  cold(): number;
  warm(): number;
  close(): Promise<void>;
}

async function tools(ctx: string): Promise<Tool[]> {
  const out: Tool[] = [];
  if (TOOLS.includes('berth')) {
    let store: string[] = [];
    const build = (extra: string[]) => seconds(process.execPath, [BERTH_ENTRY, ...store, 'build', ...extra, '-q', '-t', 'bench', ctx]);
    out.push({
      name: 'berth',
      fresh: async () => {
        store = await berthStore(path.join(WORK, 'berth'));
      },
      cold: () => build(['--no-cache']),
      warm: () => build([]),
      close: async () => {},
    });
  }
  if (TOOLS.includes('podman')) {
    let store: string[] = [];
    const build = (extra: string[]) => seconds('podman', [...store, 'build', ...extra, '--network', 'host', '-q', '-t', 'bench', ctx]);
    out.push({
      name: 'podman',
      fresh: async () => {
        if (store.length) spawnSync('podman', [...store, 'rmi', '-a', '-f'], { stdio: 'ignore' });
        store = podmanStore(path.join(WORK, 'podman'));
      },
      cold: () => build(['--no-cache']),
      warm: () => build([]),
      close: async () => {
        spawnSync('podman', [...store, 'rmi', '-a', '-f'], { stdio: 'ignore' });
      },
    });
  }
  if (TOOLS.includes('docker')) {
    const dir = path.join(WORK, 'docker');
    unmountUnder(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    const d = await startDocker(dir);
    sh(DOCKER, [...d.args, 'import', path.join(CACHE, 'rootfs.tar.gz'), 'localhost/debian']);
    const env = { ...process.env, DOCKER_BUILDKIT: '0' };
    const build = (extra: string[]) => seconds(DOCKER, [...d.args, 'build', ...extra, '--network', 'host', '-q', '-t', 'bench', ctx], env);
    out.push({
      name: 'docker (classic)',
      fresh: async () => {
        spawnSync(DOCKER, [...d.args, 'rmi', '-f', 'bench'], { stdio: 'ignore' });
        spawnSync(DOCKER, [...d.args, 'image', 'prune', '-f'], { stdio: 'ignore' });
      },
      cold: () => build(['--no-cache']),
      warm: () => build([]),
      close: async () => {
        await d.stop();
        unmountUnder(dir);
      },
    });
  }
  return out;
}

async function main(): Promise<void> {
  fs.mkdirSync(WORK, { recursive: true });
  const ctx = prepareContext();
  const all = await tools(ctx);
  const cold = new Map<string, number[]>(all.map((t) => [t.name, []]));
  const warm = new Map<string, number[]>(all.map((t) => [t.name, []]));
  try {
    // Rounds interleave the tools, so load from elsewhere on the machine hits all alike.
    for (let i = 0; i < ROUNDS; i++) {
      for (const t of all) {
        await t.fresh();
        cold.get(t.name)!.push(t.cold());
      }
    }
    for (let i = 0; i < ROUNDS; i++) for (const t of all) warm.get(t.name)!.push(t.warm());
  } finally {
    for (const t of all) await t.close();
  }
  const podman = all.some((t) => t.name === 'podman') ? { cold: median(cold.get('podman')!), warm: median(warm.get('podman')!) } : undefined;
  console.log(`build bench (wall seconds, median of ${ROUNDS} interleaved rounds; cold = --no-cache on a store holding only the base)`);
  console.log('tool               cold     warm   cold/podman  warm/podman   (all rounds: cold | warm)');
  for (const t of all) {
    const c = median(cold.get(t.name)!);
    const w = median(warm.get(t.name)!);
    const rc = podman ? (c / podman.cold).toFixed(2) : '-';
    const rw = podman ? (w / podman.warm).toFixed(2) : '-';
    const rounds = `${cold.get(t.name)!.map((x) => x.toFixed(2)).join(' ')} | ${warm.get(t.name)!.map((x) => x.toFixed(2)).join(' ')}`;
    console.log(`${t.name.padEnd(18)} ${c.toFixed(2).padStart(6)}  ${w.toFixed(2).padStart(6)}  ${rc.padStart(11)}  ${rw.padStart(11)}   (${rounds})`);
  }
}

/** A tiny entry that runs the CLI of this build output (bin/berth points at dist/). */
const BERTH_ENTRY = path.join(WORK, 'berth-entry.mjs');
fs.mkdirSync(WORK, { recursive: true });
fs.writeFileSync(BERTH_ENTRY, `import(${JSON.stringify(BERTH)}).then((m) => m.main(process.argv.slice(2))).then((c) => { process.exitCode = c; });\n`);

await main();
