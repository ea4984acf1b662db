// Shared fixtures for the registry client's tests: a real Distribution on 127.0.0.1 (open,
// htpasswd or token auth), a token server signing JWTs it trusts, and OCI layouts for skopeo.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';

export const run = promisify(execFile);

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** An error predicate for assert.rejects: the BerthError kind and, optionally, a message pattern. */
export function isKind(kind: string, pattern?: RegExp) {
  return (e: unknown): boolean => {
    const err = e as { kind?: string; message?: string };
    if (err?.kind !== kind || (pattern && !pattern.test(err.message ?? ''))) {
      throw new Error(`expected a ${kind} error${pattern ? ` matching ${pattern}` : ''}, got ${err?.kind}: ${err?.message}`);
    }
    return true;
  };
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface Distribution {
  host: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export interface DistributionOptions {
  htpasswd?: { user: string; password: string };
  token?: { realm: string; service: string; issuer: string; certFile: string };
}

/**
 * Starts docker-registry (Distribution 2.8) on a free loopback port with its own storage. The
 * port is picked before the registry binds it, so a test running beside may take it first: retry.
 */
export async function startDistribution(dir: string, options: DistributionOptions = {}): Promise<Distribution> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDistributionOnce(dir, options);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startDistributionOnce(dir: string, options: DistributionOptions): Promise<Distribution> {
  await fs.mkdir(dir, { recursive: true });
  const port = await freePort();
  let auth = '';
  if (options.htpasswd) {
    const file = path.join(dir, 'htpasswd');
    await fs.writeFile(file, `${options.htpasswd.user}:${bcrypt.hashSync(options.htpasswd.password, 4)}\n`);
    auth = `auth:\n  htpasswd:\n    realm: berth-test\n    path: ${file}\n`;
  } else if (options.token) {
    const t = options.token;
    auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.certFile}\n`;
  }
  const config = `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:${port}
${auth}`;
  const configFile = path.join(dir, 'config.yml');
  await fs.writeFile(configFile, config);
  const child: ChildProcess = spawn('docker-registry', ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await exited;
      throw new Error(`docker-registry exited: ${stderr}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/v2/', agent: false }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`docker-registry did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface TokenServer {
  url: string;
  port: number;
  certFile: string;
  service: string;
  issuer: string;
  /** Every request the server saw: its query and Authorization header. */
  requests: { scopes: string[]; authorization: string | undefined; account: string | null }[];
  close(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * A Docker token server: grants what is asked to `user`, only "pull" to anonymous callers,
 * and signs ES256 JWTs with a self-signed certificate Distribution is told to trust.
 */
export async function startTokenServer(dir: string, user: { user: string; password: string }, host = '127.0.0.1'): Promise<TokenServer> {
  await fs.mkdir(dir, { recursive: true });
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.crt');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=berth-test-token']);
  const key = createPrivateKey(await fs.readFile(keyFile));
  const cert = new X509Certificate(await fs.readFile(certFile));
  const service = 'berth-test-registry';
  const issuer = 'berth-test-issuer';
  const requests: TokenServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    requests.push({ scopes, authorization: req.headers.authorization, account: url.searchParams.get('account') });
    let authed = false;
    if (req.headers.authorization) {
      const m = /^Basic (.+)$/.exec(req.headers.authorization);
      const [u, p] = m ? Buffer.from(m[1], 'base64').toString().split(':') : [];
      if (u !== user.user || p !== user.password) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      authed = true;
    }
    const access = scopes.flatMap((s) => {
      const [type, name, actions] = [s.slice(0, s.indexOf(':')), s.slice(s.indexOf(':') + 1, s.lastIndexOf(':')), s.slice(s.lastIndexOf(':') + 1)];
      const granted = actions.split(',').filter((a) => authed || a === 'pull');
      return granted.length ? [{ type, name, actions: granted }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [cert.raw.toString('base64')] };
    const claims = { iss: issuer, sub: authed ? user.user : '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${signingInput}.${b64url(sig)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/token`,
    port,
    certFile,
    service,
    issuer,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Blob {
  digest: string;
  size: number;
  mediaType: string;
  bytes: Buffer;
}

export interface TestImage {
  manifest: Buffer;
  manifestDigest: string;
  config: Blob;
  layers: Blob[];
}

function blob(bytes: Buffer, mediaType: string): Blob {
  return { digest: sha256(bytes), size: bytes.length, mediaType, bytes };
}

/** A small image: gzip tar layers (made with GNU tar) of random files, an OCI config and manifest. */
export async function makeImage(dir: string, layerSizes: number[], seed = 'x'): Promise<TestImage> {
  const layers: Blob[] = [];
  for (const [i, size] of layerSizes.entries()) {
    const src = path.join(dir, `src-${seed}-${i}`);
    await fs.mkdir(src, { recursive: true });
    await fs.writeFile(path.join(src, `file-${seed}-${i}`), randomBytes(size));
    const { stdout } = await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', src, '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 1 << 28 });
    layers.push(blob(gzipSync(stdout as unknown as Buffer), 'application/vnd.oci.image.layer.v1.tar+gzip'));
    await fs.rm(src, { recursive: true, force: true });
  }
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/sh'] },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(gunzipSync(l.bytes))) },
        history: layers.map(() => ({ created_by: `berth test ${seed}` })),
      }),
    ),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  return { manifest, manifestDigest: sha256(manifest), config, layers };
}

/** Writes an OCI image layout holding `image` under `tag`. */
export async function writeOciLayout(dir: string, image: TestImage, tag: string): Promise<void> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await fs.mkdir(blobs, { recursive: true });
  await fs.writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  for (const b of [image.config, ...image.layers]) await fs.writeFile(path.join(blobs, b.digest.slice(7)), b.bytes);
  await fs.writeFile(path.join(blobs, image.manifestDigest.slice(7)), image.manifest);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.manifestDigest, size: image.manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  };
  await fs.writeFile(path.join(dir, 'index.json'), JSON.stringify(index));
}

/** Reads a whole stream. */
export async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** skopeo with its own config dirs in temp, never the host's. */
export function skopeo(tmp: string, args: string[]) {
  const env = { ...process.env, HOME: path.join(tmp, 'skopeo-home'), XDG_RUNTIME_DIR: path.join(tmp, 'skopeo-run'), REGISTRY_AUTH_FILE: path.join(tmp, 'skopeo-auth.json'), CONTAINERS_REGISTRIES_CONF: path.join(tmp, 'skopeo-registries.conf') };
  return run('skopeo', ['--insecure-policy', '--tmpdir', tmp, ...args], { env, maxBuffer: 1 << 26 });
}
