// Layers from directories: a whole tree (a rootfs, a vfs layer, an import) or an overlay
// upper directory, whose whiteout devices and opaque xattrs become the spec's .wh. entries.
import type { BigIntStats } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tarHeader } from '../archive/index.js';
import * as sys from '../internal/sys.js';
import { HardlinkTracker, type HeaderOptions, headerFromStat } from './headers.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './names.js';
import { type LayerBlob, type PackItem, type PackOptions, packLayer } from './pack.js';
import { type WalkedFile, walkTree } from './walk.js';

export interface CreateOptions extends PackOptions, HeaderOptions {
  /**
   * Entries the caller keeps out of the layer (the runtime's empty mount points, say):
   * `rel` is "/"-separated without a leading slash. Only the entry itself is left out.
   */
  exclude?: (rel: string, st: BigIntStats, full: string) => boolean;
}

/**
 * A deterministic layer of every file under `dir` (not `dir` itself): names sorted, parents
 * before children, no atime/ctime, no user or group names, whole-second mtimes unless
 * asked, so the same tree gives the same bytes and digests.
 */
export function createLayerFromDirectory(dir: string, options: CreateOptions = {}): LayerBlob {
  return packLayer(treeItems(dir, options), options);
}

function* treeItems(dir: string, options: CreateOptions): Generator<PackItem> {
  const links = new HardlinkTracker();
  for (const f of walkTree(dir, options.signal)) {
    const header = headerFromStat(f.rel, f.full, f.st, links, options);
    if (header) yield { header, file: f.full };
  }
}

/**
 * A plain tar of one path (file, symlink or whole tree, not followed if a symlink) whose
 * entries are named under `name`: what `cp CONTAINER:PATH -` writes, as docker does.
 */
export function createArchiveOfPath(src: string, name: string, options: CreateOptions = {}): LayerBlob {
  return packLayer(pathItems(src, name, options), { ...options, compression: 'none' });
}

function* pathItems(src: string, name: string, options: CreateOptions): Generator<PackItem> {
  const links = new HardlinkTracker();
  const st = fs.lstatSync(src, { bigint: true });
  const top = headerFromStat(name, src, st, links, options);
  if (top) yield { header: top, file: src };
  if (!st.isDirectory()) return;
  for (const f of walkTree(src, options.signal)) {
    const header = headerFromStat(`${name}/${f.rel}`, f.full, f.st, links, options);
    if (header) yield { header, file: f.full };
  }
}

/** Overlay marks a directory opaque with this xattr (user.overlay.* on userxattr mounts). */
const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];

/**
 * A layer from an overlay upper directory: a whiteout (char device 0/0) becomes an empty
 * `.wh.NAME` file and an opaque directory gets a `DIR/.wh..wh..opq` entry after it.
 * `lowerDirs` (top first), when given, drop whiteouts that hide nothing in any lower.
 */
export function createLayerFromOverlayUpper(upperDir: string, lowerDirs: string[] = [], options: CreateOptions = {}): LayerBlob {
  return packLayer(upperItems(upperDir, lowerDirs, options), options);
}

function* upperItems(upperDir: string, lowerDirs: string[], options: CreateOptions): Generator<PackItem> {
  const links = new HardlinkTracker();
  for (const f of walkTree(upperDir, options.signal)) {
    if (isWhiteoutDevice(f)) {
      if (lowerDirs.length > 0 && !lowerDirs.some((l) => exists(path.join(l, f.rel)))) continue;
      yield { header: whiteoutHeader(f, options) };
      continue;
    }
    if (options.exclude?.(f.rel, f.st, f.full)) continue;
    const header = headerFromStat(f.rel, f.full, f.st, links, options);
    if (!header) continue;
    yield { header, file: f.full };
    if (f.st.isDirectory() && isOpaque(f.full)) {
      yield { header: { ...whiteoutHeader(f, options), name: `${f.rel}/${OPAQUE_MARKER}` } };
    }
  }
}

export function isWhiteoutDevice(f: WalkedFile): boolean {
  return f.st.isCharacterDevice() && f.st.rdev === 0n;
}

export function isOpaque(dir: string): boolean {
  return OPAQUE_XATTRS.some((name) => sys.lgetxattr(dir, name)?.toString() === 'y');
}

/** `.wh.NAME` next to where NAME was: an empty file with the whiteout's owner and time. */
function whiteoutHeader(f: WalkedFile, options: HeaderOptions) {
  const slash = f.rel.lastIndexOf('/');
  const name = `${f.rel.slice(0, slash + 1)}${WHITEOUT_PREFIX}${f.rel.slice(slash + 1)}`;
  return tarHeader({
    name,
    type: 'file',
    mode: 0o600,
    uid: Number(f.st.uid),
    gid: Number(f.st.gid),
    mtime: options.mtime ?? Number(f.st.mtimeNs / 1_000_000_000n),
  });
}

function exists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
