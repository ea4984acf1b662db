// Container records on disk: <root>/containers/<id>/config.json (berth's record, atomic
// rewrites), found by full ID, unique ID prefix or name; names kept unique under one lock.
// Records are small local files read with direct calls: each would otherwise be a trip
// through libuv's thread pool (0.1-0.4 ms on a busy host), and a `run` reads several.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../internal/atomic.js';
import { alreadyExists, BerthError, invalidArgument, notFound } from '../internal/errors.js';
import { removeTree } from '../internal/remove.js';
import { acquireLock, type FileLock } from '../store/lock.js';
import type { ContainerRecord } from './container.js';

/**
 * Every path of one container, from one place. The two roots are joined (normalized) once;
 * the rest are those plus a fixed name, built without path.join's normalization each time (a
 * start reads them ~60 times, in code that runs once and so is interpreted).
 */
export class ContainerPaths {
  /** Graph-root dir: the record, the OCI bundle, hosts/resolv.conf/hostname, the log. */
  readonly dir: string;
  /** Run-root dir: conmon's pidfiles and exits/, gone after a reboot like the container. */
  readonly stateDir: string;
  readonly record: string;
  readonly bundle: string;
  readonly spec: string;
  /** The rootfs mount point (the spec names it relative to the bundle). */
  readonly rootfs: string;
  readonly log: string;
  readonly hosts: string;
  readonly resolvConf: string;
  readonly hostname: string;
  /** conmon's attach sockets, shared and short (sun_path holds 108 bytes). */
  readonly socketDir: string;
  readonly lock: string;
  /**
   * Present while `rm -f` removes a running container: conmon's exit command then starts no
   * cleanup of its own (rm does it), sparing a Node start that would race rm for the CPU.
   */
  readonly removingMarker: string;
  /** A shareable-IPC container's /dev/shm: a tmpfs on the host while it runs (docker's way), bound into it and into the containers that join its IPC. */
  readonly shm: string;

  constructor(
    readonly root: string,
    readonly runroot: string,
    readonly id: string,
  ) {
    // path.join's output is normalized and never ends in "/" (it is no root here): appending
    // "/name" gives what path.join(dir, name) would.
    this.dir = path.join(root, 'containers', id);
    this.stateDir = path.join(runroot, 'containers', id);
    this.record = `${this.dir}/config.json`;
    this.bundle = `${this.dir}/bundle`;
    this.spec = `${this.bundle}/config.json`;
    this.rootfs = `${this.bundle}/rootfs`;
    this.log = `${this.dir}/ctr.log`;
    this.hosts = `${this.dir}/hosts`;
    this.resolvConf = `${this.dir}/resolv.conf`;
    this.hostname = `${this.dir}/hostname`;
    this.socketDir = path.join(runroot, 's');
    this.lock = path.join(runroot, 'locks', `ctr-${id}.lock`);
    this.removingMarker = `${this.stateDir}/removing`;
    this.shm = `${this.stateDir}/shm`;
  }
}

export class ContainerRecords {
  constructor(
    readonly root: string,
    readonly runroot: string,
  ) {}

  // One ContainerPaths per id (a start asks ~10 times); a long-running service forgets them
  // all now and then rather than keep one for every container it ever saw.
  #paths = new Map<string, ContainerPaths>();

  paths(id: string): ContainerPaths {
    let p = this.#paths.get(id);
    if (p === undefined) {
      if (this.#paths.size >= 1024) this.#paths.clear();
      p = new ContainerPaths(this.root, this.runroot, id);
      this.#paths.set(id, p);
    }
    return p;
  }

  get dir(): string {
    return path.join(this.root, 'containers');
  }

  /** Held while names are checked and taken (create, rename). */
  namesLock(): Promise<FileLock> {
    return acquireLock(path.join(this.runroot, 'locks', 'container-names.lock')) as Promise<FileLock>;
  }

  /** The per-container lock every state change holds. */
  lock(id: string): Promise<FileLock> {
    return acquireLock(this.paths(id).lock) as Promise<FileLock>;
  }

  async save(rec: ContainerRecord): Promise<void> {
    const p = this.paths(rec.id);
    await writeJsonAtomic(p.record, rec, { durable: false });
  }

  async load(id: string): Promise<ContainerRecord> {
    try {
      return JSON.parse(readFileSync(this.paths(id).record, 'utf8')) as ContainerRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`No such container: ${id}`);
      throw BerthError.wrap(err, `cannot read container ${id}`);
    }
  }

  async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n));
  }

  /** Every readable record; a dir without a record (a create killed half way) is skipped. */
  async list(): Promise<ContainerRecord[]> {
    const out: ContainerRecord[] = [];
    for (const id of await this.ids()) {
      try {
        out.push(await this.load(id));
      } catch (err) {
        if (!(err instanceof BerthError && err.kind === 'not-found')) throw err;
      }
    }
    return out;
  }

  /** docker's lookup order: full ID, exact name, unique ID prefix. */
  async resolve(query: string): Promise<ContainerRecord> {
    const q = query.startsWith('/') ? query.slice(1) : query;
    if (q === '') throw invalidArgument('container name or ID is empty');
    if (/^[0-9a-f]{64}$/.test(q)) {
      try {
        return await this.load(q);
      } catch (err) {
        if (!(err instanceof BerthError && err.kind === 'not-found')) throw err;
      }
    }
    const all = await this.list();
    const byName = all.find((r) => r.name === q);
    if (byName) return byName;
    if (/^[0-9a-f]+$/.test(q)) {
      const hits = all.filter((r) => r.id.startsWith(q));
      if (hits.length === 1) return hits[0];
      if (hits.length > 1) throw invalidArgument(`multiple containers match ID prefix "${q}": give more of it`);
    }
    throw notFound(`No such container: ${query}`);
  }

  /**
   * Removes container dirs that hold no record: a create killed between making the dir and
   * writing the record (under namesLock, which a create holds across that window, so under
   * that lock no such dir is still being made). Call under namesLock. A dir a concurrent `rm`
   * is emptying may be removed here too, which is what that rm is doing anyway.
   */
  async sweepUnrecorded(): Promise<void> {
    for (const id of await this.ids()) {
      const p = this.paths(id);
      if (existsSync(p.record)) continue;
      try {
        removeTree(p.dir);
      } catch {}
    }
  }

  /** Throws when `name` is taken by another container; call under namesLock. */
  async checkNameFree(name: string, except?: string): Promise<void> {
    const taken = (await this.list()).find((r) => r.name === name && r.id !== except);
    if (taken) {
      throw alreadyExists(
        // dockerd's words.
        `Conflict. The container name "/${name}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
  }
}
