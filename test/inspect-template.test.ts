// End to end: inspect -f over a real container, image and volume, as docker's CLI 28 runs it: the
// documents typed as docker's Go structs, its raw fallback, its errors and exit codes. The
// expected values are what docker 28.2.2 (over dockerd 20.10) printed for the same container.
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { berth, cleanupFixture, type EngineFixture, makeEngineFixture, ok } from './engine-fixture.js';

let fx: EngineFixture;
let src: string;
before(async () => {
  fx = await makeEngineFixture();
  src = path.join(fx.dir, 'vsrc');
  await fs.mkdir(src);
  await ok(fx, ['run', '-d', '--name', 'typed', '-v', `${src}:/data:ro`, '--restart', 'on-failure:3', '-l', 'a=b', fx.image, 'sleep', '600']);
});
after(async () => {
  await cleanupFixture(fx);
});

test("a container's structs, slices, maps and nil values print as docker's Go types", async () => {
  assert.equal(await ok(fx, ['inspect', '-f', '{{.Mounts}}', 'typed']), `[{bind  ${src} /data  ro false rprivate}]`);
  // docker's: {running true false false false false 19008 0  2026-...Z 0001-01-01T00:00:00Z <nil>}, then berth's MonitorPid.
  assert.match(await ok(fx, ['inspect', '-f', '{{.State}}', 'typed']), /^\{running true false false false false \d+ 0 {2}\S+Z 0001-01-01T00:00:00Z <nil> \d+\}$/);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.RestartPolicy}} {{.HostConfig.LogConfig}}', 'typed']), '{on-failure 3} {json-file map[]}');
  assert.equal(await ok(fx, ['inspect', '-f', '{{.Config.Entrypoint}} {{.Config.Volumes}} {{.State.Health}} {{.Config.Labels}}', 'typed']), '[] map[] <nil> map[a:b]');
  assert.equal(await ok(fx, ['container', 'inspect', '-f', '{{.Config.Labels.x}}|{{index .Config.Labels "x"}}|{{.HostConfig.ConsoleSize}}', 'typed']), '<no value>||[0 0]');
  // {{json}} prints the same JSON as inspect's own.
  const doc = JSON.parse(await ok(fx, ['inspect', 'typed']))[0];
  assert.equal(await ok(fx, ['inspect', '-f', '{{json .Config}}', 'typed']), JSON.stringify(doc.Config));
  assert.equal(await ok(fx, ['inspect', '-f', '{{json .State}}', 'typed']), JSON.stringify(doc.State));
  // An empty --format is docker's JSON, as no --format.
  assert.deepEqual(JSON.parse(await ok(fx, ['inspect', '-f', '', 'typed'])), [doc]);
  // docker's omitempty fields are absent when unset, its nil slices null (dockerd 20.10's JSON of
  // the same container), so {{.HostConfig.Init}} is docker's <nil>, not false.
  for (const key of ['Tmpfs', 'Init', 'Sysctls', 'Annotations']) assert.ok(!(key in doc.HostConfig), key);
  assert.ok(!('StopSignal' in doc.Config));
  assert.deepEqual([doc.HostConfig.CapAdd, doc.HostConfig.CapDrop, doc.HostConfig.SecurityOpt], [null, null, null]);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.HostConfig.Init}} {{.HostConfig.Tmpfs}} {{.Config.StopSignal}}|', 'typed']), '<nil> map[] |');
});

test("inspect's JSON has Go's order: maps' keys sorted, structs' fields as built", async () => {
  // dockerd 20.10 prints Labels and LogConfig.Config (Go maps) with their keys sorted, whatever
  // the order given; GraphDriver.Data too (LowerDir, MergedDir, UpperDir, WorkDir).
  await ok(fx, ['create', '--name', 'ordered', '-l', 'zz=1', '-l', 'aa=2', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=1', fx.image, 'true']);
  const [doc] = JSON.parse(await ok(fx, ['inspect', 'ordered']));
  assert.deepEqual(Object.keys(doc.Config.Labels), ['aa', 'zz']);
  assert.deepEqual(Object.keys(doc.HostConfig.LogConfig.Config), ['max-file', 'max-size']);
  assert.deepEqual(Object.keys(doc.GraphDriver.Data), [...Object.keys(doc.GraphDriver.Data)].sort());
  assert.deepEqual(Object.keys(doc).slice(0, 3), ['Id', 'Created', 'Path']);
  await ok(fx, ['rm', 'ordered']);
});

test("docker's raw fallback: {{.Id}} is no field of its struct, so the raw maps print", async () => {
  const id = await ok(fx, ['inspect', '-f', '{{.ID}}', 'typed']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{.Id}} {{.HostConfig.RestartPolicy}} {{.Config.Entrypoint}}', 'typed']), `${id} map[MaximumRetryCount:3 Name:on-failure] <no value>`);
});

test("a field in neither is docker's error, exit 1; a template that does not parse exits 64", async () => {
  const bogus = await berth(fx, ['inspect', '-f', '{{.Config.Bogus}}', 'typed', 'typed']);
  assert.equal(bogus.code, 1);
  assert.equal(bogus.stdout, '\n');
  assert.equal(bogus.stderr, 'template parsing error: template: :1:9: executing "" at <.Config.Bogus>: map has no entry for key "Bogus"\n'.repeat(2));
  for (const verb of [['inspect'], ['image', 'inspect'], ['volume', 'inspect']]) {
    const broken = await berth(fx, [...verb, '-f', '{{.Id', 'no-such-thing']);
    assert.equal(broken.code, 64, verb.join(' '));
    assert.equal(broken.stderr, 'template parsing error: template: :1: unclosed action\n');
  }
});

test('an image and a volume as docker types them', async () => {
  assert.match(await ok(fx, ['image', 'inspect', '-f', '{{.RootFS.Type}} {{.Metadata}} {{.Config.Cmd}} {{.ContainerConfig.Entrypoint}} {{.Descriptor}}', fx.image]), /^layers \{\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC\} \[\/bin\/sh\] \[\] <nil>$/);
  const bogus = await berth(fx, ['inspect', '-f', '{{.Config.Bogus}}', fx.image]);
  assert.equal(bogus.code, 1);
  assert.equal(bogus.stderr, 'template parsing error: template: :1:9: executing "" at <.Config.Bogus>: map has no entry for key "Bogus"\n');
  // docker's GraphDriver of an image: the top layer's tree as UpperDir, the ones under it as
  // LowerDir, the trees a container's overlay stacks.
  const gd = JSON.parse(await ok(fx, ['image', 'inspect', '-f', '{{json .GraphDriver}}', fx.image]));
  assert.equal(gd.Name, 'overlay');
  const layers = JSON.parse(await ok(fx, ['image', 'inspect', '-f', '{{json .RootFS.Layers}}', fx.image])) as string[];
  assert.equal(gd.Data.LowerDir.split(':').length, layers.length - 1);
  assert.equal(await fs.readFile(path.join(gd.Data.UpperDir, 'hello'), 'utf8'), 'hello from layer 2\n');
  // docker's familiar names in RepoTags (berth printed docker.io/...).
  assert.equal(await ok(fx, ['image', 'inspect', '-f', '{{json .RepoTags}}', fx.image]), JSON.stringify([fx.image.includes(':') ? fx.image : `${fx.image}:latest`]));
  await ok(fx, ['volume', 'create', 'tv']);
  assert.equal(await ok(fx, ['volume', 'inspect', '-f', '{{.Options}} {{.Status}} {{.UsageData}} {{.Name}}', 'tv']), 'map[] map[] <nil> tv');
});
