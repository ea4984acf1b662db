// Writes tar entries of one layer into a root directory, one entry at a time, never outside
// it: parents resolve with openat2(RESOLVE_IN_ROOT), the last component is never followed.
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { TarEntry, TarHeader } from '../archive/entry.js';
import { BerthError, invalidArgument, resourceExhausted } from '../internal/errors.js';
import * as at from '../internal/sys-at.js';
import * as sys from '../internal/sys.js';
import { SmallFileBatcher } from './file-batch.js';
import { type IdMap, toHostId } from './idmap.js';
import {
  cleanEntryName,
  DEFAULT_MAX_DEPTH,
  joinRel,
  OPAQUE_MARKER,
  printable,
  splitParent,
  WHITEOUT_PREFIX,
  whiteoutTarget,
} from './names.js';

/**
 * 'overlay-lower': the target starts empty and becomes an overlay lower directory, so
 * whiteouts are stored the overlay way (char device 0/0, trusted.overlay.opaque=y).
 * 'merge': the target holds the layers below, and whiteouts delete from it.
 * 'archive': a plain tar unpacked into a directory that has content (cp from a tar
 * stream): `.wh.` names are ordinary files, as in any tar that is not a layer.
 */
export type ApplyMode = 'overlay-lower' | 'merge' | 'archive';

export interface ExtractOptions {
  mode: ApplyMode;
  /** Entries allowed in one layer (tar bombs of empty files); default 2,000,000. */
  maxEntries?: number;
  /** Path components allowed in one name; default 256. */
  maxDepth?: number;
  /** Set owners from the tar (lchown); default: when running as root. */
  preserveOwnership?: boolean;
  /** Owners in the tar are a user namespace's (container ids): shifted to the host's by this mapping. */
  idMap?: IdMap;
}

/** Files up to this size are read whole and written in batches on a worker thread (file-batch.ts). */
const SMALL_FILE = 1 << 20;
/** Directory fds kept open between entries; tars list siblings together, so few suffice. */
const DIR_CACHE = 64;
const KINDS: Record<TarHeader['type'], at.NodeKind> = {
  file: at.NodeKind.File,
  directory: at.NodeKind.Directory,
  symlink: at.NodeKind.Symlink,
  hardlink: at.NodeKind.Hardlink,
  char: at.NodeKind.Char,
  block: at.NodeKind.Block,
  fifo: at.NodeKind.Fifo,
};

interface DirTime {
  rel: string;
  sec: number;
  nsec: number;
}

/** Applies entries in order; call open() first and close() always. Not reusable. */
export class Extractor {
  readonly target: string;
  private readonly mode: ApplyMode;
  private readonly maxEntries: number;
  private readonly maxDepth: number;
  private readonly chown: boolean;
  private readonly idMap: IdMap | undefined;
  private rootFd = -1;
  private readonly dirs = new Map<string, number>();
  /** Paths this layer wrote: whiteouts and opaque markers leave them alone. */
  private readonly added = new Set<string>();
  private readonly dirTimes: DirTime[] = [];
  /** merge: mtimes (ns) of directories as first seen, put back unless the layer lists them. */
  private readonly mtimes = new Map<string, bigint>();
  private entries = 0;
  private readonly files = new SmallFileBatcher((dirFd, name) => this.remove(dirFd, name));

  constructor(target: string, options: ExtractOptions) {
    this.target = target;
    this.mode = options.mode;
    this.maxEntries = options.maxEntries ?? 2_000_000;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.chown = options.preserveOwnership ?? process.getuid?.() === 0;
    this.idMap = options.idMap;
  }

  /** The host owner of an entry's uid or gid: -1 (leave it) unless owners are set. */
  private owner(id: number): number {
    if (!this.chown) return -1;
    return this.idMap ? toHostId(id, this.idMap) : id;
  }

  open(): void {
    this.rootFd = at.openRoot(this.target);
    this.noteMtime('', this.rootFd);
  }

