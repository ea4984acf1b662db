import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { isBerthError } from '../../internal/errors.js';
import { resolveGroups, resolveUser, securePath } from './user.js';

let dir: string;
let outside: string;
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:App:/home/app:/bin/sh\n# comment\nbroken line\n';
const GROUP = 'root:x:0:\napp:x:1001:\nwheel:x:10:app\nextra:x:2000:other,app\n';

async function rootfs(name: string, files: Record<string, string> = { 'etc/passwd': PASSWD, 'etc/group': GROUP }) {
  const r = path.join(dir, name);
  await fs.mkdir(path.join(r, 'etc'), { recursive: true });
  for (const [p, text] of Object.entries(files)) await fs.writeFile(path.join(r, p), text);
  return r;
}

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-user-'));
  // A passwd outside every rootfs: a resolution that escapes would find "evil".
  outside = path.join(dir, 'outside');
  await fs.mkdir(path.join(outside, 'etc'), { recursive: true });
  await fs.writeFile(path.join(outside, 'etc/passwd'), 'evil:x:0:0::/:/bin/sh\n');
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('names, uids, uid:gid, name:group as docker resolves them', async () => {
  // The supplementary groups as dockerd 20.10 gives them (its containers' /proc/self/status,
  // compared here): the primary group and the groups that list the user, in /etc/group's order.
  const r = await rootfs('plain');
  assert.deepEqual(await resolveUser(r, ''), { uid: 0, gid: 0, home: '/root', additionalGids: [0] });
  assert.deepEqual(await resolveUser(r, 'app'), { uid: 1000, gid: 1001, home: '/home/app', additionalGids: [1001, 10, 2000] });
  assert.deepEqual(await resolveUser(r, '1000'), { uid: 1000, gid: 1001, home: '/home/app', additionalGids: [1001, 10, 2000] });
  assert.deepEqual(await resolveUser(r, '4242'), { uid: 4242, gid: 0, home: '/', additionalGids: [0] });
  assert.deepEqual(await resolveUser(r, '4242:77'), { uid: 4242, gid: 77, home: '/', additionalGids: [77] });
  assert.deepEqual(await resolveUser(r, 'app:wheel'), { uid: 1000, gid: 10, home: '/home/app', additionalGids: [10] });
  // A primary group /etc/group does not list: that group alone.
  const lone = await rootfs('lone', { 'etc/passwd': PASSWD, 'etc/group': 'wheel:x:10:\n' });
  assert.deepEqual(await resolveUser(lone, 'app'), { uid: 1000, gid: 1001, home: '/home/app', additionalGids: [1001] });
});

test('a missing named user is docker\'s error', async () => {
  const r = await rootfs('missing');
  await assert.rejects(
    resolveUser(r, 'ghost'),
    (e: unknown) => isBerthError(e, 'not-found') && (e as Error).message === 'unable to find user ghost: no matching entries in passwd file',
  );
});

test('a missing named group is a clear error', async () => {
  const r = await rootfs('nogroup');
  await assert.rejects(resolveUser(r, 'app:ghosts'), /unable to find group ghosts: no matching entries in group file/);
});

test('ids out of range or negative are refused', async () => {
  const r = await rootfs('range');
  await assert.rejects(resolveUser(r, '4294967295'), (e: unknown) => isBerthError(e, 'invalid-argument') && /range from 0 to 4294967294/.test((e as Error).message));
  await assert.rejects(resolveUser(r, '-1'), /cannot be negative/);
  await assert.rejects(resolveUser(r, '0:99999999999'), /range/);
  await assert.rejects(resolveUser(r, 'app:'), /empty group/);
});

test('no /etc/passwd: numeric users still work, names do not', async () => {
  const r = await rootfs('empty', {});
  assert.deepEqual(await resolveUser(r, '5:6'), { uid: 5, gid: 6, home: '/', additionalGids: [6] });
  await assert.rejects(resolveUser(r, 'root'), /unable to find user root/);
});

test('an absolute symlink /etc/passwd -> /etc/passwd stays inside the rootfs', async () => {
  const r = await rootfs('abslink', {});
  await fs.symlink(path.join(outside, 'etc/passwd'), path.join(r, 'etc/passwd'));
  await assert.rejects(resolveUser(r, 'evil'), /unable to find user evil/);
});

test('a relative symlink climbing with .. stops at the rootfs', async () => {
  const r = await rootfs('dotdot', {});
  await fs.rm(path.join(r, 'etc'), { recursive: true });
  await fs.symlink('../../../../../../outside/etc', path.join(r, 'etc'));
  assert.equal(await securePath(r, '/etc/passwd'), path.join(r, 'outside/etc/passwd'));
  await assert.rejects(resolveUser(r, 'evil'), /unable to find user evil/);
});

test('a symlink loop is an error, not a hang', async () => {
  const r = await rootfs('loop', {});
  await fs.symlink('passwd2', path.join(r, 'etc/passwd'));
  await fs.symlink('passwd', path.join(r, 'etc/passwd2'));
  await assert.rejects(resolveUser(r, 'x'), /too many symlinks/);
});

test('a FIFO as /etc/passwd is refused without blocking', async () => {
  const r = await rootfs('fifo', {});
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [path.join(r, 'etc/passwd')]);
  await assert.rejects(resolveUser(r, 'x'), /not a regular file/);
});

test("--group-add: names from the rootfs's /etc/group, numbers as given, a missing name refused", async () => {
  const r = await rootfs('groupadd');
  assert.deepEqual(await resolveGroups(r, ['wheel', '4242', 'extra']), [10, 4242, 2000]);
  await assert.rejects(resolveGroups(r, ['nosuch']), /Unable to find group nosuch: no matching entries in group file/);
  await assert.rejects(resolveGroups(r, ['-5']), /ids cannot be negative/);
  // Numbers alone need no group file at all.
  assert.deepEqual(await resolveGroups(await rootfs('nogroupfile', {}), ['7']), [7]);
});
