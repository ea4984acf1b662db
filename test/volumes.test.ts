// End to end through the berth CLI with real overlay and runc: docker's local volumes. Named and
// anonymous volumes in containers, the image's VOLUMEs with their copy-up, --volumes-from,
// rm -v and --rm, the volume verbs, inspect's Mounts, system df's row, the hostile cases, and
// the local driver's options (a tmpfs, a bound host dir, a mount that fails, a stale mount).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { berth, cleanupFixture, type EngineFixture, makeEngineFixture, makeImage, mountsUnder, ok } from './engine-fixture.js';

let fx: EngineFixture;
before(async () => {
  fx = await makeEngineFixture();
  // An image with files at its VOLUME: owners and modes that the copy-up must keep.
  const layer = path.join(fx.dir, 'vol-layer');
  await fs.mkdir(path.join(layer, 'srv/app/sub'), { recursive: true });
  await fs.writeFile(path.join(layer, 'srv/app/conf'), 'from the image\n');
  await fs.chmod(path.join(layer, 'srv/app/conf'), 0o640);
  await fs.chown(path.join(layer, 'srv/app/conf'), 1000, 2000);
  await fs.chmod(path.join(layer, 'srv/app/sub'), 0o750);
  await fs.chown(path.join(layer, 'srv/app/sub'), 1000, 1000);
  await fs.chmod(path.join(layer, 'srv/app'), 0o711);
  await fs.symlink('conf', path.join(layer, 'srv/app/link'));
  // Hostile: a symlink at a VOLUME that points at a host path, and one inside a VOLUME.
  await fs.symlink(path.join(fx.dir, 'host-secret'), path.join(layer, 'sneaky'));
  await fs.mkdir(path.join(layer, 'vol'));
  await fs.symlink(path.join(fx.dir, 'host-target'), path.join(layer, 'vol/escape'));
  await fs.mkdir(path.join(fx.dir, 'host-secret'));
  await fs.writeFile(path.join(fx.dir, 'host-secret/marker'), 'host only\n');
  await fs.mkdir(path.join(fx.dir, 'host-target'));
  await makeImage(fx, 'test/vol:1', { Cmd: ['sh'], Volumes: { '/srv/app': {} } }, layer);
  await makeImage(fx, 'test/hostile-vol:1', { Cmd: ['sh'], Volumes: { '/../../etc': {}, '/sneaky': {}, '/vol': {} } }, layer);
});
after(async () => {
  await cleanupFixture(fx);
});

async function volumes(...filters: string[]): Promise<string[]> {
  const out = await ok(fx, ['volume', 'ls', '-q', ...filters.flatMap((f) => ['--filter', f])]);
  return out === '' ? [] : out.split('\n');
}

function mountsOf(inspectJson: string): { Type: string; Name?: string; Source: string; Destination: string; RW: boolean; Driver?: string; Mode: string; Propagation: string }[] {
  return (JSON.parse(inspectJson) as { Mounts: [] }[])[0].Mounts;
}

