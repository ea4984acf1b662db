// Benchmark: pulling (download and unpack) a ~300 MB image of three layers (a Debian minbase
// rootfs, 20,000 small files, 100 MB of incompressible data) from a local Distribution
// registry: `berth pull` against `podman pull` and `docker pull`, each on a clean store.
//
// Run: `node dist/bench/pull.js` (after scripts/build.sh; as root). Inputs are cached under
// /var/tmp/berth-bench/ (the rootfs by debootstrap, shared with layer-apply.ts). Every store
// (berth, podman's overlay, dockerd's overlay2 data root) lives on a tmpfs mounted for the run,
// so disk write-back does not leak between rounds. Each round starts from an empty store (and
// a fresh dockerd); medians of ROUNDS rounds (default 3, env BENCH_ROUNDS). BENCH_TOOLS=berth,podman
// runs only those; BENCH_BERTH=/other/checkout/bin/berth times another build of berth (A/B).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../src/internal/paths.js';
import * as sys from '../src/internal/sys.js';

const CACHE = '/var/tmp/berth-bench';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DOCKER = '/usr/bin/docker';
const TOOLS = new Set((process.env.BENCH_TOOLS ?? 'berth,podman,docker').split(','));

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: env ?? process.env, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
  }
  fs.closeSync(fd);
  return `sha256:${hash.digest('hex')}`;
}

/** The three layer blobs (gzip) and their diffIDs, made once and cached. */
function ensureLayers(): { file: string; diffID: string }[] {
  const rootfs = path.join(CACHE, 'rootfs.tar.gz');
  const small = path.join(CACHE, 'small.tar.gz');
  if (!fs.existsSync(rootfs) || !fs.existsSync(small)) {
    throw new Error(`run bench/layer-apply first: it makes ${rootfs} and ${small} (debootstrap)`);
  }
  const big = path.join(CACHE, 'pull-random.tar.gz');
  if (!fs.existsSync(big)) {
    const dir = path.join(CACHE, 'pull-random');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(dir, 'data', `blob-${i}.bin`), randomBytes(25 * 1024 * 1024));
    run('tar', ['-C', dir, '-czf', big, '.']);
  }
  return [rootfs, small, big].map((file) => {
    const cached = `${file}.diffid`;
    if (!fs.existsSync(cached)) {
      const hex = run('sh', ['-c', `gzip -dc '${file}' | sha256sum`]).split(' ')[0];
      fs.writeFileSync(cached, `sha256:${hex}`);
    }
    return { file, diffID: fs.readFileSync(cached, 'utf8') };
  });
}

/** An OCI layout of the bench image, for skopeo to push. */
function ensureLayout(layers: { file: string; diffID: string }[]): string {
  const layout = path.join(CACHE, 'pull-oci');
  if (fs.existsSync(path.join(layout, 'index.json'))) return layout;
  const blobs = path.join(layout, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer) => {
    const hex = createHash('sha256').update(data).digest('hex');
    fs.writeFileSync(path.join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const layerDescs = layers.map((l) => {
    const digest = sha256File(l.file);
    fs.copyFileSync(l.file, path.join(blobs, digest.slice(7)));
    return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: fs.statSync(l.file).size };
  });
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/bash'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) } })));
  const manifest = put(
    Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: layerDescs }),
    ),
  );
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const entry = { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } };
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [entry] }));
  return layout;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (check()) return;
    await sleep(200);
  }
  throw new Error(`${what} did not start`);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** Runs a command under time(1); returns its CPU seconds (user + system, children included). */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return m ? Number(m[1]) + Number(m[2]) : Number.NaN;
}

/** CPU seconds a process has used so far (utime + stime from /proc). */
function processCpu(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Timing {
  wall: number;
  walls: number[];
  cpu: number;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function measure(prepare: () => Promise<void>, body: () => number, cleanup: () => Promise<void>): Promise<Timing> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    await prepare();
    const start = process.hrtime.bigint();
    cpus.push(body());
    walls.push(Number(process.hrtime.bigint() - start) / 1e9);
    await cleanup();
  }
  return { wall: median(walls), walls, cpu: median(cpus) };
}

