// A container's files seen from the host: diff (A/C/D against its image), cp both ways with
// every container path resolved inside the rootfs (symlinks cannot lead out), export, mount.
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError, describe, failedPrecondition, invalidArgument, kindOfSystemError, notFound } from '../internal/errors.js';
import { createArchiveOfPath } from '../layer/create.js';
import { applyTar, createLayerFromDirectory, type IdMap } from '../layer/index.js';
import { resolveUser, securePath } from '../runtime/spec/user.js';
import { type ContainerRecord, isLive } from './container.js';
import type { ContainerHost } from './host.js';
import { DOCKERENV, isMountPoint, MTAB, MTAB_TARGET, mountRootfs, unmountRootfs } from './rootfs.js';
import { lookupContainer } from './state.js';

export interface Change {
  kind: 'A' | 'C' | 'D';
  path: string;
}

/**
 * Mount points berth and the runtime make in the container layer, and /.dockerenv that
 * rootfs.ts adds there: docker keeps these in its init layer, below the container's.
 */
const MOUNT_POINTS = new Set(['/etc/hosts', '/etc/resolv.conf', '/etc/hostname', '/dev/init', '/proc', '/sys', '/dev', '/dev/shm', '/dev/pts', '/dev/mqueue', DOCKERENV]);

/**
 * Whether an entry of the container layer is only docker's init layer's (an empty file or
 * directory at one of those mount points, /etc/mtab as the link to /proc/mounts; `full` is its
 * path on the host): diff does not show it and commit leaves it out.
 */
export function isInitEntry(ctrPath: string, st: { size: number | bigint; isDirectory(): boolean; isSymbolicLink(): boolean }, full: string): boolean {
  if (ctrPath === MTAB) return st.isSymbolicLink() && readlinkSync(full) === MTAB_TARGET;
  return MOUNT_POINTS.has(ctrPath) && (st.isDirectory() || Number(st.size) === 0);
}

/** Directories above those entries (/etc for /etc/hosts): docker's init layer has them too. */
const INIT_PARENTS = new Set<string>();
for (const p of [...MOUNT_POINTS, MTAB]) {
  for (let d = path.posix.dirname(p); d !== '/'; d = path.posix.dirname(d)) INIT_PARENTS.add(d);
}

type EntryStat = { mode: number | bigint; uid: number | bigint; gid: number | bigint; size: number | bigint; isDirectory(): boolean; isSymbolicLink(): boolean };

/**
 * Whether an entry of the container layer holds nothing of the user's: an init entry, or a
 * directory made (or copied up) only to hold such entries, as /etc for /etc/hosts in an image
 * without an /etc: docker has those in its init layer, so its diff and commit never see them.
 * `lower`, the directory's entry in the image if it has one: a new mode or owner is a change.
 */
export function isInitOnly(ctrPath: string, st: EntryStat, full: string, lower?: EntryStat): boolean {
  if (!st.isDirectory()) return isInitEntry(ctrPath, st, full);
  if (!isInitEntry(ctrPath, st, full) && !INIT_PARENTS.has(ctrPath)) return false;
  if (lower && (Number(lower.mode) !== Number(st.mode) || Number(lower.uid) !== Number(st.uid) || Number(lower.gid) !== Number(st.gid))) return false;
  return readdirSync(full).every((name) => {
    const f = path.join(full, name);
    return isInitOnly(`${ctrPath}/${name}`, lstatSync(f), f);
  });
}

/** The entry at `rel` in the topmost of the lower dirs that has one. */
async function lowerStat(dirs: string[], rel: string): Promise<Stats | undefined> {
  for (const d of dirs) {
    try {
      return await fs.lstat(path.join(d, rel));
    } catch {}
  }
  return undefined;
}