test('a named volume keeps its data past rm and shows it to the next container', async () => {
  const since = String(Date.now() / 1000);
  const w1 = await ok(fx, ['create', '--name', 'w1', '-v', 'data1:/data', '--mount', `type=bind,source=${fx.dir},target=/m`, fx.image, 'sh', '-c', 'echo kept > /data/f']);
  // docker's HostConfig.Binds: the -v that name a volume or a host path, as given; not --mount's.
  assert.equal(await ok(fx, ['inspect', '-f', '{{json .HostConfig.Binds}}', 'w1']), '["data1:/data"]');
  // and HostConfig.Mounts: the --mount values, in docker's structs.
  assert.equal(await ok(fx, ['inspect', '-f', '{{json .HostConfig.Mounts}}', 'w1']), `[{"Type":"bind","Source":"${fx.dir}","Target":"/m"}]`);
  await ok(fx, ['start', '-a', 'w1']);
  const mounted = await ok(fx, ['events', '--since', since, '--until', String(Date.now() / 1000 + 1), '--filter', 'event=mount', '--format', '{{.Type}} {{.Actor.ID}} {{.Actor.Attributes.container}} {{.Actor.Attributes.destination}}']);
  assert.equal(mounted, `volume data1 ${w1} /data`);
  await ok(fx, ['rm', '-v', 'w1']);
  assert.ok((await volumes()).includes('data1'), 'made on first use and kept by rm -v (it is named)');
  assert.equal(await ok(fx, ['run', '--rm', '-v', 'data1:/data:ro', fx.image, 'cat', '/data/f']), 'kept');
  const ro = await berth(fx, ['run', '--rm', '-v', 'data1:/data:ro', fx.image, 'sh', '-c', 'echo x > /data/g']);
  assert.notEqual(ro.code, 0, 'a read-only volume refuses writes');
  const [v] = JSON.parse(await ok(fx, ['volume', 'inspect', 'data1'])) as Record<string, unknown>[];
  assert.deepEqual(Object.keys(v), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.equal(v.Mountpoint, path.join(fx.root, 'volumes/data1/_data'));
  assert.equal(v.Driver, 'local');
  assert.equal(v.Labels, null, "docker's null for no labels (dockerd 20.10)");
  // podman's volume exists: the exit code says.
  assert.equal((await berth(fx, ['volume', 'exists', 'data1'])).code, 0);
  assert.equal((await berth(fx, ['volume', 'exists', 'no-such-volume'])).code, 1);
  assert.equal(await fs.readFile(path.join(v.Mountpoint as string, 'f'), 'utf8'), 'kept\n');
  // docker's generic inspect finds a volume too, after containers and images, or by --type.
  assert.equal(await ok(fx, ['inspect', '-f', '{{.Name}} {{.Driver}}', 'data1']), 'data1 local');
  assert.deepEqual(JSON.parse(await ok(fx, ['inspect', '--type', 'volume', 'data1'])), [v]);
  assert.match((await berth(fx, ['inspect', '--type', 'image', 'data1'])).stderr, /No such image/);
  await ok(fx, ['volume', 'rm', 'data1']);
  assert.match((await berth(fx, ['inspect', 'data1'])).stderr, /No such object: data1/);
});

test('volume create, ls (table, filters, format), inspect, rm; events', async () => {
  const since = String(Date.now() / 1000);
  assert.equal(await ok(fx, ['volume', 'create', '--label', 'team=a', 'va']), 'va');
  assert.equal(await ok(fx, ['volume', 'create', '--name', 'vb']), 'vb');
  assert.equal(await ok(fx, ['volume', 'create', 'va']), 'va', 'an existing name is no error');
  const anon = await ok(fx, ['volume', 'create']);
  assert.match(anon, /^[0-9a-f]{64}$/);
  const table = await ok(fx, ['volume', 'ls']);
  assert.match(table, /^DRIVER {4}VOLUME NAME\n/);
  assert.match(table, /\nlocal {5}va\n/);
  assert.deepEqual(await volumes('label=team=a'), ['va']);
  assert.deepEqual(await volumes('name=v[ab]'), ['va', 'vb']);
  assert.deepEqual((await volumes('dangling=true')).sort(), [anon, 'va', 'vb'].sort());
  assert.equal(await ok(fx, ['volume', 'ls', '--filter', 'name=va', '--format', '{{.Name}} {{.Driver}} {{.Labels}}']), 'va local team=a');
  // docker's other row fields (dockerd 20.10 printed the same for a local volume).
  assert.equal(await ok(fx, ['volume', 'ls', '--filter', 'name=va', '--format', '{{.Label "team"}}|{{.Links}}|{{.Size}}|{{.Status}}']), 'a|N/A|N/A|N/A');
  const row = JSON.parse(await ok(fx, ['volume', 'ls', '--filter', 'name=va', '--format', 'json'])) as Record<string, string>;
  assert.deepEqual([row.Name, row.Availability, row.Group], ['va', 'N/A', 'N/A']);
  const [a] = JSON.parse(await ok(fx, ['volume', 'inspect', anon])) as { Labels: Record<string, string> }[];
  assert.deepEqual(a.Labels, { 'com.docker.volume.anonymous': '' });
  // dockerd 20.10 and docker CLI 28's words and codes for filters they refuse: a key is the
  // daemon's 'Invalid filter 'bogus'', a bad dangling 'Invalid filter 'dangling=[maybe]'' (1);
  // no '=' is the CLI's flag error (125). berth said 'invalid filter ...: want ...', exit 1.
  for (const [args, code, stderr] of [
    [['volume', 'ls', '--filter', 'bogus=1'], 1, "Error: Invalid filter 'bogus'\n"],
    [['volume', 'ls', '--filter', 'dangling=maybe'], 1, "Error: Invalid filter 'dangling=[maybe]'\n"],
    [['volume', 'prune', '-f', '--filter', 'bogus=1'], 1, "Error: Invalid filter 'bogus'\n"],
    [['volume', 'ls', '--filter', 'nokey'], 125, 'invalid argument "nokey" for "-f, --filter" flag: bad format of filter (expected name=value)\n\nUsage:  berth volume ls [OPTIONS]\n\nRun \'berth volume ls --help\' for more information\n'],
    [['volume', 'prune', '--filter', 'nokey'], 125, 'invalid argument "nokey" for "--filter" flag: bad format of filter (expected name=value)\n\nUsage:  berth volume prune [OPTIONS]\n\nRun \'berth volume prune --help\' for more information\n'],
  ] as const) {
    const r = await berth(fx, [...args]);
    assert.deepEqual([r.code, r.stderr], [code, stderr], args.join(' '));
  }
  // docker CLI 28's volume inspect runs -f over its volume.Volume only (it fetches no raw JSON to
  // fall back on): 'can't evaluate field Bogus in type volume.Volume'; its generic inspect falls
  // back and says 'map has no entry for key "Bogus"'. berth said the latter for both.
  const typed = await berth(fx, ['volume', 'inspect', '-f', '{{.Bogus}}', 'va']);
  assert.deepEqual([typed.code, typed.stdout, typed.stderr], [1, '\n', 'template parsing error: template: :1:2: executing "" at <.Bogus>: can\'t evaluate field Bogus in type volume.Volume\n']);
  const raw = await berth(fx, ['inspect', '-f', '{{.Bogus}}', 'va']);
  assert.deepEqual([raw.code, raw.stderr], [1, 'template parsing error: template: :1:2: executing "" at <.Bogus>: map has no entry for key "Bogus"\n']);
  const missing = await berth(fx, ['volume', 'inspect', 'nope']);
  assert.equal(missing.code, 1);
  // dockerd 20.10: 'get nope: no such volume' (berth said 'no such volume: nope').
  assert.deepEqual([missing.code, missing.stderr], [1, 'Error: get nope: no such volume\n']);
  const rmMissing = await berth(fx, ['volume', 'rm', 'nope', 'nope2']);
  assert.deepEqual([rmMissing.code, rmMissing.stderr], [1, 'Error: get nope: no such volume\nError: get nope2: no such volume\n']);
  assert.equal(await ok(fx, ['volume', 'rm', 'va', 'vb', anon]), `va\nvb\n${anon}`);
  assert.equal((await berth(fx, ['volume', 'rm', 'va'])).code, 1);
  assert.equal((await berth(fx, ['volume', 'rm', '-f', 'va'])).code, 0, '-f: a missing volume is no error');
  const events = await ok(fx, ['events', '--since', since, '--until', String(Date.now() / 1000 + 1), '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}}']);
  assert.ok(events.includes('create va') && events.includes('destroy vb'), events);
});

test('bad names, drivers, options and paths are refused clearly', async () => {
  // dockerd 20.10's words: 'create a/b: "a/b" includes invalid characters for a local volume
  // name, ...', 'create x: volume name is too short, ...'; berth said 'invalid volume name "a/b":
  // only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least two characters'.
  for (const name of ['a/b', '..', '.hidden']) {
    const r = await berth(fx, ['volume', 'create', name]);
    const why = `${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`;
    assert.deepEqual([r.code, r.stderr], [1, `Error: create ${name}: ${why}\n`], name);
  }
  const short = await berth(fx, ['volume', 'create', 'x']);
  assert.deepEqual([short.code, short.stderr], [1, 'Error: create x: volume name is too short, names should be at least two alphanumeric characters\n']);
  const drv = await berth(fx, ['volume', 'create', '-d', 'nfs', 'x1']);
  assert.equal(drv.code, 1);
  // dockerd 20.10: 'create x1: error looking up volume plugin nfs: plugin "nfs" not found'
  // (berth: 'volume driver "nfs" is not supported: berth has docker's local volume driver only').
  assert.equal(drv.stderr, 'Error: create x1: error looking up volume plugin nfs: plugin "nfs" not found\n');
  // docker 20.10's words for an unknown key and for options without the ones they need.
  const opt = await berth(fx, ['volume', 'create', '--opt', 'foo=bar', 'x1']);
  assert.deepEqual([opt.code, opt.stderr], [1, 'Error: create x1: invalid option: "foo"\n']);
  const alone = await berth(fx, ['volume', 'create', '-o', 'o=size=1m', 'x1']);
  assert.deepEqual([alone.code, alone.stderr], [1, 'Error: create x1: missing required option: "device"\n']);
  const noType = await berth(fx, ['volume', 'create', '-o', 'device=tmpfs', 'x1']);
  assert.equal(noType.stderr, 'Error: create x1: missing required option: "type"\n');
  const quota = await berth(fx, ['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'size=1m', 'x1']);
  assert.equal(quota.stderr, 'Error: create x1: quota size requested but no quota support\n');
  // --mount's volume-opt=: the run fails before a container or volume is made.
  const mnt = await berth(fx, ['run', '--rm', '--mount', 'type=volume,source=x1,target=/d,volume-opt=foo=bar', fx.image, 'true']);
  assert.equal(mnt.code, 125);
  assert.match(mnt.stderr, /create x1: invalid option: "foo"/);
  assert.deepEqual(await fs.readdir(path.join(fx.root, 'containers')).catch(() => []), []);
  const rel = await berth(fx, ['run', '--rm', '-v', 'x1:relative/path', fx.image, 'true']);
  assert.equal(rel.code, 125);
  // dockerd's words: "invalid mount config for type "volume": invalid mount path: 'relative/path' mount path must be absolute".
  assert.match(rel.stderr, /invalid mount config for type "volume": invalid mount path: 'relative\/path' mount path must be absolute/);
  const slash = await berth(fx, ['run', '--rm', '-v', 'a/../b:/x', fx.image, 'true']);
  assert.match(slash.stderr, /create a\/..\/b: "a\/..\/b" includes invalid characters for a local volume name/);
  assert.deepEqual(await volumes(), [], 'nothing was made by the refused commands');
});

test('an anonymous volume: listed as dangling after rm, removed by rm -v; --rm removes its own', async () => {
  await ok(fx, ['run', '--name', 'a1', '-v', '/data', fx.image, 'sh', '-c', 'echo x > /data/x']);
  const [m] = mountsOf(await ok(fx, ['inspect', 'a1']));
  assert.equal(m.Type, 'volume');
  assert.equal(await ok(fx, ['inspect', '-f', '{{json .HostConfig.Binds}} {{json .Config.Volumes}}', 'a1']), 'null {"/data":{}}', 'an anonymous -v is no bind, but one of the Volumes');
  assert.match(m.Name ?? '', /^[0-9a-f]{64}$/);
  assert.deepEqual(await volumes('dangling=false'), [m.Name]);
  await ok(fx, ['rm', 'a1']);
  assert.deepEqual(await volumes('dangling=true'), [m.Name], 'rm without -v leaves it, now dangling');
  await ok(fx, ['run', '--name', 'a2', '-v', '/data', fx.image, 'true']);
  const [m2] = mountsOf(await ok(fx, ['inspect', 'a2']));
  await ok(fx, ['rm', '-v', 'a2']);
  assert.ok(!(await volumes()).includes(m2.Name as string), 'rm -v removed it');
  // --rm (the foreground path) and run -d --rm (the monitor's cleanup) take their anonymous volumes along.
  await ok(fx, ['run', '--rm', '-v', '/scratch', fx.image, 'true']);
  await ok(fx, ['run', '-d', '--rm', '--name', 'a3', '-v', '/scratch', fx.image, 'true']);
  for (let i = 0; i < 100 && existsSync(path.join(fx.root, 'containers')) && (await fs.readdir(path.join(fx.root, 'containers'))).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await volumes(), [m.Name]);
  await ok(fx, ['volume', 'rm', m.Name as string]);
});

test("the image's VOLUME: an anonymous volume with a copy of the image's files (owners, modes, links)", async () => {
  await ok(fx, ['run', '--name', 'cu', 'test/vol:1', 'true']);
  assert.equal(await ok(fx, ['inspect', '-f', '{{json .Config.Volumes}}', 'cu']), '{"/srv/app":{}}');
  const [m] = mountsOf(await ok(fx, ['inspect', 'cu']));
  assert.deepEqual({ ...m, Name: '' }, { Type: 'volume', Name: '', Source: path.join(fx.root, 'volumes', m.Name as string, '_data'), Destination: '/srv/app', Driver: 'local', Mode: '', RW: true, Propagation: '' });
  const data = m.Source;
  assert.equal(await fs.readFile(path.join(data, 'conf'), 'utf8'), 'from the image\n');
  const conf = await fs.stat(path.join(data, 'conf'));
  assert.deepEqual([conf.mode & 0o7777, conf.uid, conf.gid], [0o640, 1000, 2000]);
  const sub = await fs.stat(path.join(data, 'sub'));
  assert.deepEqual([sub.mode & 0o7777, sub.uid], [0o750, 1000]);
  assert.equal((await fs.stat(data)).mode & 0o7777, 0o711, "the volume's root takes the image dir's mode");
  assert.equal(await fs.readlink(path.join(data, 'link')), 'conf');
  // A user mount at the VOLUME's place covers it: a named volume, copied up too; nocopy: empty.
  assert.equal(await ok(fx, ['run', '--rm', '-v', 'named-cu:/srv/app', 'test/vol:1', 'cat', '/srv/app/conf']), 'from the image');
  assert.equal(await ok(fx, ['run', '--rm', '--mount', 'type=volume,source=empty-cu,target=/srv/app,volume-nocopy', 'test/vol:1', 'ls', '/srv/app']), '');
  // A bind mount covers it as well: no anonymous volume is made.
  await ok(fx, ['create', '--name', 'cov', '-v', `${fx.dir}:/srv/app`, 'test/vol:1']);
  assert.deepEqual(mountsOf(await ok(fx, ['inspect', 'cov'])).map((x) => x.Type), ['bind']);
  await ok(fx, ['rm', 'cov']);
  await ok(fx, ['rm', '-v', 'cu']);
  await ok(fx, ['volume', 'rm', 'named-cu', 'empty-cu']);
});

test('a hostile VOLUME stays inside the rootfs: "/../../etc" is /etc, a symlinked one reads nothing of the host', async () => {
  await ok(fx, ['run', '--name', 'hv', 'test/hostile-vol:1', 'true']);
  const mounts = mountsOf(await ok(fx, ['inspect', 'hv']));
  assert.deepEqual(mounts.map((m) => m.Destination).sort(), ['/etc', '/sneaky', '/vol']);
  const byDest = Object.fromEntries(mounts.map((m) => [m.Destination, m.Source]));
  // /etc: the image's own /etc, copied from inside the rootfs.
  assert.match(await fs.readFile(path.join(byDest['/etc'], 'passwd'), 'utf8'), /^root:x:0:0/);
  // /sneaky -> <host path>: resolved inside the rootfs, where nothing is; the host's marker is not read.
  assert.deepEqual(await fs.readdir(byDest['/sneaky']), []);
  // /vol/escape -> <host path>: copied as a link, never followed; nothing written on the host.
  assert.equal(await fs.readlink(path.join(byDest['/vol'], 'escape')), path.join(fx.dir, 'host-target'));
  assert.deepEqual(await fs.readdir(path.join(fx.dir, 'host-target')), []);
  assert.deepEqual(await fs.readdir(path.join(fx.dir, 'host-secret')), ['marker']);
  await ok(fx, ['rm', '-v', 'hv']);
  assert.deepEqual(await volumes(), []);
});

test('--volumes-from mounts the volumes and binds of another container at the same places', async () => {
  const bindDir = path.join(fx.dir, 'bind-src');
  await fs.mkdir(bindDir);
  await fs.writeFile(path.join(bindDir, 'b'), 'bound\n');
  await ok(fx, ['create', '--name', 'src1', '-v', 'shared:/shared', '-v', '/anon', '-v', `${bindDir}:/bind`, fx.image, 'true']);
  await ok(fx, ['run', '--rm', '-v', 'shared:/shared', fx.image, 'sh', '-c', 'echo one > /shared/s']);
  assert.equal(await ok(fx, ['run', '--rm', '--volumes-from', 'src1', fx.image, 'sh', '-c', 'cat /shared/s /bind/b; echo two > /anon/a; cat /anon/a']), 'one\nbound\ntwo');
  const ro = await berth(fx, ['run', '--rm', '--volumes-from', 'src1:ro', fx.image, 'sh', '-c', 'echo x > /shared/t']);
  assert.notEqual(ro.code, 0, ':ro makes every mount read-only');
  // The --rm container took none of src1's anonymous volume: it is src1's, still in use.
  const [anon] = mountsOf(await ok(fx, ['inspect', 'src1'])).filter((m) => m.Destination === '/anon');
  assert.ok((await volumes()).includes(anon.Name as string));
  await ok(fx, ['rm', '-v', 'src1']);
  assert.deepEqual(await volumes(), ['shared']);
  await ok(fx, ['volume', 'rm', 'shared']);
});

test('volume rm of a volume in use is refused (-f too) and leaves it intact', async () => {
  const id = await ok(fx, ['create', '--name', 'user1', '-v', 'busy:/b', fx.image, 'true']);
  await fs.writeFile(path.join(fx.root, 'volumes/busy/_data/keep'), 'k');
  for (const args of [['volume', 'rm', 'busy'], ['volume', 'rm', '-f', 'busy']]) {
    const r = await berth(fx, args);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error: remove busy: volume is in use - [${id}]\n`);
  }
  assert.equal(await fs.readFile(path.join(fx.root, 'volumes/busy/_data/keep'), 'utf8'), 'k');
  assert.deepEqual(await volumes('dangling=false'), ['busy']);
  // container prune leaves volumes, as docker's does.
  await ok(fx, ['container', 'prune', '-f']);
  assert.deepEqual(await volumes('dangling=true'), ['busy']);
  await ok(fx, ['volume', 'rm', 'busy']);
});

test('volume prune: asks; anonymous unused only, all unused with -a; system df counts volumes', async () => {
  await ok(fx, ['volume', 'create', 'named-p']);
  await ok(fx, ['volume', 'create', '--label', 'k=v', 'labelled-p']);
  const anon = await ok(fx, ['volume', 'create']);
  await fs.writeFile(path.join(fx.root, 'volumes', anon, '_data/f'), 'x'.repeat(3000));
  await ok(fx, ['create', '--name', 'holder', '-v', '/held', fx.image, 'true']);
  const held = mountsOf(await ok(fx, ['inspect', 'holder']))[0].Name as string;
  const df = async () => ((await ok(fx, ['system', 'df', '--format', 'json'])).split('\n').map((l) => JSON.parse(l)) as Record<string, string>[]).find((r) => r.Type === 'Local Volumes');
  assert.deepEqual({ ...(await df()) }, { Type: 'Local Volumes', TotalCount: '4', Active: '1', Size: '3kB', Reclaimable: '3kB (100%)' });
  const asked = await berth(fx, ['volume', 'prune'], { input: 'n\n' });
  assert.equal(asked.stdout, 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ');
  assert.equal((await volumes()).length, 4);
  assert.equal(await ok(fx, ['volume', 'prune', '-f']), `Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 3kB`);
  assert.equal(await ok(fx, ['volume', 'prune', '-f', '-a', '--filter', 'label=k']), 'Deleted Volumes:\nlabelled-p\n\nTotal reclaimed space: 0B');
  assert.equal(await ok(fx, ['volume', 'prune', '-af']), 'Deleted Volumes:\nnamed-p\n\nTotal reclaimed space: 0B');
  assert.deepEqual(await volumes(), [held], 'the volume in use stays');
  await ok(fx, ['rm', '-v', 'holder']);
  assert.deepEqual(await volumes(), []);
});

test('system prune --volumes: the stopped container first, then the anonymous volume it held; named ones stay', async () => {
  await ok(fx, ['volume', 'create', 'keep-me']);
  await ok(fx, ['create', '--name', 'sp', '-v', '/scratch', '-v', 'keep-me:/k', fx.image, 'true']);
  const anon = mountsOf(await ok(fx, ['inspect', 'sp'])).find((m) => m.Destination === '/scratch')?.Name as string;
  const asked = await berth(fx, ['system', 'prune', '--volumes'], { input: 'n\n' });
  assert.match(asked.stdout, /- all stopped containers\n {2}- all anonymous volumes not used by at least one container\n/);
  assert.deepEqual((await volumes()).sort(), [anon, 'keep-me'].sort());
  const out = await ok(fx, ['system', 'prune', '-f', '--volumes']);
  assert.match(out, new RegExp(`Deleted Volumes:\n${anon}\n`));
  assert.deepEqual(await volumes(), ['keep-me']);
  await ok(fx, ['volume', 'rm', 'keep-me']);
});

test('a create killed half way leaves no volume: a temp dir is not listed, and swept', async () => {
  const tmp = path.join(fx.root, 'volumes/.tmp-0123456789abcdef');
  await fs.mkdir(path.join(tmp, '_data'), { recursive: true });
  await fs.writeFile(path.join(tmp, 'volume.json'), JSON.stringify({ name: 'half', createdAt: '', labels: {}, anonymous: false }));
  assert.deepEqual(await volumes(), []);
  assert.equal((await berth(fx, ['volume', 'inspect', 'half'])).code, 1);
  await ok(fx, ['volume', 'create', 'whole']);
  assert.ok(!existsSync(tmp), 'the next create swept it');
  await ok(fx, ['volume', 'rm', 'whole']);
});

/** Whether a file system is mounted on the volume's _data in this (the host's) mount namespace. */
function mounted(name: string): boolean {
  const dir = path.join(fx.root, 'volumes', name, '_data');
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === dir);
}

async function until(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting: ${what}`);
}

test("a tmpfs volume (docker's -o type=tmpfs): mounted while containers use it, its size kept, unmounted after the last", async () => {
  assert.equal(await ok(fx, ['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', 'tv']), 'tv');
  // docker 20.10's volume inspect: Options as a map, keys sorted; a plain volume's is null.
  const [v] = JSON.parse(await ok(fx, ['volume', 'inspect', 'tv'])) as Record<string, unknown>[];
  assert.deepEqual(Object.entries(v.Options as object), [
    ['device', 'tmpfs'],
    ['o', 'size=1m'],
    ['type', 'tmpfs'],
  ]);
  assert.equal(await ok(fx, ['volume', 'inspect', '-f', '{{json .Options}}', 'tv']), '{"device":"tmpfs","o":"size=1m","type":"tmpfs"}');
  assert.match(await ok(fx, ['volume', 'ls']), /\nlocal {5}tv$/, 'ls is unchanged');
  assert.equal(mounted('tv'), false, 'nothing is mounted at create');
  await ok(fx, ['run', '-d', '--name', 'tv1', '-v', 'tv:/d', fx.image, 'sh', '-c', 'echo one > /d/f; exec sleep 60']);
  assert.ok(mounted('tv'), 'mounted for the first container');
  await until('the first container wrote', () => existsSync(path.join(fx.root, 'volumes/tv/_data/f')));
  // A second container started meanwhile gets the same file system.
  assert.equal(await ok(fx, ['run', '--rm', '-v', 'tv:/d', fx.image, 'cat', '/d/f']), 'one');
  assert.equal(await ok(fx, ['run', '--rm', '-v', 'tv:/d', fx.image, 'sh', '-c', "grep ' /d ' /proc/self/mountinfo | sed 's|.* - ||'"]), 'tmpfs tmpfs rw,size=1024k');
  // size=1m is the file system's: a write past it fails.
  const full = await berth(fx, ['run', '--rm', '-v', 'tv:/d', fx.image, 'dd', 'if=/dev/zero', 'of=/d/big', 'bs=1k', 'count=2000']);
  assert.notEqual(full.code, 0);
  assert.match(full.stderr, /No space left on device/);
  assert.ok(mounted('tv'), 'the first container still uses it');
  // Stopped: the last user is gone, so is the mount; started again, a new (empty) tmpfs.
  await ok(fx, ['stop', '-t', '0', 'tv1']);
  await until('unmounted after the stop', () => !mounted('tv'));
  assert.deepEqual(await fs.readdir(path.join(fx.root, 'volumes/tv/_data')), [], 'the dir under the graph root kept nothing');
  await ok(fx, ['start', 'tv1']);
  assert.ok(mounted('tv'));
  await ok(fx, ['rm', '-f', 'tv1']);
  assert.equal(mounted('tv'), false, 'rm -f of the last user unmounts');
  assert.ok(!existsSync(path.join(fx.runroot, 'volume-mounts/tv')), 'no users are left listed');
  await ok(fx, ['volume', 'rm', 'tv']);
});

test('a bound host dir (type=none,o=bind,device=DIR): the container writes into DIR; volume rm leaves DIR alone', async () => {
  const host = path.join(fx.dir, 'bound');
  await fs.mkdir(host);
  await ok(fx, ['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${host}`, 'bv']);
  await ok(fx, ['run', '--rm', '-v', 'bv:/d', fx.image, 'sh', '-c', 'echo written > /d/x']);
  assert.equal(await fs.readFile(path.join(host, 'x'), 'utf8'), 'written\n');
  assert.equal(mounted('bv'), false);
  // o=bind,ro: a read-only bind (the kernel needs a remount for that).
  await ok(fx, ['volume', 'create', '-o', 'type=none', '-o', 'o=bind,ro', '-o', `device=${host}`, 'bro']);
  const ro = await berth(fx, ['run', '--rm', '-v', 'bro:/d', fx.image, 'sh', '-c', 'cat /d/x; echo y > /d/y']);
  assert.equal(ro.stdout, 'written\n');
  assert.match(ro.stderr, /Read-only file system/);
  await ok(fx, ['volume', 'rm', 'bv', 'bro']);
  assert.deepEqual(await fs.readdir(host), ['x']);
});

test('--mount volume-opt= makes the volume with those options when it is missing (anonymous too)', async () => {
  await ok(fx, ['create', '--name', 'mo', '--mount', 'type=volume,source=mv,target=/d,volume-driver=local,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=2m', fx.image, 'sh', '-c', "grep ' /d ' /proc/self/mountinfo | sed 's|.* - ||'"]);
  assert.equal(await ok(fx, ['volume', 'inspect', '-f', '{{json .Options}}', 'mv']), '{"device":"tmpfs","o":"size=2m","type":"tmpfs"}');
  // docker 20.10's HostConfig.Mounts for the same --mount.
  assert.equal(
    await ok(fx, ['inspect', '-f', '{{json .HostConfig.Mounts}}', 'mo']),
    '[{"Type":"volume","Source":"mv","Target":"/d","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"device":"tmpfs","o":"size=2m","type":"tmpfs"}}}}]',
  );
  assert.equal(await ok(fx, ['start', '-a', 'mo']), 'tmpfs tmpfs rw,size=2048k');
  // An existing volume keeps its options, as docker's does.
  await ok(fx, ['run', '--rm', '--mount', 'type=volume,source=mv,target=/d,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=5m', fx.image, 'true']);
  assert.equal(await ok(fx, ['volume', 'inspect', '-f', '{{.Options.o}}', 'mv']), 'size=2m');
  await ok(fx, ['create', '--name', 'mo2', '--mount', 'type=volume,target=/d,volume-opt=type=tmpfs,volume-opt=device=tmpfs', fx.image, 'true']);
  const anon = mountsOf(await ok(fx, ['inspect', 'mo2']))[0].Name as string;
  assert.equal(await ok(fx, ['volume', 'inspect', '-f', '{{json .Options}}', anon]), '{"device":"tmpfs","type":"tmpfs"}');
  await ok(fx, ['rm', '-v', 'mo', 'mo2']);
  assert.deepEqual(await volumes(), ['mv']);
  await ok(fx, ['volume', 'rm', 'mv']);
});

test("a mount that fails fails the start in docker's words and leaves nothing mounted", async () => {
  await ok(fx, ['volume', 'create', '-o', 'type=nosuchfs', '-o', 'device=x', '-o', 'o=size=1m,nosuid,nodev,uid=5', 'badfs']);
  const dir = path.join(fx.root, 'volumes/badfs/_data');
  // docker 20.10 printed the same after "Error response from daemon: ".
  const want = `error while mounting volume '${dir}': failed to mount local volume: mount x:${dir}, flags: 0x6, data: size=1m,uid=5: no such device`;
  const run = await berth(fx, ['run', '--rm', '-v', 'badfs:/d', fx.image, 'true']);
  assert.equal(run.code, 125);
  assert.equal(run.stderr, `Error: ${want}\n`);
  // With another volume that did mount before it: that one is let go too.
  await ok(fx, ['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'goodfs']);
  await ok(fx, ['create', '--name', 'bf', '-v', 'goodfs:/a', '-v', 'badfs:/d', fx.image, 'true']);
  const start = await berth(fx, ['start', 'bf']);
  assert.equal(start.code, 1);
  assert.match(start.stderr, /failed to mount local volume: mount x:/);
  assert.equal(await ok(fx, ['ps', '-a', '--filter', 'name=bf', '--format', '{{.Status}}']), 'Created');
  assert.deepEqual(await mountsUnder(fx), [], 'neither volume, nor the rootfs, stays mounted');
  assert.ok(!existsSync(path.join(fx.runroot, 'volume-mounts/goodfs')));
  await ok(fx, ['rm', 'bf']);
  await ok(fx, ['volume', 'rm', 'badfs', 'goodfs']);
});

/**
 * A container lost without its cleanup: its monitor and init killed, its record removed by hand,
 * as a crash or an admin would leave it; what it mounted stays.
 */
async function abandon(name: string): Promise<void> {
  const id = await ok(fx, ['inspect', '-f', '{{.Id}}', name]);
  const state = path.join(fx.runroot, 'containers', id);
  const rec = JSON.parse(await fs.readFile(path.join(fx.root, 'containers', id, 'config.json'), 'utf8')) as { runtime: { path: string; name: string } };
  for (const f of ['conmon.pid', 'pidfile']) process.kill(Number((await fs.readFile(path.join(state, f), 'utf8')).trim()), 'SIGKILL');
  await until('the container is gone', async () => !(await fs.readFile(path.join(state, 'pidfile'), 'utf8').then((p) => existsSync(`/proc/${p.trim()}`))));
  execFileSync(rec.runtime.path, [`--root=${path.join(fx.runroot, rec.runtime.name)}`, 'delete', '--force', id], { stdio: 'ignore' });
  execFileSync('umount', ['-l', path.join(fx.root, 'containers', id, 'bundle/rootfs')]);
  await fs.rm(path.join(fx.root, 'containers', id), { recursive: true });
  await fs.rm(state, { recursive: true });
}

test('a stale mount (its container lost without a cleanup): the next start reuses it, volume rm unmounts it first', async () => {
  await ok(fx, ['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'sv']);
  await ok(fx, ['run', '-d', '--name', 'lost1', '-v', 'sv:/d', fx.image, 'sh', '-c', 'echo kept > /d/k; exec sleep 60']);
  await until('written', () => existsSync(path.join(fx.root, 'volumes/sv/_data/k')));
  await abandon('lost1');
  assert.equal(await ok(fx, ['ps', '-aq']), '');
  assert.ok(mounted('sv'), 'the lost container left its mount');
  // Reused, not mounted over: the lost container's file is there. Its last user now, the run
  // unmounts it at its end (the lost one, listed still, has no record).
  assert.equal(await ok(fx, ['run', '--rm', '-v', 'sv:/d', fx.image, 'cat', '/d/k']), 'kept');
  assert.equal(mounted('sv'), false);
  // Lost again: volume rm unmounts, then removes.
  await ok(fx, ['run', '-d', '--name', 'lost2', '-v', 'sv:/d', fx.image, 'sleep', '60']);
  await abandon('lost2');
  assert.ok(mounted('sv'));
  assert.equal(await ok(fx, ['volume', 'rm', 'sv']), 'sv');
  assert.equal(mounted('sv'), false);
  assert.ok(!existsSync(path.join(fx.root, 'volumes/sv')));
  // A bound host dir left mounted: the removal unmounts it before it removes anything, so the
  // host's files stay (prune too).
  const host = path.join(fx.dir, 'bound-stale');
  await fs.mkdir(host);
  await fs.writeFile(path.join(host, 'precious'), 'p');
  await ok(fx, ['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${host}`, 'sb']);
  await ok(fx, ['run', '-d', '--name', 'lost3', '-v', 'sb:/d', fx.image, 'sleep', '60']);
  await abandon('lost3');
  assert.ok(mounted('sb'));
  assert.equal(await ok(fx, ['volume', 'prune', '-af']), 'Deleted Volumes:\nsb\n\nTotal reclaimed space: 0B');
  assert.deepEqual(await fs.readdir(host), ['precious']);
  assert.deepEqual(await mountsUnder(fx), []);
});
