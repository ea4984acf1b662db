// End to end through the berth CLI with real overlay and runc: system df's rows, system prune
// (with and without its prompt), and builder prune after a real build.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { humanSize } from '../src/cli/format.js';
import { berth, cleanupFixture, type EngineFixture, makeEngineFixture, makeImage, ok } from './engine-fixture.js';

let fx: EngineFixture;
let stopped = '';
let running = '';
before(async () => {
  fx = await makeEngineFixture();
  await makeImage(fx, 'test/other:1', { Cmd: ['sh'] });
  stopped = await ok(fx, ['create', '--name', 'writer', fx.image, 'sh', '-c', 'head -c 6000 /dev/zero > /data']);
  await ok(fx, ['start', '-a', 'writer']);
  running = await ok(fx, ['run', '-d', '--name', 'keep', 'test/other:1', 'sleep', '1000']);
});
after(async () => {
  await cleanupFixture(fx);
});

type DfRow = { Type: string; TotalCount: string; Active: string; Size: string; Reclaimable: string };

async function df(): Promise<Record<string, DfRow>> {
  const rows = (await ok(fx, ['system', 'df', '--format', 'json'])).split('\n').map((l) => JSON.parse(l)) as DfRow[];
  return Object.fromEntries(rows.map((r) => [r.Type, r]));
}

/** A build of `text` in a fresh context; its output. */
async function build(text: string, args: string[] = []): Promise<string> {
  const ctx = await fs.mkdtemp(path.join(fx.dir, 'ctx-'));
  await fs.writeFile(path.join(ctx, 'Containerfile'), text);
  return ok(fx, ['build', ...args, ctx]);
}

