import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { isBerthError } from '../internal/errors.js';
import type { ContainerRecord } from './container.js';
import { treeSize } from '../internal/tree-size.js';
import { ANONYMOUS_LABEL, checkVolumeName, filterVolumes, mountsUnder, usersOf, VolumeStore } from './volumes.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-vol-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function store(): VolumeStore {
  n++;
  return new VolumeStore(path.join(dir, `root${n}`), path.join(dir, `run${n}`));
}

/** A record that mounts the given volumes (only what usersOf reads). */
function rec(id: string, ...names: string[]): ContainerRecord {
  return { id, spec: { image: 'x', mounts: names.map((name) => ({ type: 'volume', name, destination: `/${name}`, readonly: false })) } } as unknown as ContainerRecord;
}

test("docker's volume name rule", () => {
  for (const ok of ['ab', 'a1', 'my_vol.1-x', 'A'.repeat(64)]) assert.equal(checkVolumeName(ok), ok);
  for (const bad of ['', 'a', 'a/b', '..', '.a', '-a', '_a', 'a b', 'a:b', 'x'.repeat(256)]) {
    assert.throws(() => checkVolumeName(bad), (e) => isBerthError(e, 'invalid-argument'), bad);
  }
});

test('create writes the metadata and _data; an existing name returns the volume as it is', async () => {
  const s = store();
  const { volume, created } = await s.create({ name: 'v1', labels: { a: 'b' } });
  assert.equal(created, true);
  assert.deepEqual({ ...volume, CreatedAt: '' }, {
    Name: 'v1',
    Driver: 'local',
    Mountpoint: path.join(s.root, 'volumes/v1/_data'),
    CreatedAt: '',
    Labels: { a: 'b' },
    Options: null,
    Scope: 'local',
    Anonymous: false,
  });
  assert.match(volume.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(statSync(volume.Mountpoint).isDirectory());
  const meta = JSON.parse(readFileSync(path.join(s.root, 'volumes/v1/volume.json'), 'utf8'));
  assert.deepEqual(meta.labels, { a: 'b' });
  const again = await s.create({ name: 'v1', labels: { other: '1' } });
  assert.equal(again.created, false);
  assert.deepEqual(again.volume.Labels, { a: 'b' });
  const anon = await s.create();
  assert.match(anon.volume.Name, /^[0-9a-f]{64}$/);
  assert.equal(anon.volume.Anonymous, true);
  assert.deepEqual(anon.volume.Labels, { [ANONYMOUS_LABEL]: '' });
  assert.deepEqual(s.list().map((v) => v.Name).sort(), ['v1', anon.volume.Name].sort());
});

test("other drivers are refused; the local driver's options are checked and kept", async () => {
  const s = store();
  await assert.rejects(s.create({ name: 'v1', driver: 'nfs' }), (e) => isBerthError(e, 'unsupported') && e.message === 'create v1: error looking up volume plugin nfs: plugin "nfs" not found');
  await assert.rejects(s.create({ name: 'v1', options: { type: 'tmpfs' } }), (e) => isBerthError(e, 'invalid-argument') && e.message === 'create v1: missing required option: "device"');
  await assert.rejects(s.create({ name: 'v1', options: { foo: 'bar' } }), (e) => isBerthError(e, 'invalid-argument') && e.message === 'create v1: invalid option: "foo"');
  assert.deepEqual(s.list(), [], 'a refused create makes nothing');
  const made = await s.create({ name: 'v2', options: { type: 'tmpfs', o: 'size=1m', device: 'tmpfs' } });
  assert.deepEqual(made.volume.Options, { device: 'tmpfs', o: 'size=1m', type: 'tmpfs' });
  assert.deepEqual(s.inspect('v2').Options, { device: 'tmpfs', o: 'size=1m', type: 'tmpfs' });
  // docker's: an existing name is the answer, whatever options are asked (none checked).
  const again = await s.create({ name: 'v2', options: { foo: 'bar' } });
  assert.equal(again.created, false);
  assert.deepEqual(again.volume.Options, made.volume.Options);
  assert.equal((await s.create({ name: 'v3' })).volume.Options, null, 'a plain volume has none');
  assert.ok((await s.create({ name: 'v1', driver: 'local' })).created);
  await assert.rejects(s.create({ name: '../escape' }), (e) => isBerthError(e, 'invalid-argument'));
  assert.ok(!existsSync(path.join(s.root, 'escape')));
});

test('leftovers of killed creates and removals are not volumes, and are swept', async () => {
  const s = store();
  mkdirSync(path.join(s.dir, '.tmp-00ff/_data'), { recursive: true });
  writeFileSync(path.join(s.dir, '.tmp-00ff/volume.json'), JSON.stringify({ name: 'half', createdAt: '', labels: {}, anonymous: false }));
  mkdirSync(path.join(s.dir, '.rm-11ee/_data'), { recursive: true });
  assert.deepEqual(s.list(), []);
  assert.equal(s.get('half'), undefined);
  await s.create({ name: 'whole' });
  assert.deepEqual(
    s.list().map((v) => v.Name),
    ['whole'],
  );
  assert.ok(!existsSync(path.join(s.dir, '.tmp-00ff')) && !existsSync(path.join(s.dir, '.rm-11ee')));
});

test('remove refuses a volume a record names, force or not; prune takes unused anonymous ones (all with -a)', async () => {
  const s = store();
  await s.create({ name: 'busy' });
  await s.create({ name: 'idle', labels: { keep: '1' } });
  const anonUsed = (await s.create()).volume.Name;
  const anonIdle = (await s.create()).volume.Name;
  writeFileSync(path.join(s.mountpoint(anonIdle), 'f'), 'x'.repeat(100));
  const records = async () => [rec('c1', 'busy', anonUsed)];
  for (const force of [false, true]) {
    await assert.rejects(s.remove('busy', records, { force }), (e) => isBerthError(e, 'failed-precondition') && e.message === 'remove busy: volume is in use - [c1]');
  }
  assert.ok(s.get('busy'));
  await assert.rejects(s.remove('nope', records), (e) => isBerthError(e, 'not-found'));
  assert.equal(await s.remove('nope', records, { force: true }), false);
  assert.deepEqual(await s.prune(records), [{ name: anonIdle, size: 100 }]);
  assert.deepEqual(await s.prune(records, { all: true, notLabels: ['keep'] }), []);
  assert.deepEqual(await s.prune(records, { all: true, labels: ['keep=1'] }), [{ name: 'idle', size: 0 }]);
  assert.deepEqual(s.list().map((v) => v.Name).sort(), ['busy', anonUsed].sort());
  assert.equal(await s.remove('busy', async () => []), true);
  assert.ok(!existsSync(path.join(s.dir, 'busy')));
});

test('ls filters: dangling, name, label, driver; keys ANDed, values ORed', async () => {
  const s = store();
  await s.create({ name: 'alpha', labels: { team: 'a' } });
  await s.create({ name: 'beta', labels: { team: 'b', x: '' } });
  await s.create({ name: 'gamma' });
  const all = s.list();
  const used = new Set(['beta']);
  const names = (f: string[]) => filterVolumes(all, f, (nm) => used.has(nm)).map((v) => v.Name);
  assert.deepEqual(names([]), ['alpha', 'beta', 'gamma']);
  assert.deepEqual(names(['dangling=true']), ['alpha', 'gamma']);
  assert.deepEqual(names(['dangling=false']), ['beta']);
  assert.deepEqual(names(['name=a']), ['alpha', 'beta', 'gamma']);
  assert.deepEqual(names(['name=^g']), ['gamma']);
  assert.deepEqual(names(['label=team']), ['alpha', 'beta']);
  assert.deepEqual(names(['label=team=b']), ['beta']);
  assert.deepEqual(names(['label=team=a', 'label=team=b']), ['alpha', 'beta']);
  assert.deepEqual(names(['label=team', 'dangling=true']), ['alpha']);
  assert.deepEqual(names(['driver=local', 'name=gam']), ['gamma']);
  // dockerd 20.10's words: 'Invalid filter 'bogus'', 'Invalid filter 'dangling=[maybe]''.
  assert.throws(() => names(['color=red']), { message: "Invalid filter 'color'" });
  assert.throws(() => names(['dangling=maybe']), { message: "Invalid filter 'dangling=[maybe]'" });
  assert.deepEqual(names(['dangling=1']), ['alpha', 'gamma']);
});

test('usersOf and treeSize', () => {
  assert.deepEqual(usersOf([rec('a', 'v1'), rec('b', 'v2'), rec('c', 'v1', 'v2')], 'v1'), ['a', 'c']);
  const t = path.join(dir, 'tree');
  mkdirSync(path.join(t, 'd'), { recursive: true });
  writeFileSync(path.join(t, 'f'), 'x'.repeat(10));
  writeFileSync(path.join(t, 'd/g'), 'y'.repeat(5));
  assert.equal(treeSize(t), 15);
  assert.equal(treeSize(path.join(dir, 'missing')), 0);
});

test('concurrent creates of one name make it once; a remove waits for the lock', async () => {
  const s = store();
  const results = await Promise.all(Array.from({ length: 8 }, () => s.create({ name: 'shared' })));
  assert.equal(results.filter((r) => r.created).length, 1);
  assert.ok(results.every((r) => r.volume.CreatedAt === results[0].volume.CreatedAt));
  const held = await s.lock();
  let removed = false;
  const removal = s.remove('shared', async () => []).then(() => {
    removed = true;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(removed, false, 'the holder of the lock keeps the volume');
  await held.release();
  await removal;
  assert.equal(s.get('shared'), undefined);
});

test("a volume's file system: mounted for its first user, kept while one is left, unmounted by the last and by rm", async () => {
  // Through a symlinked graph root: mountinfo names the real path, which must still be found.
  const real = path.join(dir, 'real-root');
  mkdirSync(real);
  symlinkSync(real, path.join(dir, 'linked-root'));
  const s = new VolumeStore(path.join(dir, 'linked-root'), path.join(dir, 'run-mounts'));
  const host = path.join(dir, 'host-dir');
  mkdirSync(host);
  writeFileSync(path.join(host, 'precious'), 'p');
  await s.create({ name: 'bv', options: { type: 'none', o: 'bind', device: host } });
  const data = path.join(real, 'volumes/bv/_data');
  const isMounted = () => mountsUnder(s.mountpoint('bv')).includes(data);
  const [a, b, lost] = ['a', 'b', 'c'].map((c) => c.repeat(64));
  await s.mountFor('bv', a);
  assert.ok(isMounted());
  assert.deepEqual(readdirSync(s.mountpoint('bv')), ['precious']);
  await s.mountFor('bv', b);
  assert.equal(mountsUnder(s.mountpoint('bv')).length, 1, 'the second user reuses the mount');
  const alive = new Set([a, b]);
  const stillUses = async (id: string) => alive.has(id);
  await s.release('bv', a, stillUses);
  assert.ok(isMounted(), 'b still uses it');
  // b is lost (no record, no cleanup); a third user comes and goes: the last one, it unmounts.
  alive.delete(b);
  await s.mountFor('bv', lost);
  await s.release('bv', lost, stillUses);
  assert.equal(isMounted(), false);
  assert.ok(!existsSync(path.join(dir, 'run-mounts/volume-mounts/bv')));
  // A mount left behind: rm unmounts it before it removes anything; the host dir keeps its file.
  await s.mountFor('bv', a);
  assert.ok(await s.remove('bv', async () => []));
  assert.deepEqual(mountsUnder(real), []);
  assert.deepEqual(readdirSync(host), ['precious']);
  // A plain volume has nothing to mount.
  await s.create({ name: 'plain' });
  await s.mountFor('plain', a);
  assert.deepEqual(mountsUnder(s.mountpoint('plain')), []);
});
