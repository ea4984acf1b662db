// berth's registry against Distribution 2.8 (docker-registry), side by side with the same
// client: skopeo push and pull of a ~300 MB multi-layer image on fresh roots (wall time and
// the server's own CPU seconds, its whole process tree), then wrk requests per second for
// manifest and blob HEAD (ab) and GET (wrk) under concurrency. Run: npm run bench (BENCH=registry).
// BENCH_TOOLS=distribution,berth times only those servers; BENCH_RPS=0 skips the request rates
// (for repeated transfer-only runs on a busy host).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

const LAYERS = Number(process.env.BENCH_LAYERS ?? 6);
const LAYER_MB = Number(process.env.BENCH_LAYER_MB ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WRK_SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 5);
const WRK_CONNECTIONS = Number(process.env.BENCH_WRK_CONNECTIONS ?? 32);
const CACHE = process.env.BENCH_CACHE ?? path.join(os.tmpdir(), 'berth-bench-registry-image');
const CLK_TCK = 100;
const ALL_KINDS: Kind[] = ['distribution', 'berth', 'berth-direct', 'berth-nosync'];
const KINDS = ALL_KINDS.filter((k) => (process.env.BENCH_TOOLS ?? ALL_KINDS.join(',')).split(',').includes(k));
const RPS = process.env.BENCH_RPS !== '0';

const sh = (cmd: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout))),
  );

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

/** The ~300 MB test image as an OCI layout, built once and cached (random data, gzip level 1). */
async function image(): Promise<string> {
  const layout = path.join(CACHE, `layout-${LAYERS}x${LAYER_MB}`);
  if (existsSync(path.join(layout, 'index.json'))) return layout;
  const blobs = path.join(layout, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  const layers: { digest: string; size: number; diffId: string }[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const dir = path.join(CACHE, `src${i}`);
    await fs.mkdir(dir, { recursive: true });
    const f = await fs.open(path.join(dir, `data${i}.bin`), 'w');
    for (let mb = 0; mb < LAYER_MB; mb++) await f.write(randomBytes(1 << 20));
    await f.close();
    const tar = path.join(CACHE, `layer${i}.tar`);
    await sh('tar', ['-C', dir, '--numeric-owner', '--owner=0', '--group=0', '-cf', tar, '.']);
    const gz = path.join(CACHE, `layer${i}.tar.gz`);
    await pipeline(createReadStream(tar), createGzip({ level: 1 }), createWriteStream(gz));
    const digest = await sha256File(gz);
    await fs.rename(gz, path.join(blobs, digest));
    layers.push({ digest: `sha256:${digest}`, size: (await fs.stat(path.join(blobs, digest))).size, diffId: `sha256:${await sha256File(tar)}` });
    await fs.rm(tar);
    await fs.rm(dir, { recursive: true });
  }
  const put = async (b: Buffer) => {
    const d = createHash('sha256').update(b).digest('hex');
    await fs.writeFile(path.join(blobs, d), b);
    return `sha256:${d}`;
  };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await put(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    }),
  );
  const md = await put(manifest);
  await fs.writeFile(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await fs.writeFile(
    path.join(layout, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }),
  );
  return layout;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** user+sys CPU seconds of a process and all its descendants. */
