// Interop: berth's short-name resolution against podman's. A registry on 127.0.0.1 that knows
// no manifest records, in order, every manifest podman asks for; berth must predict the list.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { fullString, loadRegistriesConf, type Reference, type RegistriesConfig, resolvePullCandidates } from '../src/reference/index.js';

const PODMAN = '/usr/bin/podman';
let dir = '';
let server: Server;
let port = 0;
let config: RegistriesConfig;
const seen: string[] = [];
const DIGEST = `sha256:${'5'.repeat(64)}`;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'berth-podman-ref-'));
  server = createServer((req, res) => {
    if (req.url === '/v2/' || req.url === '/v2') {
      res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0', 'content-type': 'application/json' }).end('{}');
      return;
    }
    seen.push(`${req.headers.host}${req.url}`);
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
  });
  server.on('clientError', (_e, socket) => socket.destroy()); // podman tries TLS first
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const a = `127.0.0.1:${port}`;
  const b = `localhost:${port}`;
  await writeFile(
    path.join(dir, 'registries.conf'),
    `unqualified-search-registries = ["${a}", "${b}"]
short-name-mode = "permissive"
[[registry]]
location = "${a}"
insecure = true
[[registry]]
location = "${b}"
insecure = true
[[registry]]
prefix = "${a}/zzmirrored"
location = "${b}/rewritten"
insecure = true
[[registry.mirror]]
location = "${a}/mirror-one"
insecure = true
[[registry.mirror]]
location = "${b}/mirror-two"
insecure = true
[[registry]]
prefix = "${a}/zzdigestonly"
location = "${a}/zzdigestonly"
insecure = true
mirror-by-digest-only = true
[[registry.mirror]]
location = "${b}/dmirror"
insecure = true
[[registry]]
prefix = "${b}/zzblocked"
location = "${b}/zzblocked"
insecure = true
blocked = true
[aliases]
"zzaliased" = "${b}/aliasee/deep"
`,
  );
  await writeFile(path.join(dir, 'enforcing.conf'), `unqualified-search-registries = ["${a}", "${b}"]\nshort-name-mode = "enforcing"\n`);
  await writeFile(path.join(dir, 'policy.json'), '{"default":[{"type":"insecureAcceptAnything"}]}');
  config = await loadRegistriesConf({ path: path.join(dir, 'registries.conf'), dropInDirs: [], shortNameAliasesPath: null });
});

after(async () => {
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `podman pull input` against the fake registry; returns the manifests it asked for and its stderr. */
function podmanPull(input: string, conf = 'registries.conf'): Promise<{ asked: string[]; stderr: string }> {
  seen.length = 0;
  const args = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'vfs', 'pull', '--signature-policy', path.join(dir, 'policy.json'), input];
  const env = { ...process.env, CONTAINERS_REGISTRIES_CONF: path.join(dir, conf), HOME: dir };
  return new Promise((resolve) => {
    execFile(PODMAN, args, { env, timeout: 60_000 }, (_err, _stdout, stderr) => resolve({ asked: [...seen], stderr }));
  });
}

/** The manifest URLs berth would ask for, in order. */
function berthAsks(input: string): string[] {
  const urls: string[] = [];
  for (const c of resolvePullCandidates(input, config)) {
    for (const e of c.endpoints) urls.push(manifestUrl(e.reference));
  }
  return urls;
}

function manifestUrl(ref: Reference): string {
  return `${ref.registry}/v2/${ref.repository}/manifests/${ref.digest ?? ref.tag}`;
}

test('podman is here', () => {
  assert.ok(existsSync(PODMAN), 'podman 4.3 from Debian is a declared peer');
});

for (const input of ['zzberth', 'zzberth:v1', 'team/zzberth', `zzberth@${DIGEST}`, 'zzaliased', 'zzaliased:2', 'zzmirrored/app', 'zzdigestonly/app:1', `zzdigestonly/app@${DIGEST}`]) {
  test(`podman and berth try the same manifests for ${input.slice(0, 40)}`, async () => {
    const { asked, stderr } = await podmanPull(input);
    assert.match(stderr, /manifest unknown/, stderr);
    assert.ok(asked.length > 0);
    assert.deepEqual(berthAsks(input), asked, stderr);
  });
}

test('both refuse a blocked registry', async () => {
  const input = `localhost:${port}/zzblocked/app`;
  const { asked, stderr } = await podmanPull(input);
  assert.deepEqual(asked, []);
  assert.match(stderr, /is blocked in/);
  assert.throws(() => resolvePullCandidates(input, config), (e: unknown) => (e as { kind?: string }).kind === 'denied' && /registry "localhost:\d+\/zzblocked" is blocked in .*registries\.conf/.test((e as Error).message));
});

test('both refuse an ambiguous short name in enforcing mode', async () => {
  const { asked, stderr } = await podmanPull('zzberth', 'enforcing.conf');
  assert.deepEqual(asked, []);
  assert.match(stderr, /short-name resolution enforced but cannot prompt without a TTY/);
  const enforcing = await loadRegistriesConf({ path: path.join(dir, 'enforcing.conf'), dropInDirs: [], shortNameAliasesPath: null });
  assert.throws(() => resolvePullCandidates('zzberth', enforcing), /short-name-mode is "enforcing"/);
  assert.equal(fullString(resolvePullCandidates(`127.0.0.1:${port}/zzberth`, enforcing)[0].reference), `127.0.0.1:${port}/zzberth:latest`);
});
