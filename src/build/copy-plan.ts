// COPY/ADD sources -> the tar entries of one layer, plus a hash of what is copied (names,
// modes, owners, link targets, file contents; never timestamps) for the build cache key.
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TarHeader } from '../archive/index.js';
import { tarHeader } from '../archive/index.js';
import { invalidArgument, notFound } from '../internal/errors.js';
import { HardlinkTracker, headerFromStat, sortNames } from '../layer/headers.js';
import type { PackItem } from '../layer/pack.js';
import type { FileHasher } from './file-hash.js';
import type { IgnoreMatcher } from './ignore.js';
import { cleanInside, resolveInRoot } from './scoped-path.js';

export interface SourceRoot {
  /** Host directory the sources are named in (the context, or a stage's mounted rootfs). */
  root: string;
  /** What the context excludes (.dockerignore); absent for stages and images. */
  ignore?: IgnoreMatcher;
  /** Keep the owners of the files (COPY --from); the context's files become root's. */
  keepOwners: boolean;
  /** Shown in errors: "the build context", "stage build". */
  label: string;
}

export interface CopyOptions {
  /** Absolute destination in the image, after WORKDIR; a trailing "/" means a directory. */
  dest: string;
  chown?: { uid: number; gid: number };
  chmod?: number;
  /** Whether an absolute path is a directory in the image being built (follows the image's symlinks). */
  isDirInImage: (abs: string) => boolean;
  /** Metadata of an existing directory in the image, for parent entries. */
  statInImage: (abs: string) => fs.Stats | undefined;
  hasher: FileHasher;
}

export interface CopyPlan {
  items: PackItem[];
  /** sha256 over everything that decides the layer's content. */
  hash: string;
}

const GLOB = /[*?[]/;

/** Expands sources (globs included) to paths relative to the root; refuses `..` escapes. */
export function expandSources(src: SourceRoot, sources: string[]): string[] {
  const out: string[] = [];
  for (const s of sources) {
    const norm = path.posix.normalize(s.replace(/^\/+/, '') || '.');
    if (norm === '..' || norm.startsWith('../')) {
      throw invalidArgument(`cannot copy ${s}: the path is outside ${src.label}`);
    }
    const rel = cleanInside(norm);
    if (!GLOB.test(rel)) {
      out.push(rel);
      continue;
    }
    const matches = globIn(src, rel.split('/'));
    if (matches.length === 0) throw notFound(`cannot copy ${s}: no source files match in ${src.label}`);
    out.push(...matches);
  }
  return out;
}

function globIn(src: SourceRoot, parts: string[]): string[] {
  let current = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const dir of current) {
      if (!GLOB.test(part)) {
        next.push(dir ? `${dir}/${part}` : part);
        continue;
      }
      const re = globRegex(part);
      let names: string[];
      try {
        names = fs.readdirSync(resolveInRoot(src.root, dir, { followLast: true }));
      } catch {
        continue;
      }
      for (const n of sortNames(names)) if (re.test(n)) next.push(dir ? `${dir}/${n}` : n);
    }
    current = next;
  }
  return current.filter((rel) => !src.ignore?.excluded(rel) && exists(resolveInRoot(src.root, rel)));
}

