// berth push, tags, search, login/logout, image tree and image diff end to end against
// Distribution 2.8 (open and with htpasswd), with skopeo as the independent reader.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type Distribution, makeImage, run, sha256, skopeo, startDistribution, writeOciLayout } from './client-helpers.js';
import { type Sandbox, sandbox } from './images-helpers.js';
import { copyImage, hostPlatform, OCI_INDEX } from '../src/image/index.js';
import { openStore } from '../src/store/index.js';
import { multiArchIndex } from './store-fixtures.js';

let box: Sandbox;
let reg: Distribution;
let authReg: Distribution;
let host: string;

/** A two-layer image whose second layer adds, changes and deletes paths of the first. */
async function layeredImage(dir: string, seed: string) {
  const mk = async (name: string, files: Record<string, string>, extra: string[] = []) => {
    const src = path.join(dir, `${seed}-${name}`);
    for (const [f, body] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(src, f)), { recursive: true });
      await fs.writeFile(path.join(src, f), body);
    }
    for (const e of extra) await fs.writeFile(path.join(src, e), '');
    const { stdout } = await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@1', '-C', src, '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 1 << 26 });
    return stdout as unknown as Buffer;
  };
  const base = await mk('base', { 'etc/a': 'aaa', 'etc/b': 'bbb', 'bin/tool': 'tool' });
  const top = await mk('top', { 'etc/a': 'changed!', 'etc/new': 'new', 'bin/.keep': '' }, ['etc/.wh.b']);
  const layers = [base, top].map((t) => ({ gz: gzipSync(t), diffID: sha256(t) }));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(l.gz), size: l.gz.length })),
    }),
  );
  const blob = (b: Buffer, mediaType: string) => ({ digest: sha256(b), size: b.length, mediaType, bytes: b });
  return {
    manifest,
    manifestDigest: sha256(manifest),
    config: blob(config, 'application/vnd.oci.image.config.v1+json'),
    layers: layers.map((l) => blob(l.gz, 'application/vnd.oci.image.layer.v1.tar+gzip')),
  };
}

before(async () => {
  box = await sandbox();
  reg = await startDistribution(path.join(box.dir, 'registry'));
  authReg = await startDistribution(path.join(box.dir, 'auth-registry'), { htpasswd: { user: 'alice', password: 's3cret' } });
  host = `127.0.0.1:${reg.port}`;
  const image = await makeImage(box.dir, [50_000, 2000], 'push');
  await writeOciLayout(path.join(box.dir, 'layout'), image, 'v1');
  await skopeo(box.dir, ['copy', '--dest-tls-verify=false', `oci:${path.join(box.dir, 'layout')}:v1`, `docker://${host}/src/app:v1`]);
  const layered = await layeredImage(box.dir, 'diff');
  await writeOciLayout(path.join(box.dir, 'layout2'), layered, 'v2');
  await skopeo(box.dir, ['copy', '--dest-tls-verify=false', `oci:${path.join(box.dir, 'layout2')}:v2`, `docker://${host}/src/layered:v2`]);
});

after(async () => {
  await reg?.stop();
  await authReg?.stop();
  await box?.done();
});

