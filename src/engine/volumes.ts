// docker's local volumes: <graph root>/volumes/<name>/_data, a plain directory bind-mounted into
// containers, and volume.json beside it (labels, creation time, whether it is anonymous, the
// driver's options). A volume appears by a rename of a finished temp dir and leaves by a rename
// before its removal, so a command killed half way leaves only dot-named dirs, which no listing
// shows and the next create, rm or prune sweeps. Create and remove hold
// <runroot>/locks/volumes.lock; so does a container's create from its volumes' creation until
// its record (which names them) is saved.
//
// A volume made with docker's options (type, device, o: volume-options.ts) has a file system
// mounted on its _data while containers use it: the first container's start mounts it, each
// start that uses it is listed in <runroot>/volume-mounts/<name>, and the stop, exit or removal
// of the last one unmounts it (docker counts its users in its daemon; berth has none, so the
// list is on disk). <runroot>/locks/volume-mounts.lock guards the mount, the unmount and the
// list, and is taken last: no other lock is awaited while it is held. volume rm and prune
// unmount what is still there (a mount left by a killed command) before anything is removed.
import { treeSize } from '../internal/tree-size.js';
import { type LabelFilter, labelMatches } from './labels.js';
import { chownSync, closeSync, constants, copyFileSync, existsSync, fchmodSync, fchownSync, futimesSync, linkSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, type Stats, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BerthError, failedPrecondition, invalidArgument, notFound, unsupported } from '../internal/errors.js';
import { randomHex } from '../internal/random.js';
import { removeFile, removeTree } from '../internal/remove.js';
import { mknod } from '../internal/sys.js';
import { readTextOr } from '../internal/read.js';
import { checkVolumeOptions, mountsFileSystem, mountVolume, unmountVolume } from './volume-options.js';
import { acquireLock, type FileLock } from '../store/lock.js';
import type { ContainerRecord, MountRequest } from './container.js';
import { recordEvent } from './events.js';

/** docker 23+ marks anonymous volumes with this label; `volume prune` without -a removes only those. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * docker's volume name rule, [a-zA-Z0-9][a-zA-Z0-9_.-]+: no "/", no leading ".", so no "..";
 * refused in dockerd's words, for a -v or --mount source too (whose create it is).
 */