  /**
   * Merging changes the mtime of directories whose children come and go; like umoci, put
   * back the time a directory had when this layer does not list the directory itself, so
   * the tree does not depend on when it was unpacked.
   */
  private noteMtime(rel: string, fd: number): void {
    if (this.mode === 'overlay-lower' || this.mtimes.has(rel)) return;
    this.mtimes.set(rel, fs.fstatSync(fd, { bigint: true }).mtimeNs);
  }

  /** Writes one entry; its body is consumed (or skipped) before this resolves. */
  async apply(entry: TarEntry): Promise<void> {
    const h = entry.header;
    if (++this.entries > this.maxEntries) {
      throw resourceExhausted(`layer has more than ${this.maxEntries} entries`);
    }
    try {
      await this.applyEntry(entry, h);
    } catch (err) {
      await entry.skip().catch(() => {});
      throw BerthError.wrap(err, `cannot write entry "${printable(h.name)}"`);
    }
  }

  private async applyEntry(entry: TarEntry, h: TarHeader): Promise<void> {
    const rel = cleanEntryName(h.name, this.maxDepth);
    if (rel === '') return this.applyRoot(entry, h);
    const [parent, base] = splitParent(rel);
    if (h.type === 'file' && h.size <= SMALL_FILE && !(base.startsWith(WHITEOUT_PREFIX) && this.mode !== 'archive')) {
      // The common case, batched to a worker: open, write, chown, chmod, times, close.
      const data = h.size === 0 ? null : await readSmallBody(entry, h.size);
      if (data === null) await entry.skip();
      return this.queueSmallFile(h, rel, parent, base, data);
    }
    return this.applyOther(entry, h, rel, parent, base);
  }

  /** A small file to the batch; kept apart from the rare kinds so the hot path stays small to optimise. */
  private queueSmallFile(h: TarHeader, rel: string, parent: string, base: string, data: Buffer | null): Promise<void> | undefined {
    // Resolving a new parent reads the tree, so queued files must be on disk first.
    const dirFd = parent === '' ? this.rootFd : this.dirs.get(parent);
    if (dirFd === undefined) return this.queueInNewDir(h, rel, parent, base, data);
    this.added.add(rel);
    const sec = Math.floor(h.mtime);
    const nsec = sec === h.mtime ? 0 : Math.min(999_999_999, Math.round((h.mtime - sec) * 1e9));
    const owner = this.owner(h.uid);
    const group = this.owner(h.gid);
    const xattrs = h.xattrs.size === 0 ? null : flatXattrs(h.xattrs);
    return this.files.add(dirFd, base, data, owner, group, h.mode & 0o7777, sec, nsec, xattrs, rel);
  }

  private async queueInNewDir(h: TarHeader, rel: string, parent: string, base: string, data: Buffer | null): Promise<void> {
    await this.files.flush();
    this.dir(parent, true);
    return this.queueSmallFile(h, rel, parent, base, data);
  }

  /** Every entry but a small file: whiteouts, directories, links, nodes and large files. */
  private async applyOther(entry: TarEntry, h: TarHeader, rel: string, parent: string, base: string): Promise<void> {
    if (base.startsWith(WHITEOUT_PREFIX) && this.mode !== 'archive') {
      await entry.skip();
      await this.files.flush();
      if (base === OPAQUE_MARKER) return this.opaque(parent);
      return this.whiteout(parent, whiteoutTarget(base, h.name));
    }
    const kind = KINDS[h.type];
    if (kind === undefined) throw invalidArgument(`unknown entry type ${String(h.type)}`);
    await this.files.flush();
    const dirFd = this.dir(parent, true);
    let fd = -1;
    if (h.type === 'file') {
      fd = await this.createFile(entry, dirFd, base);
    } else {
      await entry.skip();
      if (!this.createNode(h, kind, dirFd, base)) {
        // An existing directory stays (with its children); only its metadata changes.
        this.added.add(rel);
        this.setMeta(dirFd, base, -1, h, rel);
        return;
      }
    }
    this.added.add(rel);
    if (h.type === 'hardlink') return; // the inode's metadata came with its first name
    this.setMeta(dirFd, base, fd, h, rel);
  }

