// Shared helpers for the registry tests: a server on a temp root, digests, and small
// valid manifests to push. Not a test file itself.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { type RegistryConfig, configFromObject, defaultConfig } from '../src/registry/server/config.js';
import { RegistryServer } from '../src/registry/server/server.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export const sha256 = (b: string | Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface TestRegistry {
  url: string;
  root: string;
  server: RegistryServer;
  close(): Promise<void>;
}

/** A registry on 127.0.0.1:0 with a fresh filesystem root; `config` is YAML-shaped. */
export async function startRegistry(config: Record<string, unknown> = {}): Promise<TestRegistry> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-reg-'));
  const c: RegistryConfig = configFromObject({ listen: '127.0.0.1:0', root, log: { access: 'off' }, storage: { durable: false }, ...config }, defaultConfig());
  const server = new RegistryServer(c);
  const url = await server.start();
  return {
    url,
    root,
    server,
    close: async () => {
      await server.stop(2000);
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

/** Every file under a directory, relative, sorted (to check nothing was written). */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

export async function pushBlob(url: string, name: string, data: Buffer | string, headers: Record<string, string> = {}): Promise<string> {
  const d = sha256(data);
  const r = await fetch(`${url}/v2/${name}/blobs/uploads/?digest=${d}`, { method: 'POST', body: bytes(data), headers });
  if (r.status !== 201) throw new Error(`push blob: ${r.status} ${await r.text()}`);
  await r.arrayBuffer().catch(() => {});
  return d;
}

export interface TestImage {
  config: Buffer;
  layers: Buffer[];
  manifest: Buffer;
  digest: string;
}

/** A small OCI image (config + layers with random content) and its manifest bytes. */
export function makeImage(layerCount = 2, extra: Record<string, unknown> = {}): TestImage {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, nonce: Math.random() }));
  const layers = Array.from({ length: layerCount }, () => Buffer.from(`layer-${Math.random()}-${'x'.repeat(100)}`));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: sha256(l), size: l.length })),
      ...extra,
    }),
  );
  return { config, layers, manifest, digest: sha256(manifest) };
}

export async function pushImage(url: string, name: string, ref: string, img: TestImage, headers: Record<string, string> = {}): Promise<Response> {
  await pushBlob(url, name, img.config, headers);
  for (const l of img.layers) await pushBlob(url, name, l, headers);
  return fetch(`${url}/v2/${name}/manifests/${ref}`, { method: 'PUT', body: bytes(img.manifest), headers: { 'Content-Type': OCI_MANIFEST, ...headers } });
}

export async function errorCode(r: Response): Promise<string | undefined> {
  const body = (await r.json().catch(() => ({}))) as { errors?: { code: string }[] };
  return body.errors?.[0]?.code;
}

/** A request body as fetch's types want it. */
export const bytes = (b: Buffer | string): BodyInit => (typeof b === 'string' ? b : new Uint8Array(b));

/** A request whose path is sent exactly as written (fetch would resolve "..", "//"). */
export function rawRequest(base: string, method: string, rawPath: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: rawPath, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface ChildRegistry {
  url: string;
  pid: number;
  child: import('node:child_process').ChildProcess;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

/** `berth registry serve` as a real child process (for kill -9 and signal tests). */
export async function spawnRegistry(args: string[]): Promise<ChildRegistry> {
  const { spawn } = await import('node:child_process');
  const main = new URL('../src/cli/main.js', import.meta.url).href;
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', 'import(process.argv[1]).then((m) => m.main(process.argv.slice(2))).then((c) => process.exit(c))', main, 'registry', 'serve', '--listen', '127.0.0.1:0', '--access-log', 'off', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /listening on (\S+),/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`registry exited ${code}: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    pid: child.pid!,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Writes an OCI image layout holding one image made of a busybox rootfs layer plus
 * `extraLayers` layers of `layerBytes` random bytes each (gzip-compressed tars); returns
 * the layout dir and the rootfs tarball (for `podman import` / `docker import`).
 */
export async function makeOciLayout(dir: string, extraLayers = 2, layerBytes = 256 * 1024): Promise<{ layout: string; rootfsTar: string; blobs: string[] }> {
  const { execFileSync } = await import('node:child_process');
  const { randomBytes } = await import('node:crypto');
  const rootfs = path.join(dir, 'rootfs');
  await fs.mkdir(path.join(rootfs, 'bin'), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  await fs.chmod(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const tool of ['sh', 'ls', 'cat', 'echo']) await fs.symlink('busybox', path.join(rootfs, 'bin', tool));
  const rootfsTar = path.join(dir, 'rootfs.tar');
  execFileSync('tar', ['-C', rootfs, '--numeric-owner', '--owner=0', '--group=0', '-cf', rootfsTar, '.']);
  const layout = path.join(dir, 'layout');
  const blobDir = path.join(layout, 'blobs', 'sha256');
  await fs.mkdir(blobDir, { recursive: true });
  const put = async (data: Buffer) => {
    const d = sha256(data);
    await fs.writeFile(path.join(blobDir, d.slice(7)), data);
    return d;
  };
  const layers: { digest: string; size: number; diffId: string }[] = [];
  const tars = [rootfsTar];
  for (let i = 0; i < extraLayers; i++) {
    const ld = path.join(dir, `layer${i}`);
    await fs.mkdir(path.join(ld, 'data'), { recursive: true });
    await fs.writeFile(path.join(ld, 'data', `random-${i}.bin`), randomBytes(layerBytes));
    const t = path.join(dir, `layer${i}.tar`);
    execFileSync('tar', ['-C', ld, '--numeric-owner', '--owner=0', '--group=0', '-cf', t, 'data']);
    tars.push(t);
  }
  for (const t of tars) {
    const tar = await fs.readFile(t);
    const gz = execFileSync('gzip', ['-n', '-c', t], { maxBuffer: 1 << 30 });
    layers.push({ digest: await put(gz), size: gz.length, diffId: sha256(tar) });
  }
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) }, history: layers.map(() => ({ created_by: 'berth test' })) }),
  );
  const configDigest = await put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: l.digest, size: l.size })),
    }),
  );
  const manifestDigest = await put(manifest);
  await fs.writeFile(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await fs.writeFile(
    path.join(layout, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }),
  );
  return { layout, rootfsTar, blobs: [configDigest, ...layers.map((l) => l.digest)] };
}

/** Runs a peer tool; rejects with its stderr on failure. */
export async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Runs a containers/image tool (skopeo, podman) with a temp dir mounted over
 * /var/lib/containers in a private mount namespace: as root they keep a blob-info cache
 * there, which is the host's global state.
 */
export async function runIsolated(scratch: string, cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const hasGlobal = await fs.stat('/var/lib/containers').then(
    () => true,
    () => false,
  );
  if (!hasGlobal) return run(cmd, args, env);
  const over = path.join(scratch, 'var-lib-containers');
  await fs.mkdir(over, { recursive: true });
  return run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /var/lib/containers && exec "$@"', over, cmd, ...args], env);
}
