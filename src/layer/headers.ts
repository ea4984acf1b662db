// Tar headers from what is on disk: lstat, link targets, xattrs and hardlinks turned into
// the archive contract's TarHeader, the same way every time for the same tree.
import type { BigIntStats } from 'node:fs';
import * as fs from 'node:fs';
import type { TarHeader } from '../archive/entry.js';
import * as sys from '../internal/sys.js';
import { type IdMap, toContainerId } from './idmap.js';

export interface HeaderOptions {
  /** Every entry gets this mtime (seconds), for reproducible layers; default: the file's. */
  mtime?: number;
  /** Keep sub-second mtimes (written as PAX records); default false, whole seconds. */
  subsecondTimes?: boolean;
  /** Owners as a user namespace with this mapping sees them (host ids shifted back, unmapped ones nobody). */
  idMap?: IdMap;
}

/**
 * Attributes never carried in a layer: overlay's own bookkeeping (whiteouts and opaque
 * dirs are translated, not copied) and the host's SELinux labels.
 */
export function isCarriedXattr(name: string): boolean {
  return !name.startsWith('trusted.overlay.') && !name.startsWith('user.overlay.') && name !== 'security.selinux';
}

export function readXattrs(file: string): Map<string, Buffer> {
  const xattrs = new Map<string, Buffer>();
  let names: string[];
  try {
    names = sys.llistxattr(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTSUP' || code === 'EOPNOTSUPP') return xattrs;
    throw err;
  }
  for (const name of names.sort()) {
    if (!isCarriedXattr(name)) continue;
    const value = sys.lgetxattr(file, name);
    if (value !== undefined) xattrs.set(name, value);
  }
  return xattrs;
}

/** Linux's dev_t split (glibc's gnu_dev_major/minor). */
export function devMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}
export function devMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

export type FileKind = TarHeader['type'] | 'socket';

export function kindOf(st: BigIntStats): FileKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

/**
 * Remembers the first archive name of each multiply-linked inode, so later names become
 * hardlink entries pointing at it.
 */
export class HardlinkTracker {
  private readonly seen = new Map<string, string>();

  /** The earlier name of this inode, or undefined (and `name` is recorded). */
  linkTarget(st: BigIntStats, name: string): string | undefined {
    if (st.nlink < 2n || st.isDirectory()) return undefined;
    const key = `${st.dev}:${st.ino}`;
    const first = this.seen.get(key);
    if (first !== undefined) return first;
    this.seen.set(key, name);
    return undefined;
  }
}

/**
 * The header for `name` (archive path, no leading slash; directories end in "/") from the
 * file at `file`, or undefined for sockets, which tar cannot hold.
 */
export function headerFromStat(
  name: string,
  file: string,
  st: BigIntStats,
  links: HardlinkTracker | undefined,
  options: HeaderOptions,
): TarHeader | undefined {
  const kind = kindOf(st);
  if (kind === 'socket') return undefined;
  let mtime: number;
  if (options.mtime !== undefined) mtime = options.mtime;
  else if (options.subsecondTimes) mtime = Number(st.mtimeNs) / 1e9;
  else mtime = Number(st.mtimeNs / 1_000_000_000n);
  const header: TarHeader = {
    name: kind === 'directory' ? `${name}/` : name,
    type: kind,
    mode: Number(st.mode & 0o7777n),
    uid: options.idMap ? toContainerId(Number(st.uid), options.idMap) : Number(st.uid),
    gid: options.idMap ? toContainerId(Number(st.gid), options.idMap) : Number(st.gid),
    size: 0,
    mtime,
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: readXattrs(file),
    pax: {},
  };
  const first = links?.linkTarget(st, name);
  if (first !== undefined) {
    header.type = 'hardlink';
    header.linkname = first;
    return header;
  }
  if (kind === 'file') header.size = Number(st.size);
  else if (kind === 'symlink') header.linkname = fs.readlinkSync(file, 'utf8');
  else if (kind === 'char' || kind === 'block') {
    header.devmajor = devMajor(st.rdev);
    header.devminor = devMinor(st.rdev);
  }
  return header;
}

/**
 * Sorts names in byte order of their UTF-8 (Go's sort.Strings), so layers match across
 * implementations. JS order agrees except around surrogate pairs, so only those pay.
 */
export function sortNames(names: string[]): string[] {
  if (!names.some((n) => /[\ud800-\udfff]/.test(n))) return names.sort();
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