export function checkVolumeName(name: string): string {
  if (name.length === 1) throw invalidArgument(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  if (!NAME.test(name)) {
    throw invalidArgument(
      `create ${name}: ${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
  // berth's own bound: the name is a directory's.
  if (name.length > 255) throw invalidArgument(`create ${name.slice(0, 32)}...: volume name is too long, at most 255 characters`);
  return name;
}

/** What volume.json keeps; the mount point follows from the graph root. */
interface VolumeMeta {
  name: string;
  createdAt: string;
  labels: Record<string, string>;
  anonymous: boolean;
  /** The local driver's options (type, device, o, size), keys sorted; absent: a plain directory. */
  options?: Record<string, string>;
}

/** A volume as `volume inspect` shows it (docker's fields), plus whether it is anonymous. */
export interface Volume {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string> | null;
  Scope: 'local';
  Anonymous: boolean;
}

export interface CreateVolumeOptions {
  /** Absent: an anonymous volume with a random 64-hex name. */
  name?: string;
  labels?: Record<string, string>;
  driver?: string;
  /** --opt KEY=VALUE: the local driver's type, device, o (and size=0), checked as docker checks them. */
  options?: Record<string, string>;
  /** The host id that owns a new volume's _data (user and group): a --userns container's root, as docker's remapped root owns its volumes. */
  owner?: number;
}

/** The ids of the containers whose records mount the volume `name`. */
export function usersOf(records: ContainerRecord[], name: string): string[] {
  return records.filter((r) => (r.spec.mounts ?? []).some((m) => m.type === 'volume' && m.name === name)).map((r) => r.id);
}

/** docker's volume label filter: "KEY" present, or "KEY=VALUE" equal. */
/**
 * `volume ls --filter`: dangling=true|false (not used by any container, or used), name=
 * (a substring, or a regular expression as docker's), label=KEY[=VALUE], driver=local. A key's
 * values are ORed, keys ANDed, as docker's filters are.
 */
export function filterVolumes(volumes: Volume[], filters: string[], inUse: (name: string) => boolean): Volume[] {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    // dockerd's words for a key it does not take, and for dangling's value.
    const key = eq < 0 ? f : f.slice(0, eq);
    if (!['dangling', 'name', 'label', 'driver'].includes(key)) throw invalidArgument(`Invalid filter '${key}'`);
    byKey.set(key, [...(byKey.get(key) ?? []), f.slice(eq + 1)]);
  }
  for (const d of byKey.get('dangling') ?? []) {
    if (!['true', 'false', '1', '0'].includes(d)) throw invalidArgument(`Invalid filter 'dangling=[${d}]'`);
  }
  const nameMatch = (pattern: string, name: string) => {
    try {
      return new RegExp(pattern).test(name);
    } catch {
      return name.includes(pattern);
    }
  };
  return volumes.filter((v) =>
    [...byKey].every(([key, values]) =>
      values.some((val) => {
        if (key === 'dangling') return (val === 'true' || val === '1') === !inUse(v.Name);
        if (key === 'name') return nameMatch(val, v.Name);
        if (key === 'label') return labelMatches(v.Labels, val);
        return val === v.Driver;
      }),
    ),
  );
}

/** The volume store of one graph root. */
export class VolumeStore {
  readonly dir: string;

  constructor(
    readonly root: string,
    readonly runroot: string,
  ) {
    this.dir = path.join(root, 'volumes');
  }

  mountpoint(name: string): string {
    return path.join(this.dir, name, '_data');
  }

  /** Held across a create, a removal, a prune, and a container's create (see the head of this file). */
  lock(): Promise<FileLock> {
    return acquireLock(path.join(this.runroot, 'locks', 'volumes.lock')) as Promise<FileLock>;
  }

  async #locked<T>(fn: () => Promise<T> | T): Promise<T> {
    const lock = await this.lock();
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }

  /** A volume by name, or undefined. */
  get(name: string): Volume | undefined {
    if (!NAME.test(name)) return undefined;
    let meta: VolumeMeta;
    try {
      meta = JSON.parse(readFileSync(path.join(this.dir, name, 'volume.json'), 'utf8')) as VolumeMeta;
    } catch {
      return undefined;
    }
    return this.#view(meta);
  }

  /** A volume by name, or dockerd's "get NAME: no such volume". */
  inspect(name: string): Volume {
    const v = this.get(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return v;
  }

  #view(meta: VolumeMeta): Volume {
    return {
      Name: meta.name,
      Driver: 'local',
      Mountpoint: this.mountpoint(meta.name),
      CreatedAt: meta.createdAt,
      Labels: meta.labels,
      Options: meta.options ?? null,
      Scope: 'local',
      Anonymous: meta.anonymous,
    };
  }

  /** Every volume, by name; half-made or half-removed ones (dot names) are not volumes. */
  list(): Volume[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => NAME.test(n))
      .sort()
      .map((n) => this.get(n))
      .filter((v): v is Volume => v !== undefined);
  }

  /** docker volume create: the existing volume when the name is taken (docker's idempotence). */
  create(options: CreateVolumeOptions = {}): Promise<{ volume: Volume; created: boolean }> {
    return this.#locked(() => this.createLocked(options));
  }

  /** create, for a caller that holds lock(). */
  createLocked(options: CreateVolumeOptions = {}): { volume: Volume; created: boolean } {
    const anonymous = options.name === undefined;
    // dockerd looks the driver up before its local driver checks the name; berth has no
    // plugins, so any other driver is one it cannot find, said in dockerd's words.
    const asked = anonymous ? randomHex(32) : (options.name as string);
    if (options.driver !== undefined && options.driver !== 'local') {
      throw unsupported(`create ${asked}: error looking up volume plugin ${options.driver}: plugin ${JSON.stringify(options.driver)} not found`);
    }
    const name = anonymous ? asked : checkVolumeName(asked);
    this.sweep();
    // docker's: a volume of that name is the answer, whatever options were asked (none checked).
    const existing = this.get(name);
    if (existing) return { volume: existing, created: false };
    const driverOptions = Object.keys(options.options ?? {}).length > 0 ? checkVolumeOptions(name, options.options ?? {}) : undefined;
    mkdirSync(this.dir, { recursive: true, mode: 0o701 });
    const tmp = path.join(this.dir, `.tmp-${randomHex(8)}`);
    const meta: VolumeMeta = {
      name,
      createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      labels: { ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}), ...options.labels },
      anonymous,
      ...(driverOptions ? { options: driverOptions } : {}),
    };
    try {
      mkdirSync(path.join(tmp, '_data'), { recursive: true, mode: 0o755 });
      if (options.owner !== undefined) chownSync(path.join(tmp, '_data'), options.owner, options.owner);
      writeFileSync(path.join(tmp, 'volume.json'), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, path.join(this.dir, name));
    } catch (err) {
      removeTree(tmp);
      throw err;
    }
    recordEvent(this.runroot, 'volume', 'create', name, { driver: 'local' });
    return { volume: this.#view(meta), created: true };
  }

  /**
   * docker volume rm: refused while a container record names it (docker's "volume is in use"),
   * whatever `force` says; force only makes a missing volume no error.
   */
  remove(name: string, records: () => Promise<ContainerRecord[]>, options: { force?: boolean } = {}): Promise<boolean> {
    return this.#locked(async () => this.removeLocked(name, await records(), options));
  }

  /** remove, for a caller that holds lock(); `records`: every container record. */
  removeLocked(name: string, records: ContainerRecord[], options: { force?: boolean } = {}): boolean {
    if (!this.get(name)) {
      if (options.force) return false;
      throw notFound(`get ${name}: no such volume`);
    }
    const users = usersOf(records, name);
    if (users.length > 0) throw failedPrecondition(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    // No container names it: a mount still on it (or under it) was left by a killed command.
    this.#unmountAll(name);
    const gone = path.join(this.dir, `.rm-${randomHex(8)}`);
    renameSync(path.join(this.dir, name), gone);
    removeTree(gone);
    recordEvent(this.runroot, 'volume', 'destroy', name, { driver: 'local' });
    return true;
  }

  /**
   * docker volume prune: unused volumes, anonymous ones only unless `all` (docker 23+), each
   * measured before removal. `labels`/`notLabels`: --filter label=, label!=.
   */
  prune(
    records: () => Promise<ContainerRecord[]>,
    options: { all?: boolean; labels?: (LabelFilter | string)[]; notLabels?: (LabelFilter | string)[] } = {},
  ): Promise<{ name: string; size: number }[]> {
    return this.#locked(async () => {
      this.sweep();
      const recs = await records();
      const out: { name: string; size: number }[] = [];
      for (const v of this.list()) {
        if (!options.all && !v.Anonymous) continue;
        if (!(options.labels ?? []).every((l) => labelMatches(v.Labels, l))) continue;
        if ((options.notLabels ?? []).some((l) => labelMatches(v.Labels, l))) continue;
        if (usersOf(recs, v.Name).length > 0) continue;
        // Measured unmounted: what goes is the dir under the graph root, not a mounted file system.
        this.#unmountAll(v.Name);
        const size = treeSize(v.Mountpoint, { skipUnreadable: true });
        this.removeLocked(v.Name, recs);
        out.push({ name: v.Name, size });
      }
      return out;
    });
  }

  /** Removes what killed creates and removals left (dot-named dirs); call under lock(). */
  sweep(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (!/^\.(tmp|rm)-[0-9a-f]+$/.test(n)) continue;
      // A removal unmounts before its rename, but never descend into a mounted file system.
      if (mountsUnder(path.join(this.dir, n)).length > 0) continue;
      removeTree(path.join(this.dir, n));
    }
  }

  #mountsLock(): Promise<FileLock> {
    return acquireLock(path.join(this.runroot, 'locks', 'volume-mounts.lock')) as Promise<FileLock>;
  }

  #usersFile(name: string): string {
    return path.join(this.runroot, 'volume-mounts', name);
  }

  #readUsers(name: string): string[] {
    return readTextOr(this.#usersFile(name), '').split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l));
  }

  #writeUsers(name: string, users: string[]): void {
    const file = this.#usersFile(name);
    if (users.length === 0) {
      removeFile(file);
      return;
    }
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp-${randomHex(4)}`;
    writeFileSync(tmp, `${users.join('\n')}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  }

  /**
   * Before container `id` starts: a volume with a file system (docker's type/device options)
   * has it mounted on its _data, unless it already is (another container's, or one a killed
   * command left), and `id` is listed as one of its users. A plain volume needs nothing.
   * A mount that fails is docker's error, "error while mounting volume '<_data>': failed to
   * mount local volume: mount ...", and leaves nothing mounted.
   */
  async mountFor(name: string, id: string): Promise<void> {
    const options = this.get(name)?.Options;
    if (!mountsFileSystem(options)) return;
    const target = this.mountpoint(name);
    const lock = await this.#mountsLock();
    try {
      if (!mountsUnder(target).includes(realpathSync(target))) {
        try {
          await mountVolume(options as Record<string, string>, target);
        } catch (err) {
          throw BerthError.wrap(err, `error while mounting volume '${target}'`);
        }
      }
      const users = this.#readUsers(name);
      if (!users.includes(id)) this.#writeUsers(name, [...users, id]);
    } finally {
      await lock.release();
    }
  }

  /**
   * Container `id` no longer uses the volume (stopped, exited, removed, or its start failed):
   * it leaves the volume's users, and with no user left the file system is unmounted. A user
   * that `stillUses` no longer (its record gone, or it stopped without a cleanup that said so)
   * leaves with it. `stillUses` must not wait for a lock: this one is held meanwhile.
   */
  async release(name: string, id: string, stillUses: (other: string) => Promise<boolean>): Promise<void> {
    if (!mountsFileSystem(this.get(name)?.Options)) return;
    const lock = await this.#mountsLock();
    try {
      const before = this.#readUsers(name);
      const kept: string[] = [];
      for (const other of before) if (other !== id && (await stillUses(other))) kept.push(other);
      if (kept.length === 0) unmountVolume(this.mountpoint(name));
      if (kept.length !== before.length) this.#writeUsers(name, kept);
    } finally {
      await lock.release();
    }
  }

  /**
   * For rm and prune, once no container names the volume: whatever is mounted on or under its
   * dir goes (the newest first), and its users' list with it; a mount that stays is an error,
   * so no removal ever walks into a mounted file system (a bound host dir above all).
   */
  #unmountAll(name: string): void {
    const dir = path.join(this.dir, name);
    const found = mountsUnder(dir);
    if (found.length === 0 && !existsSync(this.#usersFile(name))) return;
    for (const m of found.reverse()) unmountVolume(m);
    removeFile(this.#usersFile(name));
    const left = mountsUnder(dir);
    if (left.length > 0) throw failedPrecondition(`remove ${name}: cannot unmount ${left.join(', ')}`);
  }
}

/**
 * Mount points at or under `dir` in this mount namespace, in mountinfo's order (oldest first).
 * mountinfo names them by their real paths: `dir` is resolved first (a graph root reached
 * through a symlink would otherwise never match, and a mount under it would go unseen).
 */
export function mountsUnder(given: string): string[] {
  let dir = given;
  try {
    dir = realpathSync(given);
  } catch {}
  const out: string[] = [];
  for (const line of readTextOr('/proc/self/mountinfo', '').split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    const point = field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    if (point === dir || point.startsWith(`${dir}/`)) out.push(point);
  }
  return out;
}

/**
 * docker's copy-up: the image's files at a volume's destination into the volume, once, while the
 * volume is empty. `from` is the destination resolved inside the rootfs (securePath: a symlink in
 * the image cannot lead the copy out of it); the walk follows no symlink (they are copied as
 * links), so it reads nothing outside `from` and writes nothing outside `to`. Owners, modes,
 * times, hard links, device nodes and fifos are kept; sockets are skipped.
 */
export function copyUp(from: string, to: string): void {
  let top: Stats;
  try {
    top = lstatSync(from);
  } catch {
    return;
  }
  if (!top.isDirectory()) return;
  if (readdirSync(to).length > 0) return;
  const links = new Map<string, string>();
  const copyDir = (src: string, dst: string) => {
    for (const n of readdirSync(src)) copyEntry(path.join(src, n), path.join(dst, n));
  };
  const copyEntry = (src: string, dst: string) => {
    const st = lstatSync(src);
    if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(src), dst);
      lchownSync(dst, st.uid, st.gid);
      lutimesSync(dst, st.atime, st.mtime);
      return;
    }
    if (st.isDirectory()) {
      mkdirSync(dst, { mode: 0o700 });
      copyDir(src, dst);
      setMeta(dst, st, constants.O_DIRECTORY);
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? links.get(key) : undefined;
    if (first) {
      linkSync(first, dst);
      return;
    }
    if (st.isFile()) copyFileSync(src, dst, constants.COPYFILE_EXCL);
    else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) {
      mknod(dst, st.mode, (st.rdev >>> 8) & 0xfff, (st.rdev & 0xff) | ((st.rdev >>> 12) & 0xfff00));
    } else return;
    if (st.nlink > 1) links.set(key, dst);
    setMeta(dst, st, st.isFile() ? 0 : -1);
  };
  copyDir(from, to);
  setMeta(to, top, constants.O_DIRECTORY);
}

/** Owner, mode and times through a descriptor opened without following a symlink (flags -1: a node, not opened). */
function setMeta(file: string, st: Stats, flags: number): void {
  if (flags === -1) {
    // A device node or fifo: opening it could block or act; owner by lchown, mode by mknod.
    lchownSync(file, st.uid, st.gid);
    lutimesSync(file, st.atime, st.mtime);
    return;
  }
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | flags);
  try {
    fchownSync(fd, st.uid, st.gid);
    fchmodSync(fd, st.mode & 0o7777);
    futimesSync(fd, st.atime, st.mtime);
  } finally {
    closeSync(fd);
  }
}

/** The volume mounts of a container's mounts. */
export function volumeMounts(mounts: MountRequest[] | undefined): Extract<MountRequest, { type: 'volume' }>[] {
  return (mounts ?? []).filter((m): m is Extract<MountRequest, { type: 'volume' }> => m.type === 'volume');
}
