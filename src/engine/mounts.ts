// docker's -v, --mount and --tmpfs syntaxes into checked MountRequests: absolute, normalised
// destinations (never "/" or a path that climbs out), host sources that exist.
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { invalidArgument, notFound, unsupported } from '../internal/errors.js';
import type { MountRequest } from './container.js';

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

/** A destination inside the container: absolute, normalised, not the root itself. */
export function checkDestination(dest: string, flag: string): string {
  if (!dest.startsWith('/')) throw invalidArgument(`invalid ${flag} destination "${dest}": must be an absolute path`);
  if (dest.includes('\0')) throw invalidArgument(`invalid ${flag} destination: contains a NUL byte`);
  const norm = path.posix.normalize(dest).replace(/\/+$/, '') || '/';
  if (norm === '/') throw invalidArgument(`invalid ${flag} destination "${dest}": cannot mount over the container's root`);
  return norm;
}

function checkSource(src: string, flag: string): string {
  if (!src.startsWith('/')) {
    throw unsupported(`invalid ${flag} source "${src}": named volumes are not supported yet; give an absolute host path`);
  }
  const abs = path.resolve(src);
  try {
    statSync(abs);
  } catch {
    throw notFound(`invalid ${flag} source "${src}": no such file or directory on the host`);
  }
  return abs;
}

/** -v /host:/ctr[:ro|rw][,propagation] */
export function parseVolume(text: string): MountRequest {
  const parts = text.split(':');
  if (parts.length < 2 || parts.length > 3) {
    if (parts.length === 1) throw unsupported(`invalid -v "${text}": anonymous volumes are not supported yet; use --tmpfs or host:container`);
    throw invalidArgument(`invalid -v "${text}": want /host/path:/container/path[:ro]`);
  }
  const [src, dest, opts = ''] = parts;
  let readonly = false;
  let propagation: string | undefined;
  for (const o of opts.split(',').filter(Boolean)) {
    if (o === 'ro') readonly = true;
    else if (o === 'rw') readonly = false;
    else if (PROPAGATIONS.includes(o)) propagation = o;
    else if (o === 'z' || o === 'Z') continue;
    else throw invalidArgument(`invalid -v option "${o}" in "${text}": want ro, rw or a propagation`);
  }
  return { type: 'bind', source: checkSource(src, '-v'), destination: checkDestination(dest, '-v'), readonly, ...(propagation ? { propagation } : {}) };
}

/** --mount type=bind,source=/a,target=/b[,readonly][,bind-propagation=rshared] and type=tmpfs,target=/t[,tmpfs-size=..] */
export function parseMount(text: string): MountRequest {
  const kv = new Map<string, string>();
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    kv.set(key, eq < 0 ? 'true' : field.slice(eq + 1));
  }
  const type = kv.get('type') ?? 'volume';
  const target = kv.get('target') ?? kv.get('destination') ?? kv.get('dst');
  if (!target) throw invalidArgument(`invalid --mount "${text}": target is required`);
  const readonly = ['readonly', 'ro'].some((k) => kv.has(k) && kv.get(k) !== 'false' && kv.get(k) !== '0');
  if (type === 'bind') {
    const src = kv.get('source') ?? kv.get('src');
    if (!src) throw invalidArgument(`invalid --mount "${text}": source is required for a bind mount`);
    const propagation = kv.get('bind-propagation');
    if (propagation && !PROPAGATIONS.includes(propagation)) throw invalidArgument(`invalid --mount bind-propagation "${propagation}"`);
    return { type: 'bind', source: checkSource(src, '--mount'), destination: checkDestination(target, '--mount'), readonly, ...(propagation ? { propagation } : {}) };
  }
  if (type === 'tmpfs') {
    const options: string[] = [];
    const size = kv.get('tmpfs-size');
    if (size) options.push(`size=${size}`);
    const mode = kv.get('tmpfs-mode');
    if (mode) options.push(`mode=${mode}`);
    if (readonly) options.push('ro');
    return { type: 'tmpfs', destination: checkDestination(target, '--mount'), options };
  }
  throw unsupported(`invalid --mount type "${type}": berth supports bind and tmpfs (volumes come later)`);
}

/** --tmpfs /run[:size=64m,mode=1777] */
export function parseTmpfs(text: string): MountRequest {
  const colon = text.indexOf(':');
  const dest = colon < 0 ? text : text.slice(0, colon);
  const options = colon < 0 ? [] : text.slice(colon + 1).split(',').filter(Boolean);
  for (const o of options) {
    if (!/^[a-z_]+(=[A-Za-z0-9.%:-]+)?$/.test(o)) throw invalidArgument(`invalid --tmpfs option "${o}"`);
  }
  return { type: 'tmpfs', destination: checkDestination(dest, '--tmpfs'), options };
}