test('push to another repository mounts the blobs; skopeo reads back the same manifest', async () => {
  let r = await box.berth(['pull', '-q', `${host}/src/app:v1`]);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['tag', `${host}/src/app:v1`, `${host}/dst/app:pushed`]);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['push', `${host}/dst/app:pushed`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`The push refers to repository \\[${host}/dst/app\\]`));
  assert.match(r.stdout, /Mounted from another repository/);
  const m = /pushed: digest: (sha256:[a-f0-9]{64}) size: (\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const { stdout } = await skopeo(box.dir, ['inspect', '--raw', '--tls-verify=false', `docker://${host}/dst/app:pushed`]);
  assert.equal(sha256(stdout), m[1]);
  r = await box.berth(['push', `${host}/dst/app:pushed`]);
  assert.match(r.stdout, /Layer already exists/);
  // docker's lines (dockerd 20.10 pushing the same image): each layer by its diff ID, Preparing
  // then its outcome; the config blob unsaid.
  const diffIDs = JSON.parse((await box.berth(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', `${host}/dst/app:pushed`])).stdout) as string[];
  const layerLines = r.stdout.split('\n').filter((l) => /^[0-9a-f]{12}: /.test(l));
  assert.deepEqual(new Set(layerLines.map((l) => l.slice(0, 12))), new Set(diffIDs.map((d) => d.slice(7, 19))));
  assert.deepEqual(layerLines.filter((l) => l.endsWith(': Preparing')).length, diffIDs.length);
  // A tag not stored: docker's "tag does not exist", after the repository line; none given: latest.
  r = await box.berth(['push', `${host}/dst/app:nosuch`]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, `The push refers to repository [${host}/dst/app]\n`);
  assert.equal(r.stderr, `Error: tag does not exist: ${host}/dst/app:nosuch\n`);
  r = await box.berth(['push', `${host}/dst/app`]);
  assert.match(r.stdout, /^Using default tag: latest\n/);
  assert.match(r.stderr, new RegExp(`tag does not exist: ${host}/dst/app:latest`));
});

test('push to a destination name, and tags --digests lists it', async () => {
  let r = await box.berth(['push', '-q', `${host}/src/app:v1`, `${host}/other/app:copy`]);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['tags', '--digests', `${host}/other/app`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${host}/other/app\\s+copy\\s+sha256:[a-f0-9]{64}`));
  r = await box.berth(['tags', '-q', `${host}/src/app`]);
  assert.equal(r.stdout, 'v1\n');
});

test('search finds repositories in the catalog', async () => {
  const r = await box.berth(['search', '--format', '{{.Name}}', `${host}/app`]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), [`${host}/dst/app`, `${host}/other/app`, `${host}/src/app`]);
});

test('login checks and stores credentials, push then works, logout removes them', async () => {
  const ah = `127.0.0.1:${authReg.port}`;
  let r = await box.berth(['push', `${host}/src/app:v1`, `${ah}/p/app:1`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unauthorized|authentication required|denied/i);
  r = await box.berth(['login', '-u', 'alice', '-p', 'wrong', ah]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^WARNING! Using --password via the CLI is insecure\. Use --password-stdin\.\n/);
  assert.match(r.stderr, /invalid username\/password/);
  r = await box.berth(['login', '-u', 'alice', '--password-stdin', ah], { input: Buffer.from('s3cret\n') });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Login Succeeded/);
  const auth = JSON.parse(await fs.readFile(path.join(box.env.XDG_RUNTIME_DIR!, 'containers', 'auth.json'), 'utf8'));
  assert.ok(auth.auths[ah]);
  r = await box.berth(['push', `${host}/src/app:v1`, `${ah}/p/app:1`]);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['logout', ah]);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['tags', `${ah}/p/app`]);
  assert.notEqual(r.code, 0);
  // Again, with nothing stored: docker's same line, no failure.
  r = await box.berth(['logout', ah]);
  assert.deepEqual([r.code, r.stdout], [0, `Removing login credentials for ${ah}\n`]);
});

test('image tree shows the layers as one tree with sizes and tags', async () => {
  const r0 = await box.berth(['pull', '-q', `${host}/src/layered:v2`]);
  assert.equal(r0.code, 0, r0.stderr);
  const r = await box.berth(['image', 'tree']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 4, r.stdout);
  assert.ok(lines.some((l) => /^(│ | {2})└─[a-f0-9]{12} Size: \S+ Virtual Size: \S+ Tags: .*src\/layered:v2/.test(l)), r.stdout);
  const json = JSON.parse((await box.berth(['image', 'tree', '--format', 'json'])).stdout);
  assert.equal(json.length, 2);
  for (const root of json) assert.equal(root.children[0].virtualSize, root.size + root.children[0].size);
});

test('image diff: a layer over its parent, and two images', async () => {
  let r = await box.berth(['image', 'diff', `${host}/src/layered:v2`]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['A /bin/.keep 0B', 'C /etc/a 8B', 'D /etc/b 3B', 'A /etc/new 3B']);
  r = await box.berth(['image', 'diff', '--format', 'json', `${host}/src/app:v1`, `${host}/src/layered:v2`]);
  const entries = JSON.parse(r.stdout) as { kind: string; path: string }[];
  assert.ok(entries.some((e) => e.kind === 'deleted' && e.path === '/file-push-0'));
  assert.ok(entries.some((e) => e.kind === 'added' && e.path === '/etc/new'));
  assert.ok(!entries.some((e) => e.path === '/etc/b'));
});

test('push --all sends the whole index the image came from, each platform by digest first', async () => {
  const { mem, children, index, indexDesc } = await multiArchIndex();
  const store = await openStore({ root: box.root, runroot: box.runroot });
  const handle = await mem.open('multi');
  await store.withLease((lease) => copyImage(handle, store.sink(lease, { repository: `${host}/multi/all` }), { tag: 'v1', platform: 'all' }));
  // A second store that copied the whole index, then lost the other platform's image.
  const partialRoots = { BERTH_ROOT: path.join(box.dir, 'root-partial'), BERTH_RUNROOT: path.join(box.dir, 'run-partial') };
  const partialStore = await openStore({ root: partialRoots.BERTH_ROOT, runroot: partialRoots.BERTH_RUNROOT });
  await partialStore.withLease((lease) => copyImage(handle, partialStore.sink(lease, { repository: `${host}/multi/one` }), { tag: 'v1', platform: 'all' }));
  const other = (await partialStore.listImages()).find((i) => i.platform?.architecture !== hostPlatform().architecture)!;
  await partialStore.removeImage(other.id, { force: true });

  const r = await box.berth(['push', '--all', `${host}/multi/all:v1`, `${host}/multi/pushed:v1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`v1: digest: ${indexDesc.digest} size: ${index.length}`));
  const get = (ref: string) =>
    fetch(`http://${host}/v2/multi/pushed/manifests/${ref}`, { headers: { accept: `${OCI_INDEX}, application/vnd.oci.image.manifest.v1+json` } });
  const tagged = await get('v1');
  assert.equal(tagged.headers.get('docker-content-digest'), indexDesc.digest);
  assert.ok(Buffer.from(await tagged.arrayBuffer()).equals(index), 'the index goes up byte for byte');
  for (const c of children) assert.equal((await get(c.digest)).status, 200, `platform ${c.platform.architecture} pushed by digest`);

  // Without --all only this platform's image goes, under the tag.
  const single = await box.berth(['push', `${host}/multi/all:v1`, `${host}/multi/single:v1`]);
  assert.equal(single.code, 0, single.stderr);
  const host1 = children.find((c) => c.platform.architecture === hostPlatform().architecture)!;
  assert.match(single.stdout, new RegExp(`digest: ${host1.digest}`));

  // An index one of whose images is no longer stored cannot go up whole.
  const partial = await box.berth(['push', '--all', `${host}/multi/one:v1`, `${host}/multi/partial:v1`], { env: partialRoots });
  assert.notEqual(partial.code, 0);
  assert.match(partial.stderr, new RegExp(`the index lists ${other.manifest.digest} \\(linux/${other.platform!.architecture}\\), which is not in the local store`));
});