/** docker diff: A added, C changed, D deleted, parents first. */
export async function containerChanges(host: ContainerHost, query: string): Promise<Change[]> {
  const rec = await lookupContainer(host, query);
  const driver = await host.driver();
  const src = await driver.diff(rec.snapshot);
  const out: Change[] = [];
  if (src.kind === 'overlay-upper') {
    const walk = async (rel: string, out: Change[]): Promise<void> => {
      const entries = await fs.readdir(path.join(src.upper, rel), { withFileTypes: true }).catch(() => []);
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        const r = path.posix.join(rel, e.name);
        const ctrPath = `/${r}`;
        const full = path.join(src.upper, r);
        const st = await fs.lstat(full);
        if (st.isCharacterDevice() && st.rdev === 0) {
          out.push({ kind: 'D', path: ctrPath });
          continue;
        }
        const lower = await lowerStat(src.lowers, r);
        if (isInitEntry(ctrPath, st, full)) continue;
        if (!lower && e.isDirectory() && INIT_PARENTS.has(ctrPath)) {
          // /etc made for the runtime's files: none of the user's, or, with some of the user's
          // below it, changed (docker's init layer below the container's has it).
          if (isInitOnly(ctrPath, st, full)) continue;
          const below: Change[] = [];
          await walk(r, below);
          out.push({ kind: 'C', path: ctrPath }, ...below);
        } else if (!lower) {
          out.push({ kind: 'A', path: ctrPath });
          if (e.isDirectory()) await listAll(full, ctrPath, out);
        } else if (e.isDirectory() && lower.isDirectory()) {
          // A directory copied up only to hold the runtime's mount points (/etc for /etc/hosts
          // in an image without one) is no change of the user's: docker keeps those in its init
          // layer. It is changed when something below it is, or its mode or owner.
          const below: Change[] = [];
          await walk(r, below);
          if (below.length > 0 || st.mode !== lower.mode || st.uid !== lower.uid || st.gid !== lower.gid) out.push({ kind: 'C', path: ctrPath }, ...below);
        } else out.push({ kind: 'C', path: ctrPath });
      }
    };
    await walk('', out);
    return out;
  }
  try {
    const compare = async (rel: string, out: Change[]): Promise<void> => {
      const names = new Set([...(await fs.readdir(path.join(src.base, rel)).catch(() => [])), ...(await fs.readdir(path.join(src.changed, rel)).catch(() => []))]);
      for (const name of [...names].sort()) {
        const r = path.posix.join(rel, name);
        const a = await fs.lstat(path.join(src.base, r)).catch(() => undefined);
        const b = await fs.lstat(path.join(src.changed, r)).catch(() => undefined);
        const ctrPath = `/${r}`;
        if (a && !b) out.push({ kind: 'D', path: ctrPath });
        else if (!a && b?.isDirectory() && INIT_PARENTS.has(ctrPath)) {
          // As on overlay: /etc made only for the runtime's files is none of the user's.
          if (isInitOnly(ctrPath, b, path.join(src.changed, r))) continue;
          const below: Change[] = [];
          await compare(r, below);
          out.push({ kind: 'C', path: ctrPath }, ...below);
        } else if (!a && b) {
          if (!isInitEntry(ctrPath, b, path.join(src.changed, r))) out.push({ kind: 'A', path: ctrPath });
          if (b.isDirectory()) await listAll(path.join(src.changed, r), ctrPath, out);
        } else if (a && b) {
          const owned = a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid;
          if (a.isDirectory() && b.isDirectory()) {
            // As on overlay: a directory whose time moved only for init entries made in it
            // (/etc for /etc/mtab, the runtime's mount points) is no change of the user's.
            const below: Change[] = [];
            await compare(r, below);
            if ((owned || (a.mtimeMs !== b.mtimeMs && below.length > 0)) && !MOUNT_POINTS.has(ctrPath)) out.push({ kind: 'C', path: ctrPath });
            out.push(...below);
            continue;
          }
          const differs = owned || a.mtimeMs !== b.mtimeMs || a.size !== b.size;
          if (differs && !MOUNT_POINTS.has(ctrPath) && !isInitEntry(ctrPath, b, path.join(src.changed, r))) out.push({ kind: 'C', path: ctrPath });
        }
      }
    };
    await compare('', out);
  } finally {
    await src.release();
  }
  return out;
}

async function listAll(dir: string, ctrPath: string, out: Change[]): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    out.push({ kind: 'A', path: `${ctrPath}/${e.name}` });
    if (e.isDirectory()) await listAll(path.join(dir, e.name), `${ctrPath}/${e.name}`, out);
  }
}

