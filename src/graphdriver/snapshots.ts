// Bookkeeping both drivers share: snapshots/<key>/ holding meta.json and the driver's own
// dirs, created whole by one rename so a killed prepare leaves only a temp dir to clean.
// The few small metadata calls of a container's start and removal are direct (sync) calls:
// each would otherwise be a trip through libuv's thread pool (0.1-0.4 ms on a busy host).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Digest } from '../digest/digest.js';
import { digestHex, parseDigest } from '../digest/digest.js';
import { writeJsonAtomic } from '../internal/atomic.js';
import { removeTree } from '../internal/remove.js';
import { treeSize } from '../internal/tree-size.js';
import { alreadyExists, BerthError, failedPrecondition, invalidArgument, notFound, unsupported } from '../internal/errors.js';
import type { DriverInfo, IdMap, MountSpec, PrepareOptions, SnapshotInfo, SnapshotKind } from './driver.js';
import { isInUse, mountAll, unmountPath } from './mount.js';
import { backingFilesystem } from './probe.js';
import { randomHex } from '../internal/random.js';
import { processAlive } from '../internal/process.js';

export interface DriverOptions {
  /** Graph root: snapshots/ and l/ live here. */
  root: string;
  runroot: string;
  /** The unpacked tree of a layer; default <root>/layers/<chain hex>/diff (the store's layout). */
  lowerPath?: (chainID: Digest) => string;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const TEMP_PREFIX = '.tmp-';

export abstract class SnapshotDirs {
  protected readonly root: string;
  protected readonly runroot: string;
  protected readonly snapshotsDir: string;
  protected readonly lowerPath: (chainID: Digest) => string;

  constructor(options: DriverOptions) {
    this.root = options.root;
    this.runroot = options.runroot;
    this.snapshotsDir = path.join(options.root, 'snapshots');
    this.lowerPath = options.lowerPath ?? ((c) => path.join(options.root, 'layers', digestHex(c), 'diff'));
  }

  abstract readonly name: 'overlay' | 'vfs';
  /** Fills a new snapshot dir (named `dir`, not yet in place). */
  protected abstract populate(dir: string, parents: Digest[], readonly: boolean, signal?: AbortSignal, idMap?: IdMap): Promise<void>;
  /** The mounts of a snapshot described by `info`. */
  protected abstract mountsOf(key: string, info: SnapshotInfo): Promise<MountSpec[]>;
  /** The dir holding the snapshot's own files (what `usage` measures). */
  protected abstract ownTree(key: string): string;

  async usage(key: string): Promise<number> {
    checkKey(key);
    return treeSize(this.ownTree(key));
  }

  async mounts(key: string): Promise<MountSpec[]> {
    return this.mountsOf(key, await this.stat(key));
  }

  /** Creates snapshots/ and removes prepares that a killed process left half done. */
  async open(): Promise<void> {
    mkdirSync(this.snapshotsDir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(this.snapshotsDir)) {
      if (name.startsWith(TEMP_PREFIX) && !ownerAlive(name)) {
        await fs.rm(path.join(this.snapshotsDir, name), { recursive: true, force: true });
      }
    }
  }

