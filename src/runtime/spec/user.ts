// Resolves `--user` (name, uid, uid:gid, name:group) against the image's own /etc/passwd and
// /etc/group, read inside the rootfs without ever following a symlink out of it.
// The walks are direct (sync) lstat/readlink/open calls: a container start makes a dozen of
// them, each a trip through libuv's thread pool otherwise (0.1-0.4 ms on a busy host).
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { BerthError, invalidArgument, notFound } from '../../internal/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  home: string;
  /** Groups of /etc/group that list the user (only when no group was named, as docker does). */
  additionalGids: number[];
}

/** The largest id: 2^32-2 (2^32-1 is the kernel's "no id", (uid_t)-1). */
export const MAX_ID = 4294967294;
const MAX_SYMLINKS = 40;
/** /etc/passwd and /etc/group past this size are not plausible and not read. */
const MAX_DB_SIZE = 8 * 1024 * 1024;

let lastRoot: { given: string; resolved: string } | undefined;

/** path.resolve of a rootfs, remembered: a start resolves a dozen paths in the same one. */
function resolvedRoot(rootfs: string): string {
  // A relative one depends on the working directory: resolved each time.
  if (!rootfs.startsWith('/')) return path.resolve(rootfs);
  if (lastRoot?.given !== rootfs) lastRoot = { given: rootfs, resolved: path.resolve(rootfs) };
  return lastRoot.resolved;
}

/**
 * The host path of `inside` (absolute, as seen from the container) under `rootfs`, resolving each
 * component's symlinks as if rootfs were "/": an absolute link restarts at rootfs, ".." stops there.
 */
export async function securePath(rootfs: string, inside: string): Promise<string> {
  const root = resolvedRoot(rootfs);
  // Joined by hand: each part is one clean name (no '/', '.' or '..'), so path.join's
  // normalizing of the whole string at every step (a few dozen per start) has nothing to do.
  const prefix = root === '/' ? '' : root;
  const pending = inside.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = `${prefix}/${done.length ? `${done.join('/')}/` : ''}${part}`;
    let st: Stats;
    try {
      st = lstatSync(candidate);
    } catch {
      // A missing component ends the walk: the caller's open fails with not-found.
      done.push(part, ...pending);
      break;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw invalidArgument(`cannot resolve ${inside} in ${rootfs}: too many symlinks`);
      const target = readlinkSync(candidate);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    done.push(part);
  }
  return done.length ? `${prefix}/${done.join('/')}` : root;
}

/** Reads a small regular file inside the rootfs; undefined when it does not exist. */
async function readInside(rootfs: string, inside: string): Promise<string | undefined> {
  const host = await securePath(rootfs, inside);
  let fd: number;
  try {
    fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw BerthError.wrap(err, `cannot read ${inside} in the container's rootfs`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw invalidArgument(`cannot read ${inside} in the container's rootfs: not a regular file`);
    if (st.size > MAX_DB_SIZE) throw invalidArgument(`cannot read ${inside} in the container's rootfs: too large`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function lines(text: string | undefined): string[][] {
  if (!text) return [];
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return lines(text)
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]))
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }));
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  return lines(text)
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]))
    .map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

/** A numeric id, or undefined when `text` is a name; out-of-range numbers throw. */
function numericId(text: string, what: string): number | undefined {
  if (/^-\d+$/.test(text)) throw invalidArgument(`invalid ${what} "${text}": ids cannot be negative`);
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n > MAX_ID) throw invalidArgument(`invalid ${what} "${text}": ids range from 0 to ${MAX_ID}`);
  return n;
}

/**
 * docker's user resolution: "" is root; a name must exist in passwd; a number need not (gid 0,
 * home "/"); an explicit group must exist in /etc/group unless numeric.
 */
export async function resolveUser(rootfs: string, userSpec = ''): Promise<ResolvedUser> {
  const spec = userSpec.trim();
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? '' : spec.slice(colon + 1);
  if (colon >= 0 && groupPart === '') throw invalidArgument(`invalid user "${userSpec}": empty group after ":"`);
  const uidNum = userPart === '' ? 0 : numericId(userPart, 'user');
  const gidNum = groupPart === '' ? undefined : numericId(groupPart, 'group');

  const passwd = parsePasswd(await readInside(rootfs, '/etc/passwd'));
  const result: ResolvedUser = { uid: 0, gid: 0, home: '/', additionalGids: [] };
  let matchedName: string | undefined;
  const entry =
    uidNum === undefined ? passwd.find((p) => p.name === userPart) : passwd.find((p) => p.uid === uidNum);
  if (entry) {
    result.uid = entry.uid;
    result.gid = entry.gid;
    result.home = entry.home;
    matchedName = entry.name;
  } else if (uidNum === undefined) {
    throw notFound(`unable to find user ${userPart}: no matching entries in passwd file`);
  } else {
    result.uid = uidNum;
  }

  // The supplementary groups as docker's are: the primary group alone, unless a user named in
  // /etc/passwd runs with its own group: then every group of /etc/group that is its primary one
  // or lists it, in the file's order (the primary one alone when none does).
  if (groupPart === '' && matchedName === undefined) {
    result.additionalGids = [result.gid];
    return result;
  }
  const groups = parseGroup(await readInside(rootfs, '/etc/group'));
  if (groupPart !== '') {
    const g = gidNum === undefined ? groups.find((x) => x.name === groupPart) : groups.find((x) => x.gid === gidNum);
    if (g) result.gid = g.gid;
    else if (gidNum !== undefined) result.gid = gidNum;
    else throw notFound(`unable to find group ${groupPart}: no matching entries in group file`);
    result.additionalGids = [result.gid];
    return result;
  }
  const member = groups.filter((g) => g.gid === result.gid || g.members.includes(matchedName as string)).map((g) => g.gid);
  result.additionalGids = member.length > 0 ? [...new Set(member)] : [result.gid];
  return result;
}

/** docker's --group-add: each group by name from the rootfs's /etc/group, or a gid as given. */
export async function resolveGroups(rootfs: string, names: string[]): Promise<number[]> {
  const numeric = names.map((n) => numericId(n, 'group'));
  const groups = numeric.every((n) => n !== undefined) ? [] : parseGroup(await readInside(rootfs, '/etc/group'));
  return names.map((name, i) => {
    const gid = numeric[i] ?? groups.find((g) => g.name === name)?.gid;
    // dockerd's words for --group-add, with its capital (its -u USER:GROUP's lookup has none).
    if (gid === undefined) throw notFound(`Unable to find group ${name}: no matching entries in group file`);
    return gid;
  });
}