/** Runs `fn` with the rootfs mounted; a stopped container's mount is taken down again. */
async function withRootfs<T>(host: ContainerHost, rec: ContainerRecord, fn: (rootfs: string) => Promise<T>): Promise<T> {
  const paths = host.records.paths(rec.id);
  const driver = await host.driver();
  const wasMounted = isMountPoint(paths.rootfs);
  if (!wasMounted) await mountRootfs(driver, rec, paths);
  try {
    return await fn(paths.rootfs);
  } finally {
    if (!wasMounted) await unmountRootfs(driver, paths).catch(() => {});
  }
}

/** Who owns a copy made in a container: ids on the host, from the source's own. */
type CopyOwner = (st: Stats) => { uid: number; gid: number };

/**
 * Copies `src` (file or tree) to `dest` without following symlinks at or below `src`. Copies
 * are owned by whoever runs berth, or as `owner` says (docker cp into a container).
 */
async function copyTree(src: string, dest: string, resolveDest: (rel: string) => Promise<string>, owner?: CopyOwner): Promise<void> {
  const st = await fs.lstat(src);
  const target = await resolveDest('');
  const chown = async () => {
    if (!owner) return;
    const { uid, gid } = owner(st);
    await fs.lchown(target, uid, gid);
  };
  if (st.isDirectory()) {
    await fs.mkdir(target, { recursive: true, mode: st.mode & 0o7777 });
    await chown();
    for (const name of await fs.readdir(src)) {
      await copyTree(path.join(src, name), path.join(dest, name), async (rel) => resolveDest(path.posix.join(name, rel)), owner);
    }
  } else if (st.isSymbolicLink()) {
    await fs.rm(target, { force: true });
    await fs.symlink(await fs.readlink(src), target);
    await chown();
  } else if (st.isFile()) {
    await fs.rm(target, { force: true, recursive: false }).catch(() => {});
    await fs.copyFile(src, target);
    // chown clears set-id bits: the mode comes after it.
    await chown();
    await fs.chmod(target, st.mode & 0o7777);
  } else {
    throw invalidArgument(`cannot copy ${src}: only files, directories and symlinks are copied`);
  }
}