  async prepare(key: string, parents: Digest[], options: PrepareOptions = {}): Promise<MountSpec[]> {
    checkKey(key);
    if (options.idMap && options.readonly) throw invalidArgument(`cannot prepare snapshot ${key}: an id-shifted copy is for a container, not a read-only view`);
    const chain = parents.map((p) => parseDigest(p));
    for (const p of chain) {
      if (!existsSync(this.lowerPath(p))) throw notFound(`cannot prepare snapshot ${key}: layer ${p} is not unpacked`);
    }
    if (existsSync(this.dir(key))) throw alreadyExists(`cannot prepare snapshot ${key}: it exists`);
    const temp = this.tempPath(`prepare-${key}`);
    const info: SnapshotInfo = { key, kind: options.readonly ? 'view' : 'active', parents: chain, createdAt: new Date().toISOString() };
    if (options.idMap) info.idMap = { ...options.idMap };
    if (options.volatile && !options.readonly) info.volatile = true;
    try {
      mkdirSync(temp, { mode: 0o700 });
      await this.populate(temp, chain, options.readonly ?? false, options.signal, options.idMap);
      // No temp file and rename for meta.json: the whole dir appears by the rename below.
      writeFileSync(path.join(temp, 'meta.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 });
      renameSync(temp, this.dir(key));
    } catch (err) {
      await fs.rm(temp, { recursive: true, force: true }).catch(() => {});
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw alreadyExists(`cannot prepare snapshot ${key}: it exists`);
      throw err instanceof BerthError ? err : BerthError.wrap(err, `cannot prepare snapshot ${key}`);
    }
    try {
      // From the info in hand: the meta.json just written need not be read back.
      return await this.mountsOf(key, info);
    } catch (err) {
      // A stack that cannot be mounted is no snapshot to keep.
      await fs.rm(this.dir(key), { recursive: true, force: true });
      throw err;
    }
  }

  async stat(key: string): Promise<SnapshotInfo> {
    checkKey(key);
    try {
      return JSON.parse(readFileSync(path.join(this.dir(key), 'meta.json'), 'utf8')) as SnapshotInfo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`no such snapshot: ${key}`);
      throw BerthError.wrap(err, `cannot read snapshot ${key}`);
    }
  }

  async list(): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    for (const name of await fs.readdir(this.snapshotsDir).catch(() => [] as string[])) {
      if (name.startsWith(TEMP_PREFIX) || !KEY.test(name)) continue;
      out.push(await this.stat(name));
    }
    return out;
  }

  mount(mounts: MountSpec[], target: string): Promise<void> {
    return mountAll(mounts, target);
  }

  unmount(target: string, options: { detach?: boolean } = {}): Promise<boolean> {
    return unmountPath(target, options);
  }

  /** Freezes an active snapshot: it keeps its changes and mounts read-only from now on. */
  async commit(key: string): Promise<void> {
    const info = await this.stat(key);
    refuseShifted(info, 'commit');
    if (info.kind === 'view') throw failedPrecondition(`cannot commit snapshot ${key}: it is a read-only view`);
    if (info.kind === 'committed') return;
    await this.setKind(key, 'committed');
  }

  /** Deletes a snapshot and its changes; refused while something has it mounted. */
  async remove(key: string): Promise<void> {
    await this.stat(key);
    const dir = this.dir(key);
    if (await isInUse(dir)) throw failedPrecondition(`cannot remove snapshot ${key}: it is mounted`);
    const gone = this.tempPath(`rm-${key}`);
    renameSync(dir, gone);
    // Direct calls: a container's upper dir usually holds a few entries, each of which would
    // cost a trip through the thread pool; a big tree blocks the event loop meanwhile, which
    // the CLI, waiting for this removal anyway, can afford.
    removeTree(gone);
  }

  async info(): Promise<DriverInfo> {
    await fs.mkdir(this.root, { recursive: true });
    return {
      driver: this.name,
      backingFilesystem: await backingFilesystem(this.root),
      root: this.root,
      runroot: this.runroot,
      snapshots: (await this.list()).length,
    };
  }

  /**
   * A work dir beside the snapshots, named with this process's PID so that open() in another
   * process removes it only once its owner is dead (a prepare in flight is left alone).
   */
  protected tempPath(what: string): string {
    return path.join(this.snapshotsDir, `${TEMP_PREFIX}${process.pid}-${what}-${randomHex(4)}`);
  }

  protected dir(key: string): string {
    return path.join(this.snapshotsDir, key);
  }

  private async setKind(key: string, kind: SnapshotKind): Promise<void> {
    const info = await this.stat(key);
    await writeJsonAtomic(path.join(this.dir(key), 'meta.json'), { ...info, kind }, { durable: false });
  }
}

/** An id-shifted copy holds the whole tree, owners moved: its changes cannot be told apart. */
export function refuseShifted(info: SnapshotInfo, what: string): void {
  if (info.idMap) throw unsupported(`cannot ${what} snapshot ${info.key}: it is an id-shifted copy for a user namespace (--userns)`);
}

/** Whether the process that named a temp dir ".tmp-<pid>-..." still runs. */
function ownerAlive(name: string): boolean {
  return processAlive(Number(/^\.tmp-(\d+)-/.exec(name)?.[1]));
}

function checkKey(key: string): void {
  if (!KEY.test(key)) {
    throw invalidArgument(`invalid snapshot key "${key.slice(0, 200)}": use 1-128 letters, digits, "_", "." or "-", starting with a letter or digit`);
  }
}