  /** "./" or "/": only a directory may stand for the root; its metadata applies to it. */
  private async applyRoot(entry: TarEntry, h: TarHeader): Promise<void> {
    await entry.skip();
    await this.files.flush();
    if (h.type !== 'directory') throw invalidArgument(`the root entry is a ${h.type}, not a directory`);
    this.setMeta(this.rootFd, '.', -1, h, '');
  }

  /** A large file: created, then streamed to disk chunk by chunk; returns its open fd. */
  private async createFile(entry: TarEntry, dirFd: number, base: string): Promise<number> {
    const fd = this.create(dirFd, base, at.NodeKind.File, {});
    try {
      await writeBody(entry.body, fd);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    return fd;
  }

  /** Creates a non-file node; false when an existing directory is kept for a directory entry. */
  private createNode(h: TarHeader, kind: at.NodeKind, dirFd: number, base: string): boolean {
    const options: at.CreateAtOptions = { major: h.devmajor, minor: h.devminor };
    if (h.type === 'symlink') options.link = h.linkname;
    if (h.type === 'hardlink') {
      const linkRel = cleanEntryName(h.linkname, this.maxDepth);
      if (linkRel === '') throw invalidArgument(`hardlink to the root "${printable(h.linkname)}"`);
      const [linkParent, linkBase] = splitParent(linkRel);
      options.linkDirFd = this.dir(linkParent, false);
      options.linkName = linkBase;
    }
    if (h.type === 'directory' && at.typeAt(dirFd, base) === sys.S_IFDIR) return false;
    this.create(dirFd, base, kind, options);
    return true;
  }

  /** createAt, replacing whatever holds the name (the spec's "Changeset over existing files"). */
  private create(dirFd: number, base: string, kind: at.NodeKind, options: at.CreateAtOptions): number {
    try {
      return at.createAt(dirFd, base, kind, options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.remove(dirFd, base);
    return at.createAt(dirFd, base, kind, options);
  }

  private setMeta(dirFd: number, base: string, fd: number, h: TarHeader, rel: string): void {
    const isDir = h.type === 'directory';
    const meta = this.metadata(h);
    // A directory's time is set at the end, once no child changes it any more.
    if (isDir) this.dirTimes.push({ rel, sec: meta.mtimeSec!, nsec: meta.mtimeNsec! });
    at.setMetaAt(dirFd, base, fd, h.type === 'symlink', isDir ? { ...meta, mtimeSec: undefined } : meta);
  }

  private metadata(h: TarHeader): at.Metadata {
    const sec = Math.floor(h.mtime);
    return {
      uid: this.owner(h.uid),
      gid: this.owner(h.gid),
      mode: h.mode & 0o7777,
      mtimeSec: sec,
      mtimeNsec: Math.min(999_999_999, Math.round((h.mtime - sec) * 1e9)),
      xattrs: flatXattrs(h.xattrs),
    };
  }

  private whiteout(parent: string, hidden: string): void {
    const rel = joinRel(parent, hidden);
    // The spec: a whiteout hides lower layers only, never what this layer itself wrote.
    if (this.added.has(rel)) return;
    if (this.mode === 'overlay-lower') {
      const dirFd = this.dir(parent, true);
      this.create(dirFd, hidden, at.NodeKind.Char, { major: 0, minor: 0 });
      return;
    }
    const dirFd = this.existingDir(parent);
    if (dirFd !== -1 && at.typeAt(dirFd, hidden) !== 0) this.remove(dirFd, hidden);
  }

  private opaque(parent: string): void {
    if (this.mode === 'overlay-lower') {
      const dirFd = this.dir(parent, true);
      sys.lsetxattr(`${at.procPath(dirFd)}/.`, 'trusted.overlay.opaque', Buffer.from('y'));
      return;
    }
    const dirFd = this.existingDir(parent);
    if (dirFd === -1) return;
    for (const name of fs.readdirSync(`${at.procPath(dirFd)}/.`)) {
      if (!this.added.has(joinRel(parent, name))) this.remove(dirFd, name);
    }
  }

  /**
   * Removes a name (a directory with all it holds). Cached fds of other directories may
   * have been reached through it, so they go; dirFd itself stays valid and cached.
   */
  private remove(dirFd: number, base: string): void {
    if (at.typeAt(dirFd, base) === sys.S_IFDIR) {
      fs.rmSync(at.procPath(dirFd, base), { recursive: true, force: true });
    } else {
      at.unlinkAt(dirFd, base, false);
    }
    this.dropDirCache(dirFd);
  }

  /** The fd of directory `rel` inside the root, from the cache or openat2. */
  private dir(rel: string, create: boolean): number {
    if (rel === '') return this.rootFd;
    const cached = this.dirs.get(rel);
    if (cached !== undefined) return cached;
    const fd = at.openDirInRoot(this.rootFd, rel, create);
    this.noteMtime(rel, fd);
    if (this.dirs.size >= DIR_CACHE) {
      const [oldest, oldFd] = this.dirs.entries().next().value as [string, number];
      this.dirs.delete(oldest);
      this.files.retire(oldFd);
    }
    this.dirs.set(rel, fd);
    return fd;
  }

  /** Like dir() without creating; -1 when the path is absent or not a directory. */
  private existingDir(rel: string): number {
    try {
      return this.dir(rel, false);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return -1;
      throw err;
    }
  }

  private dropDirCache(keepFd = -1): void {
    for (const [rel, fd] of this.dirs) {
      if (fd === keepFd) continue;
      this.files.retire(fd);
      this.dirs.delete(rel);
    }
  }

  /** Writes what is queued, then the directory times held back until every child was written. */
  async finish(): Promise<void> {
    await this.files.flush();
    const listed = new Set(this.dirTimes.map((t) => t.rel));
    for (const [rel, ns] of [...this.mtimes]) {
      if (!listed.has(rel)) this.setDirTime(rel, Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n));
    }
    for (const { rel, sec, nsec } of this.dirTimes) this.setDirTime(rel, sec, nsec);
  }

  private setDirTime(rel: string, sec: number, nsec: number): void {
    const [parent, base] = rel === '' ? ['', '.'] : splitParent(rel);
    const dirFd = this.existingDir(parent);
    if (dirFd === -1 || (base !== '.' && at.typeAt(dirFd, base) !== sys.S_IFDIR)) return;
    at.setMetaAt(dirFd, base, -1, false, { uid: -1, gid: -1, mode: -1, mtimeSec: sec, mtimeNsec: nsec });
  }

  /** Releases every fd, after queued files settled (they may still use them). */
  async close(): Promise<void> {
    await this.files.flush().catch(() => {});
    this.dropDirCache();
    await this.files.flush().catch(() => {});
    if (this.rootFd !== -1) fs.closeSync(this.rootFd);
    this.rootFd = -1;
  }
}

/**
 * xattrs for setMetaAt. trusted.overlay.* (and user.overlay.*) is dropped: in a tar it would let a layer forge
 * overlay whiteouts, opaque dirs or redirects that the layer's own entries do not say.
 */
function flatXattrs(xattrs: Map<string, Buffer>): (string | Buffer)[] | null {
  if (xattrs.size === 0) return null;
  const flat: (string | Buffer)[] = [];
  for (const [name, value] of xattrs) {
    if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) continue;
    flat.push(name, value);
  }
  return flat.length === 0 ? null : flat;
}

/** A small body whole: the reader's zero-copy readAll when it has one. */
function readSmallBody(entry: TarEntry, size: number): Promise<Buffer> {
  const reader = entry as TarEntry & { readAll?(max: number): Promise<Buffer> };
  if (reader.readAll) return reader.readAll(size);
  return gatherBody(entry.body);
}

async function gatherBody(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/**
 * Streams a body to fd in flowing mode, writing each chunk synchronously as it arrives:
 * the page cache takes it at memory speed, and the reader's buffer never fills.
 */
function writeBody(body: Readable, fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    body.on('data', (chunk: Buffer) => {
      try {
        writeAll(fd, chunk);
      } catch (err) {
        body.destroy(err as Error);
      }
    });
    body.once('end', resolve);
    body.once('error', reject);
  });
}

function writeAll(fd: number, chunk: Buffer): void {
  for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off);
}