test('system df: images, containers (the writable layer measured), no volumes, build cache', async () => {
  const table = await ok(fx, ['system', 'df']);
  assert.match(table, /^TYPE {12}TOTAL {5}ACTIVE {4}SIZE {6}RECLAIMABLE\n/);
  assert.match(table, /\nLocal Volumes {3}0 {9}0 {9}0B {8}0B\n/);
  const rows = await df();
  assert.deepEqual(Object.keys(rows), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
  assert.equal(rows.Images.TotalCount, '2');
  assert.equal(rows.Images.Active, '2');
  assert.match(rows.Images.Reclaimable, /^0B \(0%\)$/);
  assert.equal(rows.Containers.TotalCount, '2');
  assert.equal(rows.Containers.Active, '1');
  // The stopped container wrote 6000 bytes: all of the containers' reclaimable.
  assert.match(rows.Containers.Size, /^6(\.\d+)?kB$/);
  assert.match(rows.Containers.Reclaimable, /^6(\.\d+)?kB \(\d+%\)$/);
  assert.deepEqual({ ...rows['Build Cache'] }, { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' });
  assert.equal(await ok(fx, ['system', 'df', '--format', '{{.Type}}={{.TotalCount}}/{{.Active}}']), 'Images=2/2\nContainers=2/1\nLocal Volumes=0/0\nBuild Cache=0/0');
});

test('system df -v: docker\'s four tables, each image, container and volume with its bytes', async () => {
  await ok(fx, ['volume', 'create', 'dfv']);
  const out = await ok(fx, ['system', 'df', '-v']);
  const [images, containers, volumes, cache] = out.split(/\n(?=Containers space usage:|Local Volumes space usage:|Build cache usage:)/);
  assert.match(images, /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\n/);
  const imageRow = (repo: string) => images.split('\n').find((l) => l.startsWith(`${repo} `))?.trim().split(/ {2,}/);
  const busybox = imageRow('test/busybox');
  const other = imageRow('test/other');
  assert.ok(busybox && other, images);
  // test/other is busybox's bottom layer alone: all of it shared, none unique; busybox's
  // second layer (/hello) is its own. Each image has one container. SIZE to three digits,
  // SHARED and UNIQUE to four, as docker's ('1.98MB    1.982MB       0B').
  const otherBytes = Number(await ok(fx, ['image', 'inspect', '-f', '{{.Size}}', 'test/other:1']));
  assert.equal(other[1], '1');
  assert.equal(other[4], humanSize(otherBytes));
  assert.equal(other[5], humanSize(otherBytes, 4), 'SHARED SIZE is the whole of test/other');
  assert.equal(other[6], '0B');
  assert.equal(busybox[5], other[5], "busybox shares test/other's layer");
  assert.notEqual(busybox[6], '0B');
  assert.deepEqual([busybox[7], other[7]], ['1', '1']);
  assert.match(containers, /^Containers space usage:\n\nCONTAINER ID +IMAGE +COMMAND +LOCAL VOLUMES +SIZE +CREATED +STATUS +NAMES\n/);
  const writer = containers.split('\n').find((l) => l.trimEnd().endsWith(' writer'))?.split(/ {2,}/);
  assert.ok(writer, containers);
  assert.equal(writer[0], stopped.slice(0, 12));
  assert.equal(writer[2], `"sh -c 'head -c 6000…"`, 'COMMAND as ps shows it (an argument with blanks quoted, as docker\'s)');
  assert.equal(writer[3], '0');
  assert.match(writer[4], /^6(\.\d+)?kB$/);
  assert.match(writer[6], /^Exited \(0\)/);
  assert.match(containers, new RegExp(`\\n${running.slice(0, 12)} +test/other:1 +"sleep 1000" +0 +\\S+ +.* Up .* keep\\n`));
  assert.match(volumes, /^Local Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\ndfv +0 +0B\n/);
  assert.match(cache, /^Build cache usage: 0B\n\nCACHE ID +CACHE TYPE +SIZE +CREATED +LAST USED +USAGE +SHARED\n?$/);
  // -v with a format: docker 28's one object of the four lists (the same keys dockerd's gave).
  const doc = JSON.parse(await ok(fx, ['system', 'df', '-v', '--format', 'json'])) as Record<string, Record<string, string>[]>;
  assert.deepEqual(Object.keys(doc), ['Images', 'Containers', 'Volumes', 'BuildCache']);
  assert.deepEqual(doc.Volumes.find((v) => v.Name === 'dfv'), { Availability: 'N/A', Driver: 'local', Group: 'N/A', Links: '0', Name: 'dfv', Scope: 'local', Size: '0B', Status: 'N/A' });
  const row = doc.Containers.find((c) => c.ID === running) as Record<string, string>;
  for (const key of ['Command', 'CreatedAt', 'Image', 'LocalVolumes', 'Names', 'Size', 'State', 'Status']) assert.ok(key in row, key);
  for (const key of ['Containers', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize']) assert.ok(key in doc.Images[0], key);
  assert.equal(await ok(fx, ['system', 'df', '-v', '--format', '{{json .BuildCache}}']), '[]');
  await ok(fx, ['volume', 'rm', 'dfv']);
});

test('system prune without -f asks; any answer but y changes nothing', async () => {
  for (const input of ['n\n', '\n', 'yes\n', '']) {
    const r = await berth(fx, ['system', 'prune'], { input });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'WARNING! This will remove:\n  - all stopped containers\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] ');
  }
  assert.equal((await ok(fx, ['ps', '-aq', '--no-trunc'])).split('\n').sort().join(','), [stopped, running].sort().join(','));
});

test('system prune: a bad filter and an unknown subcommand fail (1, as docker\'s)', async () => {
  const bad = await berth(fx, ['system', 'prune', '-f', '--filter', 'color=red']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Invalid filter 'color'/);
  const sub = await berth(fx, ['system', 'nope']);
  assert.equal(sub.code, 1);
  assert.match(sub.stderr, /unknown command "nope"/);
  assert.equal((await berth(fx, ['builder', 'nope'])).code, 1);
  assert.equal((await ok(fx, ['ps', '-aq'])).split('\n').length, 2);
});

test('system prune -f: the stopped container, a dangling image and the cache go; what runs stays', async () => {
  // An untagged build: a dangling image, and a build cache entry for its RUN.
  const id = await build('FROM test/busybox\nRUN echo dangling > /d\n', ['-q']);
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal((await df())['Build Cache'].TotalCount, '1');
  const out = await ok(fx, ['system', 'prune', '-f']);
  assert.match(out, new RegExp(`^Deleted Containers:\\n${stopped}\\n\\nDeleted Images:\\ndeleted: ${id}\\n`));
  assert.match(out, /\nDeleted build cache objects:\n[0-9a-f]{64}\n/);
  // At least the stopped container's 6000 bytes, measured before its removal.
  const total = /Total reclaimed space: (\d+(?:\.\d+)?)(kB|MB)$/.exec(out);
  assert.ok(total && (total[2] === 'MB' || Number(total[1]) >= 6), out);
  assert.equal(await ok(fx, ['ps', '-aq', '--no-trunc']), running);
  const images = await ok(fx, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.deepEqual(images.split('\n').sort(), ['test/busybox:latest', 'test/other:1']);
  assert.equal((await berth(fx, ['image', 'inspect', id])).code, 1);
  const rows = await df();
  assert.equal(rows.Containers.TotalCount, '1');
  assert.equal(rows['Build Cache'].TotalCount, '0');
});

test('system prune answered y: the container stopped since goes, its image stays (tagged)', async () => {
  await ok(fx, ['stop', '-t', '0', 'keep']);
  const r = await berth(fx, ['system', 'prune'], { input: 'y\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`\\[y/N\\] Deleted Containers:\\n${running}\\n\\nTotal reclaimed space: \\S+\\n$`));
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  assert.equal((await ok(fx, ['images', '-q'])).split('\n').length, 2);

});

test('builder prune -f empties the build cache: a rebuild runs its steps again', async () => {
  const text = 'FROM test/busybox\nRUN echo cached > /c\n';
  const first = await build(text, ['-t', 'built:1']);
  assert.doesNotMatch(first, /Using cache/);
  assert.match(await build(text, ['-t', 'built:1']), /--> Using cache/);
  const asked = await berth(fx, ['builder', 'prune'], { input: 'n\n' });
  assert.equal(asked.stdout, 'WARNING! This will remove all dangling build cache. Are you sure you want to continue? [y/N] ');
  assert.equal((await df())['Build Cache'].TotalCount, '1');
  const out = await ok(fx, ['builder', 'prune', '-f']);
  assert.match(out, /^Deleted build cache objects:\n[0-9a-f]{64}\n\nTotal reclaimed space: \S+$/);
  assert.deepEqual(await fs.readdir(path.join(fx.root, 'build-cache', 'steps')), []);
  assert.deepEqual((await fs.readdir(path.join(fx.root, 'build-cache'))).filter((n) => n !== 'steps'), []);
  const again = await build(text, ['-t', 'built:1']);
  assert.doesNotMatch(again, /Using cache/);
  assert.match(again, /STEP 2\/2: RUN echo cached > \/c/);
});

test("image prune -a, last here: unused tagged images go, said with docker's familiar names", async () => {
  assert.equal(await ok(fx, ['image', 'prune', '-af', '--filter', 'label=nothing-has-this']), 'Total reclaimed space: 0B');
  const out = await ok(fx, ['image', 'prune', '-af']);
  assert.match(out, /^Deleted Images:\nuntagged: test\/(busybox:latest|other:1)\n/);
  assert.doesNotMatch(out, /docker\.io\//);
});
