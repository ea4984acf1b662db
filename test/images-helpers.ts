// Shared fixtures for the image-command tests: berth run as a child process on its own store,
// config dirs and registries.conf in a temp dir, plus a Distribution registry to talk to.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { sha256 } from './client-helpers.js';
import { type RawEntry, rawTar } from './layer-fixtures.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

export interface BerthResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  dir: string;
  root: string;
  runroot: string;
  env: NodeJS.ProcessEnv;
  /** Runs `berth args...` with this sandbox's store and config; never throws on a non-zero exit. */
  berth(args: string[], options?: { input?: Buffer; env?: NodeJS.ProcessEnv }): Promise<BerthResult>;
  /** Starts `berth args...` and hands back the child (to kill it mid-way). */
  spawnBerth(args: string[]): ChildProcess;
  writeRegistriesConf(text: string): Promise<void>;
  done(): Promise<void>;
}

export async function sandbox(prefix = 'berth-images-'): Promise<Sandbox> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const home = path.join(dir, 'home');
  await fs.mkdir(home, { recursive: true });
  const conf = path.join(dir, 'registries.conf');
  await fs.writeFile(conf, '');
  const root = path.join(dir, 'root');
  const runroot = path.join(dir, 'run');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_RUNTIME_DIR: path.join(dir, 'xdg-run'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    DOCKER_CONFIG: path.join(home, '.docker'),
    REGISTRY_AUTH_FILE: '',
    CONTAINERS_REGISTRIES_CONF: conf,
    BERTH_ROOT: root,
    BERTH_RUNROOT: runroot,
  };
  delete env.REGISTRY_AUTH_FILE;
  const launcher = ['--input-type=module', '-e', `import(${JSON.stringify(MAIN)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`, '--'];
  const berth = (args: string[], options: { input?: Buffer; env?: NodeJS.ProcessEnv } = {}) =>
    new Promise<BerthResult>((resolve) => {
      const child = execFile(
        process.execPath,
        [...launcher, ...args],
        { env: { ...env, ...options.env }, maxBuffer: 1 << 28, encoding: 'buffer' },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        },
      );
      if (options.input) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  return {
    dir,
    root,
    runroot,
    env,
    berth,
    spawnBerth: (args) => spawn(process.execPath, [...launcher, ...args], { env, stdio: 'ignore' }),
    writeRegistriesConf: (text) => fs.writeFile(conf, text),
    done: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

/** Every file under `dir` as "path mode uid:gid size|target|sha" lines, sorted: a comparable picture of a tree. */
export async function treeListing(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      const st = await fs.lstat(path.join(dir, r));
      const mode = (st.mode & 0o7777).toString(8);
      let what = '';
      if (e.isSymbolicLink()) what = `-> ${await fs.readlink(path.join(dir, r))}`;
      else if (e.isFile()) what = `${st.size} ${(await import('node:crypto')).createHash('sha256').update(await fs.readFile(path.join(dir, r))).digest('hex').slice(0, 16)}`;
      else if (e.isCharacterDevice()) what = `c ${st.rdev}`;
      out.push(`${r} ${e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : e.isFile() ? 'f' : 'o'} ${mode} ${st.uid}:${st.gid} ${what}`);
      if (e.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out.sort();
}

export interface Served {
  manifest: Buffer;
  blobs: Map<string, Buffer>;
  layerDigests: string[];
}

let unique = 0;

/** An image of these layers; each call's layers differ (a stamp file), so tests share no content. */
export function buildImage(layers: RawEntry[][], options: { lieDiffID?: boolean } = {}): Served {
  const stamp = `${process.pid}-${unique++}`;
  const tars = layers.map((entries) => rawTar([{ name: 'stamp', body: stamp }, ...entries]));
  const gz = tars.map((t) => gzipSync(t));
  const diffIDs = tars.map((t) => sha256(t));
  if (options.lieDiffID) diffIDs[0] = sha256('something else');
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIDs } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: gz.map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(b), size: b.length })),
    }),
  );
  const blobs = new Map<string, Buffer>([[sha256(config), config]]);
  for (const b of gz) blobs.set(sha256(b), b);
  return { manifest, blobs, layerDigests: gz.map((b) => sha256(b)) };
}

export type Hook = (req: http.IncomingMessage, res: http.ServerResponse, image: Served) => boolean;

/** A registry of one image at /v2/test/img, whose behaviour a hook may override per request. */
export async function hostileRegistry(image: Served, hook: Hook = () => false, listenHost = '127.0.0.1') {
  const requests: { method: string; url: string; auth?: string }[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization });
    if (hook(req, res, image)) return;
    const url = req.url ?? '';
    if (url === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    const m = /^\/v2\/test\/img\/(manifests|blobs)\/(.+)$/.exec(url);
    if (m?.[1] === 'manifests') {
      return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': image.manifest.length }).end(req.method === 'HEAD' ? undefined : image.manifest);
    }
    const blob = m?.[1] === 'blobs' ? image.blobs.get(m[2]) : undefined;
    if (!blob) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      const from = Number(range[1]);
      return void res.writeHead(206, { 'content-length': blob.length - from, 'content-range': `bytes ${from}-${blob.length - 1}/${blob.length}` }).end(blob.subarray(from));
    }
    res.writeHead(200, { 'content-length': blob.length }).end(blob);
  });
  await new Promise<void>((r) => server.listen(0, listenHost, r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `${listenHost}:${port}`,
    port,
    requests,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
