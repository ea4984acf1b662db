// berth pull, images, tag, untag, rmi, inspect, history end to end against Distribution 2.8,
// with images put there by skopeo.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { makeImage, skopeo, startDistribution, type Distribution, type TestImage, writeOciLayout } from './client-helpers.js';
import { type Sandbox, sandbox } from './images-helpers.js';

let box: Sandbox;
let reg: Distribution;
let image: TestImage;
let name: string;

before(async () => {
  box = await sandbox();
  reg = await startDistribution(path.join(box.dir, 'registry'));
  image = await makeImage(box.dir, [200_000, 3000, 10], 'pull');
  await writeOciLayout(path.join(box.dir, 'layout'), image, 'v1');
  name = `127.0.0.1:${reg.port}/test/app`;
  await skopeo(box.dir, ['copy', '--dest-tls-verify=false', `oci:${path.join(box.dir, 'layout')}:v1`, `docker://${name}:v1`]);
});

after(async () => {
  await reg?.stop();
  await box?.done();
});

test('pull stores the image under its name, and images lists it', async () => {
  const r = await box.berth(['pull', `${name}:v1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Digest: ${image.manifestDigest}`));
  // docker's lines to a pipe, per layer: Pulling fs layer, Download complete, Pull complete.
  for (const layer of image.layers) {
    const id = layer.digest.slice(7, 19);
    assert.deepEqual(r.stdout.split('\n').filter((l) => l.startsWith(`${id}: `)), [`${id}: Pulling fs layer`, `${id}: Download complete`, `${id}: Pull complete`]);
  }
  assert.match(r.stdout, new RegExp(`${name}:v1\\n$`));
  const list = await box.berth(['images']);
  assert.equal(list.code, 0, list.stderr);
  const lines = list.stdout.trim().split('\n');
  assert.match(lines[0], /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  assert.ok(lines.some((l) => l.startsWith(`${name} `) && l.includes(' v1 ') && l.includes(image.config.digest.slice(7, 19))), list.stdout);
  const q = await box.berth(['images', '-q', '--no-trunc']);
  assert.equal(q.stdout.trim(), image.config.digest);
  const digests = await box.berth(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}']);
  assert.equal(digests.stdout.trim(), `${name} v1 ${image.manifestDigest}`);
  const json = (await box.berth(['images', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l)) as { ID: string }[];
  assert.ok(json.some((row) => row.ID === image.config.digest.slice(7, 19)), JSON.stringify(json));
});

test('a second pull of the same image downloads nothing and says so', async () => {
  const r = await box.berth(['pull', `${name}:v1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /Downloading/);
  // dockerd 20.10 says nothing of the layers of an image it has already.
  assert.doesNotMatch(r.stdout, /^[0-9a-f]{12}: /m);
  assert.match(r.stdout, /Status: Image is up to date for /);
  // The name untagged while another keeps the image, every layer here: the pull gives the name
  // back, which docker calls "Downloaded newer image", not "up to date" (dockerd 20.10).
  let t = await box.berth(['tag', `${name}:v1`, 'local/keeps:1']);
  assert.equal(t.code, 0, t.stderr);
  t = await box.berth(['rmi', `${name}:v1`]);
  assert.equal(t.stdout, `Untagged: ${name}:v1\n`);
  t = await box.berth(['pull', `${name}:v1`]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /Status: Downloaded newer image for /);
  t = await box.berth(['rmi', 'local/keeps:1']);
  assert.equal(t.code, 0, t.stderr);
});

test('the unpacked layers hold exactly the files of the layer tars', async () => {
  const layersDir = path.join(box.root, 'layers');
  const dirs = (await fs.readdir(layersDir)).filter((n) => /^[a-f0-9]{64}$/.test(n));
  assert.equal(dirs.length, 3);
  const files: string[] = [];
  for (const d of dirs) files.push(...(await fs.readdir(path.join(layersDir, d, 'diff'))));
  assert.deepEqual(files.sort(), ['file-pull-0', 'file-pull-1', 'file-pull-2']);
});

test('tag, untag and rmi', async () => {
  let r = await box.berth(['tag', `${name}:v1`, 'local/other:x']);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), [`${name}:v1`, 'local/other:x'].sort());
  // -q: one ID a row, as docker's (the image's two names, its ID twice).
  r = await box.berth(['images', '-q']);
  assert.equal(r.stdout, `${image.config.digest.slice(7, 19)}\n`.repeat(2));
  // A repository named: its rows only, not the image's other name's (berth listed both).
  r = await box.berth(['images', '--format', '{{.Repository}}:{{.Tag}}', 'local/other']);
  assert.equal(r.stdout, 'local/other:x\n');
  r = await box.berth(['image', 'exists', 'local/other:x']);
  assert.equal(r.code, 0);
  r = await box.berth(['rmi', image.config.digest.slice(7, 19)]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /must be forced.*referenced in multiple repositories/);
  r = await box.berth(['rmi', 'local/other:x']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Untagged: local\/other:x/);
  assert.doesNotMatch(r.stdout, /Deleted/);
  r = await box.berth(['image', 'exists', 'local/other:x']);
  assert.equal(r.code, 1);
  r = await box.berth(['untag', `${name}:v1`]);
  assert.equal(r.code, 0, r.stderr);
  // Still known by its digest: repository shown, no tag, and not dangling (docker's reading).
  r = await box.berth(['images', '--format', '{{.Repository}} {{.ID}} {{.Tag}} {{.Dangling}}']);
  assert.equal(r.stdout.trim(), `${name} ${image.config.digest.slice(7, 19)} <none> false`);
  r = await box.berth(['rmi', image.config.digest.slice(7, 19)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Deleted: ${image.config.digest}`));
  r = await box.berth(['images', '-q']);
  assert.equal(r.stdout.trim(), '');
  const layers = (await fs.readdir(path.join(box.root, 'layers'))).filter((n) => /^[a-f0-9]{64}$/.test(n));
  assert.deepEqual(layers, [], 'rmi frees the layers no image uses');
});

test('inspect and history describe the pulled image', async () => {
  let r = await box.berth(['pull', '-q', `${name}:v1`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${name}:v1\n`);
  r = await box.berth(['image', 'inspect', `${name}:v1`]);
  assert.equal(r.code, 0, r.stderr);
  const [doc] = JSON.parse(r.stdout);
  assert.equal(doc.Id, image.config.digest);
  assert.deepEqual(doc.RepoTags, [`${name}:v1`]);
  assert.deepEqual(doc.RepoDigests, [`${name}@${image.manifestDigest}`]);
  assert.equal(doc.RootFS.Layers.length, 3);
  assert.deepEqual(doc.Config.Cmd, ['/bin/sh']);
  r = await box.berth(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}} {{json .Config.Cmd}}', `${name}:v1`]);
  assert.equal(r.stdout, 'linux/amd64 ["/bin/sh"]\n');
  r = await box.berth(['history', '--format', '{{.CreatedBy}}', `${name}:v1`]);
  assert.equal(r.stdout, 'berth test pull\n'.repeat(3));
  r = await box.berth(['image', 'inspect', 'nope:1']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /No such image/);
});

test('an image pulled by digest lists with its repository and no tag, and image prune keeps it', async () => {
  let r = await box.berth(['pull', '-q', `${name}@${image.manifestDigest}`]);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}']);
  assert.ok(r.stdout.includes(`${name} <none> ${image.manifestDigest}\n`) || r.stdout.includes(`${name} v1 ${image.manifestDigest}\n`), r.stdout);
  await box.berth(['untag', `${name}:v1`]);
  r = await box.berth(['images', '--filter', 'dangling=true', '-q']);
  assert.equal(r.stdout, '');
  r = await box.berth(['image', 'prune', '-f']);
  assert.equal(r.code, 0, r.stderr);
  r = await box.berth(['image', 'inspect', '--format', '{{json .RepoDigests}}', `${name}@${image.manifestDigest}`]);
  assert.equal(r.stdout, `["${name}@${image.manifestDigest}"]\n`);
  // Without -f docker's question comes first, and no answer (or n) removes nothing, -a included.
  for (const [args, question] of [
    [[], 'all dangling images'],
    [['-a'], 'all images without at least one container associated to them'],
  ] as const) {
    r = await box.berth(['image', 'prune', ...args], { input: Buffer.from('n\n') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `WARNING! This will remove ${question}.\nAre you sure you want to continue? [y/N] `);
  }
  r = await box.berth(['image', 'inspect', '--format', '{{json .RepoDigests}}', `${name}@${image.manifestDigest}`]);
  assert.equal(r.code, 0, 'image prune -a answered n kept the image');
});

test('a short name with no search registries is docker.io, and the failure names the location tried', async () => {
  const r = await box.berth(['pull', 'nosuchthing-berth-test'], { env: { HTTPS_PROXY: '' } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /docker\.io\/library\/nosuchthing-berth-test:latest/);
});