async function isDir(p: string): Promise<boolean> {
  return (await fs.stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * Where docker cp puts a copy of a source named `srcName` ("." for a path ending in "/.": the
 * directory's contents) given the destination `dest` as written and what is there (`there`,
 * followed through symlinks), or docker's error: into an existing directory under the source's
 * name (its contents for "."); over an existing file unless the source is a directory ("cannot
 * copy directory") or the destination says it is a directory (a trailing "/": "no such
 * directory", as for a missing one a file is copied to); else at `dest` itself.
 */
function cpTarget(srcIsDir: boolean, srcName: string, dest: string, there: Stats | undefined, join: (a: string, b: string) => string): string {
  const namesDir = dest.endsWith('/') || dest.endsWith('/.');
  if (there?.isDirectory()) return srcName === '.' ? dest : join(dest, srcName);
  if (there) {
    if (srcIsDir) throw invalidArgument('cannot copy directory');
    if (namesDir) throw invalidArgument('no such directory');
    return dest;
  }
  if (namesDir && !srcIsDir) throw notFound('no such directory');
  return dest;
}

/** dockerd's words for a path a container does not have. */
function fileNotFound(ctrPath: string, query: string): BerthError {
  return notFound(`Could not find the file ${ctrPath} in container ${query}`);
}

/**
 * The container path docker's CLI asks its daemon for: with -L, where a symlink at `ctrPath`
 * points (it follows it once, then asks for its target). Its daemon names a missing source so,
 * and `cp -L C:LINK -` writes the target's name in the tar.
 */
async function askedPath(rootfs: string, ctrPath: string, followLink: boolean): Promise<string> {
  if (!followLink) return ctrPath;
  const link = await sourcePath(rootfs, ctrPath, false);
  const target = await fs.readlink(link).catch(() => undefined);
  if (target === undefined) return ctrPath;
  return path.posix.isAbsolute(target) ? target : path.posix.join(path.posix.dirname(path.posix.resolve('/', ctrPath)), target);
}

/** docker cp CONTAINER:SRC HOSTDEST */
export async function copyFromContainer(host: ContainerHost, query: string, ctrPath: string, hostDest: string, options: { followLink?: boolean } = {}): Promise<void> {
  // docker's CLI checks the output path before it asks for the container.
  const outDir = path.dirname(path.resolve(hostDest));
  if (!(await fs.stat(outDir).catch(() => undefined))) throw notFound(`invalid output path: directory "${outDir}" does not exist`);
  const rec = await lookupContainer(host, query);
  await withRootfs(host, rec, async (rootfs) => {
    const src = await sourcePath(rootfs, ctrPath, options.followLink ?? false);
    const srcStat = await fs.lstat(src).catch(() => undefined);
    if (!srcStat) throw fileNotFound(await askedPath(rootfs, ctrPath, options.followLink ?? false), query);
    notDirWithSlash(ctrPath, srcStat);
    // A file written as a directory ("f/") is docker's CLI's "stat f/: not a directory".
    const there = await fs.stat(hostDest).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw invalidArgument(describe(err));
      return undefined;
    });
    const name = ctrPath.endsWith('/.') ? '.' : path.basename(src);
    const dest = cpTarget(srcStat.isDirectory(), name, hostDest, there, path.join);
    if (!(await isDir(path.dirname(path.resolve(dest))))) throw notFound('no such directory');
    await copyTree(src, dest, async (rel) => path.join(dest, rel)).catch((err: unknown) => {
      throw BerthError.wrap(err, `cannot copy from ${rec.name} to ${dest}`);
    });
  });
}

/** A source written with a trailing "/" or "/." must be a directory (docker: "lstat PATH/: not a directory"). */
function notDirWithSlash(ctrPath: string, st: Stats): void {
  if ((ctrPath.endsWith('/') || ctrPath.endsWith('/.')) && !st.isDirectory()) throw invalidArgument(`lstat ${ctrPath}: not a directory`);
}

/**
 * The host path of a cp source inside the rootfs. Like docker, a symlink as the last
 * component is copied as the link itself unless `followLink` (-L); links on the way there
 * resolve inside the rootfs either way.
 */
async function sourcePath(rootfs: string, ctrPath: string, followLink: boolean): Promise<string> {
  const abs = path.posix.resolve('/', ctrPath);
  const last = path.posix.basename(abs);
  if (followLink || abs === '/' || ctrPath.endsWith('/.') || ctrPath.endsWith('/')) return securePath(rootfs, ctrPath);
  return path.join(await securePath(rootfs, path.posix.dirname(abs)), last);
}

/**
 * docker cp CONTAINER:SRC -: a plain tar of SRC handed to `sink`, its entries named after
 * SRC's last component ("." for a path ending in "/.": the directory's contents; with -L
 * through a link, its target's, as docker's).
 */
export async function archiveFromContainer(
  host: ContainerHost,
  query: string,
  ctrPath: string,
  sink: (tar: Readable) => Promise<void>,
  options: { followLink?: boolean } = {},
): Promise<void> {
  const rec = await lookupContainer(host, query);
  await withRootfs(host, rec, async (rootfs) => {
    const src = await sourcePath(rootfs, ctrPath, options.followLink ?? false);
    const asked = await askedPath(rootfs, ctrPath, options.followLink ?? false);
    const srcStat = await fs.lstat(src).catch(() => undefined);
    if (!srcStat) throw fileNotFound(asked, query);
    notDirWithSlash(ctrPath, srcStat);
    const name = ctrPath.endsWith('/.') ? '.' : path.posix.basename(path.posix.resolve('/', asked)) || '.';
    const blob = createArchiveOfPath(src, name, idMapOf(rec));
    await sink(blob.stream);
    await blob.done;
  });
}

/**
 * docker cp HOSTSRC CONTAINER:DEST; each destination path is resolved inside the rootfs. The
 * copies keep their owners' ids, as docker's daemon unpacks its tar; with `archive` (-a) they
 * belong to the container's --user (resolved in its own /etc/passwd; docker's daemon looks the
 * name up on the host), if it has one. A --userns container sees them at those ids.
 */
export async function copyToContainer(host: ContainerHost, query: string, hostSrc: string, ctrDest: string, options: { archive?: boolean } = {}): Promise<void> {
  const rec = await lookupContainer(host, query);
  if (rec.spec.readonlyRootfs) throw failedPrecondition(`cannot copy to ${rec.name}: its root filesystem is read-only`);
  // docker's CLI's own words for a source that is not there: "lstat /x: no such file or directory".
  const srcStat = await fs.lstat(hostSrc).catch((err: unknown) => {
    throw new BerthError(kindOfSystemError(err), describe(err), { cause: err });
  });
  await withRootfs(host, rec, async (rootfs) => {
    const there = await fs.stat(await securePath(rootfs, ctrDest)).catch(() => undefined);
    const name = hostSrc.endsWith('/.') ? '.' : path.basename(hostSrc);
    const base = cpTarget(srcStat.isDirectory(), name, ctrDest, there, path.posix.join);
    // The directory the copy lands in: dockerd's "Could not find the file DIR in container C"
    // when it is not there, "extraction point is not a directory" when it is something else.
    const parentPath = path.posix.dirname(path.posix.resolve('/', base));
    const parentStat = await fs.stat(await securePath(rootfs, parentPath)).catch(() => undefined);
    if (!parentStat) throw fileNotFound(parentPath, query);
    if (!parentStat.isDirectory()) throw invalidArgument('extraction point is not a directory');
    const user = options.archive && rec.spec.user ? await resolveUser(rootfs, rec.spec.user) : undefined;
    const userns = rec.spec.userns;
    const shift = (id: number) => (userns ? userns.hostId + (id < userns.size ? id : 0) : id);
    const owner: CopyOwner = (st) => ({ uid: shift(user ? user.uid : st.uid), gid: shift(user ? user.gid : st.gid) });
    await copyTree(hostSrc, base, (rel) => securePath(rootfs, path.posix.join(path.posix.resolve('/', base), rel)), owner).catch((err: unknown) => {
      throw BerthError.wrap(err, `cannot copy to ${rec.name}:${base}`);
    });
  });
}

/**
 * docker cp - CONTAINER:DEST: a plain tar unpacked into DEST, a directory of the container,
 * with the layer code's rules (no entry lands outside DEST, whatever its name or links say).
 */
export async function extractToContainer(host: ContainerHost, query: string, tar: Readable, ctrDest: string): Promise<void> {
  const rec = await lookupContainer(host, query);
  if (rec.spec.readonlyRootfs) throw failedPrecondition(`cannot copy to ${rec.name}: its root filesystem is read-only`);
  await withRootfs(host, rec, async (rootfs) => {
    const dest = await securePath(rootfs, ctrDest);
    if (!(await isDir(dest))) throw invalidArgument(`destination "${query}:${ctrDest}" must be a directory`);
    await applyTar(tar, dest, { mode: 'archive', ...idMapOf(rec) });
  });
}

/**
 * A --userns container's tree is owned by shifted host ids: archives of it show the owners the
 * container sees, and tars unpacked into it are shifted the other way.
 */
function idMapOf(rec: ContainerRecord): { idMap?: IdMap } {
  return rec.spec.userns ? { idMap: { hostId: rec.spec.userns.hostId, size: rec.spec.userns.size } } : {};
}

/** docker export: the container's merged filesystem as a tar stream. */
export async function exportContainer(host: ContainerHost, query: string, sink: (tar: Readable) => Promise<void>): Promise<void> {
  const rec = await lookupContainer(host, query);
  await withRootfs(host, rec, async (rootfs) => {
    const blob = createLayerFromDirectory(rootfs, { compression: 'none', ...idMapOf(rec) });
    await sink(blob.stream);
    await blob.done;
  });
}

/** berth mount: the rootfs mounted on the host; its path. */
export async function mountContainer(host: ContainerHost, query: string): Promise<string> {
  const rec = await lookupContainer(host, query);
  const paths = host.records.paths(rec.id);
  const lock = await host.records.lock(rec.id);
  try {
    await mountRootfs(await host.driver(), rec, paths);
    const cur = await host.records.load(rec.id);
    cur.state.userMounted = true;
    await host.records.save(cur);
  } finally {
    await lock.release();
  }
  return paths.rootfs;
}

/** berth unmount: refused while the container runs (the runtime uses the mount). */
export async function unmountContainer(host: ContainerHost, query: string): Promise<void> {
  const rec = await lookupContainer(host, query);
  if (isLive(rec.state.status)) {
    throw failedPrecondition(`cannot unmount container ${rec.name}: it is running`);
  }
  const lock = await host.records.lock(rec.id);
  try {
    await unmountRootfs(await host.driver(), host.records.paths(rec.id));
    const cur = await host.records.load(rec.id);
    delete cur.state.userMounted;
    await host.records.save(cur);
  } finally {
    await lock.release();
  }
}