async function treeCpu(pid: number): Promise<number> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const e of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = await fs.readFile(`/proc/${e}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(e), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {}
  }
  let total = 0;
  const visit = (p: number) => {
    const s = stats.get(p);
    if (!s) return;
    total += s.ticks;
    for (const [child, cs] of stats) if (cs.ppid === p) visit(child);
  };
  visit(pid);
  return total / CLK_TCK;
}

interface Server {
  name: string;
  host: string;
  pid: number;
  stop(): Promise<void>;
}

async function waitUp(host: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://${host}/v2/`);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server on ${host} did not come up`);
}

async function startServer(kind: Kind, root: string): Promise<Server> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const log = path.join(root, '..', `${path.basename(root)}.log`);
  let child: ChildProcess;
  if (kind !== 'distribution') {
    const main = new URL('../src/cli/main.js', import.meta.url).href;
    const config = path.join(root, '..', `${path.basename(root)}.yaml`);
    // berth fsyncs a blob before it becomes visible; Distribution never does. The nosync
    // run shows what that durability costs; the direct run writes uploads with O_DIRECT.
    await fs.writeFile(config, `listen: ${host}\nroot: ${root}\nlog:\n  access: ${log}\nstorage:\n  durable: ${kind !== 'berth-nosync'}\n  direct: ${kind === 'berth-direct'}\n`);
    child = spawn(process.execPath, ['--input-type=module', '-e', 'import(process.argv[1]).then((m) => m.main(process.argv.slice(2))).then((c) => process.exit(c))', main, 'registry', 'serve', '--config', config], { stdio: 'ignore' });
  } else {
    const config = path.join(root, '..', `${path.basename(root)}.yml`);
    await fs.writeFile(
      config,
      `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  cache:\n    blobdescriptor: inmemory\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n`,
    );
    const out = await fs.open(log, 'w');
    child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', out.fd, out.fd] });
    await out.close();
  }
  await waitUp(host);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name: kind,
    host,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type Kind = 'distribution' | 'berth' | 'berth-direct' | 'berth-nosync';

interface Sample {
  wall: number;
  cpu: number;
}

/** One round: a fresh root, push, pull into a fresh dir, stop. */
async function transferRound(kind: Kind, layout: string, work: string, round: number): Promise<{ push: Sample; pull: Sample }> {
  const root = path.join(work, `${kind}-root-${round}`);
  await fs.mkdir(root, { recursive: true });
  const s = await startServer(kind, root);
  try {
    const ref = `docker://${s.host}/bench/image:v1`;
    let cpu0 = await treeCpu(s.pid);
    let t0 = performance.now();
    await sh('skopeo', ['--insecure-policy', 'copy', '-q', '--dest-tls-verify=false', `oci:${layout}:v1`, ref]);
    const push = { wall: (performance.now() - t0) / 1000, cpu: (await treeCpu(s.pid)) - cpu0 };
    const dest = path.join(work, `${kind}-pull-${round}`);
    cpu0 = await treeCpu(s.pid);
    t0 = performance.now();
    await sh('skopeo', ['--insecure-policy', 'copy', '-q', '--src-tls-verify=false', ref, `dir:${dest}`]);
    const pull = { wall: (performance.now() - t0) / 1000, cpu: (await treeCpu(s.pid)) - cpu0 };
    await fs.rm(dest, { recursive: true, force: true });
    return { push, pull };
  } finally {
    await s.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** wrk for GET; ab for HEAD (wrk waits for a body a HEAD response never has). */
async function load(url: string, method: string, accept: string | undefined, work: string): Promise<number> {
  if (method === 'HEAD') {
    const args = ['-q', '-k', '-i', '-c', String(WRK_CONNECTIONS), '-t', String(WRK_SECONDS), '-n', '100000000'];
    if (accept) args.push('-H', `Accept: ${accept}`);
    const out = await sh('ab', [...args, url]);
    const non2xx = /Non-2xx responses:\s+(\d+)/.exec(out);
    if (non2xx) throw new Error(`ab HEAD ${url}: ${non2xx[1]} error responses`);
    return Number(/Requests per second:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  }
  return wrk(url, method, accept, work);
}

async function wrk(url: string, method: string, accept: string | undefined, work: string): Promise<number> {
  const script = path.join(work, `wrk-${method}.lua`);
  await fs.writeFile(script, `wrk.method = "${method}"\n${accept ? `wrk.headers["Accept"] = "${accept}"\n` : ''}`);
  const out = await sh('wrk', ['-t', '2', '-c', String(WRK_CONNECTIONS), '-d', `${WRK_SECONDS}s`, '-s', script, url]);
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  if (non2xx) throw new Error(`wrk ${method} ${url}: ${non2xx[1]} error responses`);
  return m ? Number(m[1]) : 0;
}

async function requestRates(kind: Kind, layout: string, work: string) {
  const root = path.join(work, `${kind}-rps-root`);
  await fs.mkdir(root, { recursive: true });
  const s = await startServer(kind, root);
  try {
    // A small image: the manifest and its config blob are the requests clients repeat most.
    await sh('skopeo', ['--insecure-policy', 'copy', '-q', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${s.host}/bench/image:v1`]);
    const index = JSON.parse(await fs.readFile(path.join(layout, 'index.json'), 'utf8'));
    const manifest = JSON.parse(await fs.readFile(path.join(layout, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'));
    const accept = 'application/vnd.oci.image.manifest.v1+json';
    const base = `http://${s.host}/v2/bench/image`;
    const out: Record<string, number> = {};
    out['manifest HEAD (tag)'] = await load(`${base}/manifests/v1`, 'HEAD', accept, work);
    out['manifest GET (tag)'] = await load(`${base}/manifests/v1`, 'GET', accept, work);
    out['manifest GET (digest)'] = await load(`${base}/manifests/${index.manifests[0].digest}`, 'GET', accept, work);
    out['blob HEAD'] = await load(`${base}/blobs/${manifest.config.digest}`, 'HEAD', undefined, work);
    out['blob GET (config)'] = await load(`${base}/blobs/${manifest.config.digest}`, 'GET', undefined, work);
    return out;
  } finally {
    await s.stop();
    await fs.rm(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const layout = await image();
  let total = 0;
  for (const f of await fs.readdir(path.join(layout, 'blobs', 'sha256'))) total += (await fs.stat(path.join(layout, 'blobs', 'sha256', f))).size;
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-bench-registry-'));
  try {
    console.log(`registry bench: image ${LAYERS} layers, ${(total / 1e6).toFixed(0)} MB; ${ROUNDS} rounds (median); wrk ${WRK_CONNECTIONS} connections, ${WRK_SECONDS}s`);
    const kinds = KINDS;
    const samples = new Map<Kind, { push: Sample[]; pull: Sample[] }>(kinds.map((k) => [k, { push: [], pull: [] }]));
    // Rounds interleave the servers so that load from elsewhere falls on all of them alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of kinds) {
        const { push, pull } = await transferRound(kind, layout, work, round);
        samples.get(kind)!.push.push(push);
        samples.get(kind)!.pull.push(pull);
      }
    }
    const med = (k: Kind, op: 'push' | 'pull', f: 'wall' | 'cpu') => (samples.has(k) ? median(samples.get(k)![op].map((x) => x[f])) : Number.NaN);
    const row = (label: string, d: number, b: number, extra: number[], unit: string) =>
      console.log(
        `${label.padEnd(24)} ${d.toFixed(2).padStart(10)} ${b.toFixed(2).padStart(10)} ${extra.map((n) => n.toFixed(2).padStart(12)).join(' ')} ${unit.padEnd(6)} berth/distribution ${(b / d).toFixed(2)}${extra.length ? `, direct ${(extra[0] / d).toFixed(2)}` : ''}`,
      );
    console.log(`${''.padEnd(24)} ${'distrib.'.padStart(10)} ${'berth'.padStart(10)} ${'berth-direct'.padStart(12)} ${'berth-nosync'.padStart(12)}`);
    for (const op of ['push', 'pull'] as const) {
      for (const [label, f] of [['wall', 'wall'], ['server CPU', 'cpu']] as const) {
        row(`${op} ${label}`, med('distribution', op, f), med('berth', op, f), [med('berth-direct', op, f), med('berth-nosync', op, f)], 's');
      }
    }
    const r: Record<string, Record<string, number>> = {};
    console.log(`raw samples: ${JSON.stringify(Object.fromEntries(samples))}`);
    if (!RPS || !KINDS.includes('distribution') || !KINDS.includes('berth')) return;
    for (const kind of ['distribution', 'berth'] as const) r[kind] = await requestRates(kind, layout, work);
    for (const k of Object.keys(r.berth)) row(k, r.distribution[k], r.berth[k], [], 'req/s');
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

await main();