async function main(): Promise<void> {
  const layout = ensureLayout(ensureLayers());
  const mnt = path.join(CACHE, 'pull-mnt');
  fs.mkdirSync(mnt, { recursive: true });
  sys.mount('berth-bench-pull', mnt, 'tmpfs', 0, 'size=8g');
  let registry: ChildProcess | undefined;
  let dockerd: ChildProcess | undefined;
  try {
    // The registry's storage is on the tmpfs too: every tool reads the same bytes from memory.
    const port = await freePort();
    const regDir = path.join(mnt, 'registry');
    fs.mkdirSync(regDir, { recursive: true });
    fs.writeFileSync(
      path.join(regDir, 'config.yml'),
      `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${regDir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    );
    registry = spawn('docker-registry', ['serve', path.join(regDir, 'config.yml')], { stdio: 'ignore' });
    const host = `127.0.0.1:${port}`;
    await waitFor(() => spawnSync('curl', ['-sf', `http://${host}/v2/`]).status === 0, 'docker-registry');
    const image = `${host}/bench/pull:1`;
    const tmp = path.join(mnt, 'tmp');
    fs.mkdirSync(tmp);
    const env = { ...process.env, TMPDIR: tmp, CONTAINERS_REGISTRIES_CONF: path.join(tmp, 'registries.conf'), HOME: tmp, REGISTRY_AUTH_FILE: path.join(tmp, 'auth.json') };
    fs.writeFileSync(path.join(tmp, 'registries.conf'), '');
    fs.writeFileSync(path.join(tmp, 'auth.json'), '{"auths":{}}');
    run('skopeo', ['--insecure-policy', 'copy', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${image}`], env);
    const rows: [string, Timing, string][] = [];
    const stores = path.join(mnt, 'stores');
    const fresh = async () => {
      fs.rmSync(stores, { recursive: true, force: true });
      fs.mkdirSync(stores);
      spawnSync('sync');
    };

    // The CLI as users start it: bin/berth, running this build's dist/.
    const berthBin = process.env.BENCH_BERTH ?? path.join(projectRoot(), 'bin', 'berth');
    const berthArgs = ['--root', path.join(stores, 'root'), '--runroot', path.join(stores, 'run'), 'pull', '-q', image];
    if (TOOLS.has('berth')) rows.push(['berth pull', await measure(fresh, () => timed(berthBin, berthArgs, env), async () => {}), `berth ${berthArgs.join(' ')}`]);

    const podmanArgs = ['--root', path.join(stores, 'root'), '--runroot', path.join(stores, 'run'), '--storage-driver', 'overlay', 'pull', '-q', '--tls-verify=false', image];
    const podmanCleanup = async () => {
      spawnSync('podman', ['--root', path.join(stores, 'root'), '--runroot', path.join(stores, 'run'), '--storage-driver', 'overlay', 'system', 'reset', '-f'], { env, stdio: 'ignore' });
      spawnSync('umount', ['-R', path.join(stores, 'root', 'overlay')], { stdio: 'ignore' });
    };
    if (TOOLS.has('podman')) rows.push(['podman pull', await measure(fresh, () => timed('podman', podmanArgs, env), podmanCleanup), `podman ${podmanArgs.join(' ')}`]);

    const sock = path.join(mnt, 'docker.sock');
    const dockerPrepare = async () => {
      await fresh();
      dockerd = spawn(
        '/usr/sbin/dockerd',
        ['--data-root', path.join(stores, 'docker'), '--exec-root', path.join(stores, 'docker-exec'), '-H', `unix://${sock}`, '--pidfile', path.join(stores, 'docker.pid'), '--iptables=false', '--bridge=none', '--storage-driver', 'overlay2'],
        { stdio: 'ignore' },
      );
      await waitFor(() => spawnSync(DOCKER, ['-H', `unix://${sock}`, 'version'], { stdio: 'ignore' }).status === 0, 'dockerd');
    };
    const dockerCleanup = async () => {
      await stop(dockerd);
      dockerd = undefined;
      spawnSync('umount', ['-R', path.join(stores, 'docker')], { stdio: 'ignore' });
    };
    const dockerArgs = ['-H', `unix://${sock}`, 'pull', '-q', image];
    if (TOOLS.has('docker')) rows.push(['docker pull', await measure(dockerPrepare, () => {
          // dockerd itself downloads and unpacks: its CPU is what the pull costs.
          const before = processCpu(dockerd?.pid);
          run(DOCKER, dockerArgs, { ...env, DOCKER_CONFIG: tmp });
          return processCpu(dockerd?.pid) - before;
        }, dockerCleanup), `docker ${dockerArgs.join(' ')}`]);

    const fmt = (s: number) => `${s.toFixed(2)} s`;
    console.log(`pull of a 3-layer image (${fs.readdirSync(path.join(layout, 'blobs', 'sha256')).length - 2} layers: rootfs, 20,000 small files, 100 MB random) from ${host}; medians of ${ROUNDS} rounds on clean stores (tmpfs)`);
    console.log(`load average (1, 5, 15 min) at the end of the run: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    console.log(`${'tool'.padEnd(14)}${'wall median'.padEnd(14)}${'cpu median'.padEnd(13)}wall rounds`);
    for (const [name, t] of rows) console.log(`${name.padEnd(14)}${fmt(t.wall).padEnd(14)}${fmt(t.cpu).padEnd(13)}${t.walls.map(fmt).join(', ')}`);
    const wall = (name: string) => rows.find((r) => r[0] === name)?.[1].wall;
    const [b, p, d] = [wall('berth pull'), wall('podman pull'), wall('docker pull')];
    if (b !== undefined && p !== undefined) console.log(`berth / podman: ${(b / p).toFixed(2)}`);
    if (b !== undefined && d !== undefined) console.log(`berth / docker: ${(b / d).toFixed(2)}`);
    for (const [name, , cmd] of rows) console.log(`  ${name}: ${cmd}`);
  } finally {
    await stop(dockerd);
    await stop(registry);
    spawnSync('umount', ['-R', mnt], { stdio: 'ignore' });
  }
}

await main();