function globRegex(part: string): RegExp {
  let re = '^';
  for (let i = 0; i < part.length; i++) {
    const ch = part[i];
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = part.indexOf(']', i + 1);
      if (end === -1) throw invalidArgument(`invalid pattern "${part}": unterminated [`);
      const cls = part.slice(i + 1, end);
      re += `[${cls.startsWith('^') || cls.startsWith('!') ? `^${cls.slice(1)}` : cls}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < part.length) re += `\\${part[++i]}`;
    else re += /[.+^${}()|\\]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`${re}$`);
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** One source: a path (from expandSources) in a root. */
export interface CopySource {
  src: SourceRoot;
  rel: string;
}

/** Plans the layer for copying `sources` to `options.dest`, docker's destination rules. */
export function planCopy(sources: CopySource[], options: CopyOptions): CopyPlan {
  const hash = createHash('sha256');
  const items: PackItem[] = [];
  const emitted = new Set<string>();
  const links = new HardlinkTracker();
  const destDir = options.dest.endsWith('/');
  const dest = path.posix.normalize(options.dest);
  if (sources.length > 1 && !destDir && !options.isDirInImage(dest)) {
    throw invalidArgument(`cannot copy ${sources.length} sources to ${options.dest}: with more than one source the destination must be a directory and end with a /`);
  }
  const push = (header: TarHeader, file?: string) => {
    if (emitted.has(header.name)) return;
    emitted.add(header.name);
    hash.update(`${header.name}\0${header.type}\0${header.mode}\0${header.uid}\0${header.gid}\0${header.linkname}\0${header.size}\0`);
    if (header.type === 'file' && file && header.size > 0) hash.update(options.hasher.hash(file));
    items.push(file ? { header, file } : { header });
  };
  const parents = (abs: string) => {
    const parts = abs.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const p = `/${parts.slice(0, i).join('/')}`;
      const st = options.statInImage(p);
      push(
        tarHeader({
          name: `${p.slice(1)}/`,
          type: 'directory',
          mode: st ? st.mode & 0o7777 : 0o755,
          uid: st ? st.uid : 0,
          gid: st ? st.gid : 0,
          mtime: st ? Math.floor(st.mtimeMs / 1000) : 0,
        }),
      );
    }
  };
  const adjust = (src: SourceRoot, h: TarHeader): TarHeader => {
    if (options.chown) {
      h.uid = options.chown.uid;
      h.gid = options.chown.gid;
    } else if (!src.keepOwners) {
      h.uid = 0;
      h.gid = 0;
    }
    if (options.chmod !== undefined && h.type !== 'symlink') h.mode = options.chmod;
    return h;
  };
  for (const { src, rel } of sources) {
    if (src.ignore?.excluded(rel) && rel !== '') throw notFound(`cannot copy ${rel}: it is excluded by the ignore file of ${src.label}`);
    const host = resolveInRoot(src.root, rel, { followLast: true });
    let st: BigIntStats;
    try {
      st = fs.statSync(host, { bigint: true });
    } catch {
      throw notFound(`cannot copy ${rel || '.'}: no such file or directory in ${src.label}`);
    }
    const hostRel = path.relative(src.root, host).split(path.sep).join('/');
    if (st.isDirectory()) {
      const target = dest === '/' ? '' : dest.slice(1);
      parents(`/${target}/x`);
      if (target !== '') {
        const h = headerFromStat(target, host, st, undefined, {})!;
        push(adjust(src, h));
      }
      walkInto(src, host, hostRel, target, (h, file) => push(adjust(src, h), file), links);
    } else {
      const to = destDir || options.isDirInImage(dest) ? path.posix.join(dest, path.posix.basename(rel || host)) : dest;
      parents(to);
      const h = headerFromStat(to.slice(1), host, st, links, {});
      if (h) push(adjust(src, h), h.type === 'file' ? host : undefined);
    }
  }
  return { items, hash: hash.digest('hex') };
}

/** Every entry under `dir` (sorted, parents first), named under `target`, skipping ignored ones. */
function walkInto(
  src: SourceRoot,
  dir: string,
  dirRel: string,
  target: string,
  emit: (h: TarHeader, file?: string) => void,
  links: HardlinkTracker,
): void {
  const prune = src.ignore && !src.ignore.hasExceptions;
  for (const name of sortNames(fs.readdirSync(dir))) {
    const full = path.join(dir, name);
    const rel = dirRel ? `${dirRel}/${name}` : name;
    const excluded = src.ignore?.excluded(rel) ?? false;
    const st = fs.lstatSync(full, { bigint: true });
    if (excluded && (prune || !st.isDirectory())) continue;
    const to = target ? `${target}/${name}` : name;
    if (!excluded) {
      const h = headerFromStat(to, full, st, links, {});
      if (h) emit(h, h.type === 'file' ? full : undefined);
    }
    if (st.isDirectory()) walkInto(src, full, rel, to, emit, links);
  }
}
