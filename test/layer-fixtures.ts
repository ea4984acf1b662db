// Test helpers for layer tests: a raw ustar/pax writer that writes whatever it is told
// (hostile names included, which a careful writer would refuse), and tree snapshots.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as sys from '../src/internal/sys.js';

export interface RawEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  body?: string | Buffer;
  /** Declared size, when it should differ from the body's. */
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string | Buffer>;
}

const FLAGS = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', directory: '5', fifo: '6' };

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function headerBlock(name: string, flag: string, size: number, e: RawEntry): Buffer {
  const b = Buffer.alloc(512);
  b.write(name.slice(0, 100), 0, 'utf8');
  b.write(octal(e.mode ?? (flag === '5' ? 0o755 : 0o644), 8), 100);
  b.write(octal(e.uid ?? 0, 8), 108);
  b.write(octal(e.gid ?? 0, 8), 116);
  b.write(octal(size, 12), 124);
  b.write(octal(e.mtime ?? 1_700_000_000, 12), 136);
  b.write('        ', 148);
  b.write(flag, 156);
  b.write((e.linkname ?? '').slice(0, 100), 157);
  b.write('ustar\x0000', 257, 'binary');
  b.write(octal(e.devmajor ?? 0, 8), 329);
  b.write(octal(e.devminor ?? 0, 8), 337);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return b;
}

function pad(n: number): Buffer {
  return Buffer.alloc((512 - (n % 512)) % 512);
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len++;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** A complete tar (with end marker) of exactly these entries. */
export function rawTar(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    const records: Buffer[] = [];
    if (Buffer.byteLength(e.name) > 100) records.push(paxRecord('path', Buffer.from(e.name)));
    if (e.linkname && Buffer.byteLength(e.linkname) > 100) records.push(paxRecord('linkpath', Buffer.from(e.linkname)));
    for (const [k, v] of Object.entries(e.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${k}`, Buffer.from(v)));
    if (records.length > 0) {
      const pax = Buffer.concat(records);
      parts.push(headerBlock('PaxHeader', 'x', pax.length, { name: 'PaxHeader' }), pax, pad(pax.length));
    }
    const size = e.size ?? (type === 'file' ? body.length : 0);
    parts.push(headerBlock(e.name, FLAGS[type], size, e), body, pad(body.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export interface NodeSnapshot {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  link?: string;
  rdev?: number;
  mtime?: number;
  nlink?: number;
  xattrs?: Record<string, string>;
}

/** Everything tar and layers are expected to keep, per path, for deepEqual comparisons. */
export function snapshotTree(root: string, options: { mtimes?: boolean; dirMtimes?: boolean } = {}): Record<string, NodeSnapshot> {
  const out: Record<string, NodeSnapshot> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(full);
      const snap: NodeSnapshot = { type: typeOf(st), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (st.isFile()) {
        snap.size = st.size;
        snap.sha256 = createHash('sha256').update(fs.readFileSync(full)).digest('hex');
        snap.nlink = st.nlink;
      }
      if (st.isSymbolicLink()) {
        snap.link = fs.readlinkSync(full);
        delete (snap as Partial<NodeSnapshot>).mode;
      }
      if (st.isCharacterDevice() || st.isBlockDevice()) snap.rdev = st.rdev;
      if (options.mtimes && (!st.isDirectory() || options.dirMtimes)) snap.mtime = Math.floor(st.mtimeMs / 1000);
      const xattrs: Record<string, string> = {};
      for (const x of sys.llistxattr(full).sort()) {
        if (x === 'security.selinux') continue;
        xattrs[x] = sys.lgetxattr(full, x)?.toString('hex') ?? '';
      }
      if (Object.keys(xattrs).length > 0) snap.xattrs = xattrs;
      out[r] = snap;
      if (st.isDirectory()) walk(full, r);
    }
  };
  walk(root, '');
  return out;
}

function typeOf(st: fs.Stats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'other';
}

/** A directory outside every target, with one file, to prove nothing escaped. */
export function makeSentinel(base: string): { dir: string; untouched(): boolean } {
  const dir = fs.mkdtempSync(path.join(base, 'sentinel-'));
  fs.writeFileSync(path.join(dir, 'file'), 'original');
  const before = JSON.stringify(snapshotTree(dir, { mtimes: true }));
  return { dir, untouched: () => JSON.stringify(snapshotTree(dir, { mtimes: true })) === before };
}
