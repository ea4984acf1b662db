// docker's -v, --mount and --tmpfs syntaxes into checked MountRequests: absolute, normalised
// destinations (never "/" or a path that climbs out), host sources that exist (a -v host dir
// that does not is made at the start, as docker's daemon makes it), volume names by docker's
// rule (a source that is no absolute path names a volume).
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { invalidArgument, notFound, unsupported } from '../internal/errors.js';
import { parseGoBool } from '../internal/go-bool.js';
import { parseRamBytes } from '../runtime/cgroups.js';
import { checkVolumeName } from './volumes.js';
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

/** A --mount type=bind source: it must be there (docker's words when it is not). */
function checkBindSource(src: string): string {
  const abs = path.resolve(src);
  try {
    statSync(abs);
  } catch {
    throw notFound(`invalid mount config for type "bind": bind source path does not exist: ${abs}`);
  }
  return abs;
}

/**
 * -v /host:/ctr[:ro|rw][,propagation] (./host and ../host too, from the working directory),
 * -v NAME:/ctr[:ro|rw][,nocopy] (a named volume, made if missing) and -v /ctr (an anonymous volume).
 */
export function parseVolume(text: string): MountRequest {
  const parts = text.split(':');
  if (parts.length === 1) {
    if (!text.startsWith('/')) throw invalidArgument(`invalid -v "${text}": an anonymous volume needs an absolute container path`);
    return { type: 'volume', name: '', destination: checkDestination(text, '-v'), readonly: false };
  }
  // dockerd's words (its linux parser) for a spec it refuses.
  if (parts.length > 3) throw invalidArgument(`invalid volume specification: '${text}'`);
  const [src, dest, opts = ''] = parts;
  // docker's CLI (23 and later) takes a source that starts with "." ("./dir", "../dir", "."),
  // as a host path relative to where it runs; any other that is not absolute names a volume.
  const isVolume = !src.startsWith('/') && !src.startsWith('.');
  const type = isVolume ? 'volume' : 'bind';
  const refused = (why: string) => invalidArgument(`invalid volume specification: '${text}': invalid mount config for type "${type}": ${why}`);
  if (!checkVolumeMode(opts)) throw invalidArgument(`invalid mode: ${opts}`);
  let readonly = false;
  let nocopy = false;
  let propagation: string | undefined;
  for (const o of opts.split(',').filter(Boolean)) {
    if (o === 'ro') readonly = true;
    else if (PROPAGATIONS.includes(o)) {
      if (isVolume) throw invalidArgument(`invalid -v option "${o}" in "${text}": a propagation is for a host path, not a volume`);
      propagation = o;
    } else if (o === 'nocopy') {
      if (!isVolume) throw refused('field VolumeOptions must not be specified');
      nocopy = true;
    }
  }
  if (!dest.startsWith('/')) throw refused(`invalid mount path: '${dest}' mount path must be absolute`);
  if (path.posix.normalize(dest).replace(/\/+$/, '') === '') throw refused("invalid specification: destination can't be '/'");
  if (isVolume) {
    const name = checkVolumeName(src);
    return { type: 'volume', name, destination: checkDestination(dest, '-v'), readonly, ...(nocopy ? { nocopy } : {}) };
  }
  // docker's -v makes a missing host dir at the start (--mount's source must exist).
  const source = path.resolve(src);
  if (source.includes('\0')) throw invalidArgument(`invalid -v source "${src}": contains a NUL byte`);
  return { type: 'bind', source, destination: checkDestination(dest, '-v'), readonly, ...(propagation ? { propagation } : {}), createSource: true };
}

/**
 * dockerd's check of a -v mode: each word one of rw/ro, z/Z, a propagation, nocopy or a
 * consistency (consistent, cached, delegated), and each kind at most once.
 */
function checkVolumeMode(mode: string): boolean {
  if (mode === '') return true;
  const kinds = [['rw', 'ro'], ['z', 'Z'], PROPAGATIONS, ['nocopy'], ['consistent', 'cached', 'delegated']];
  const counts = kinds.map(() => 0);
  for (const o of mode.split(',')) {
    const k = kinds.findIndex((words) => words.includes(o));
    if (k < 0) return false;
    counts[k]++;
  }
  return counts.every((n) => n <= 1);
}

/**
 * --mount type=bind,source=/a,target=/b[,readonly][,bind-propagation=rshared],
 * type=volume[,source=NAME],target=/v[,readonly][,volume-nocopy][,volume-label=K=V]
 * [,volume-driver=local][,volume-opt=K=V] (no source: anonymous; the labels and options are for
 * a volume the create makes, checked then, as docker's daemon checks them) and
 * type=tmpfs,target=/t[,tmpfs-size=..]
 */
export function parseMount(text: string): MountRequest {
  const { kv, labels, driverOptions, flag, type, target, source } = mountFields(text);
  // dockerd's words for a mount it refuses (docker's CLI checked the fields: checkMountFlag).
  const refused = (why: string) => invalidArgument(`invalid mount config for type ${JSON.stringify(type)}: ${why}`);
  if (!target) throw invalidArgument(`invalid --mount "${text}": target is required`);
  if (['bind', 'tmpfs', 'volume'].includes(type) && !target.startsWith('/')) throw refused(`invalid mount path: '${target}' mount path must be absolute`);
  const readonly = ['readonly', 'ro'].some(flag);
  if (type === 'bind') {
    const src = source;
    if (!src) throw refused('field Source must not be empty');
    const propagation = kv.get('bind-propagation');
    if (propagation && !PROPAGATIONS.includes(propagation)) throw refused(`invalid propagation mode: ${propagation}`);
    return { type: 'bind', source: checkBindSource(src), destination: checkDestination(target, '--mount'), readonly, ...(propagation ? { propagation } : {}) };
  }
  if (type === 'tmpfs') {
    if (source) throw refused('field Source must not be specified');
    const options: string[] = [];
    const size = kv.get('tmpfs-size');
    if (size) options.push(`size=${parseRamBytes(size)}`);
    const mode = kv.get('tmpfs-mode');
    if (mode) options.push(`mode=${mode}`);
    if (readonly) options.push('ro');
    return { type: 'tmpfs', destination: checkDestination(target, '--mount'), options };
  }
  if (type === 'volume') {
    const driver = kv.get('volume-driver');
    if (driver !== undefined && driver !== 'local') {
      throw unsupported(`invalid --mount volume-driver "${driver}": berth has docker's local volume driver only (driver "local")`);
    }
    const src = source ?? '';
    const name = src === '' ? '' : checkVolumeName(src);
    const nocopy = flag('volume-nocopy');
    return {
      type: 'volume',
      name,
      destination: checkDestination(target, '--mount'),
      readonly,
      ...(nocopy ? { nocopy } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(Object.keys(driverOptions).length > 0 ? { driverOptions } : {}),
    };
  }
  if (type === 'npipe' || type === 'cluster' || type === 'image') throw unsupported(`invalid --mount type "${type}": berth supports bind, volume and tmpfs`);
  throw refused('mount type unknown');
}

/** The fields of a --mount value docker's CLI knows; a bare one of BARE_MOUNT_FIELDS is true. */
const MOUNT_FIELDS = new Set([
  'type', 'source', 'src', 'target', 'dst', 'destination', 'readonly', 'ro', 'consistency', 'bind-propagation', 'bind-nonrecursive',
  'bind-recursive', 'bind-create-mountpoint', 'volume-subpath', 'volume-nocopy', 'volume-label', 'volume-driver', 'volume-opt', 'image-subpath',
  'tmpfs-size', 'tmpfs-mode',
]);
const BARE_MOUNT_FIELDS = new Set(['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-mountpoint']);

/**
 * docker's CLI's check of a --mount value (the why of its flag error, 125): each field KEY=VALUE
 * (a few bare), known keys, Go bools, a tmpfs size and an octal mode, a type and a target, and
 * the bind-, volume- and tmpfs- options only with their own type.
 */
export function checkMountFlag(text: string): void {
  let type = 'volume';
  let target = '';
  const groups = new Set<string>();
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const value = field.slice(eq + 1);
    if (eq < 0) {
      if (!BARE_MOUNT_FIELDS.has(key)) throw invalidArgument(`invalid field '${field}' must be a key=value pair`);
    } else if (!MOUNT_FIELDS.has(key)) throw invalidArgument(`unexpected key '${key}' in '${field}'`);
    const bad = () => invalidArgument(`invalid value for ${key}: ${value}`);
    if (key === 'type') type = value.toLowerCase();
    else if (key === 'target' || key === 'dst' || key === 'destination') target = value;
    else if (eq >= 0 && BARE_MOUNT_FIELDS.has(key) && parseGoBool(value) === undefined) throw bad();
    else if (key === 'tmpfs-size' && !tryParse(() => parseRamBytes(value))) throw bad();
    else if (key === 'tmpfs-mode' && !(/^[0-7]+$/.test(value) && Number.parseInt(value, 8) <= 0xffffffff)) throw bad();
    for (const g of ['bind', 'volume', 'tmpfs']) if (key.startsWith(`${g}-`)) groups.add(g);
  }
  if (type === '') throw invalidArgument('type is required');
  if (target === '') throw invalidArgument('target is required');
  for (const g of ['volume', 'bind', 'tmpfs']) {
    if (groups.has(g) && type !== g) throw invalidArgument(`cannot mix '${g}-*' options with mount type '${type}'`);
  }
}

function tryParse(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}

/** A --mount value's fields: KEY=VALUE (a bare KEY is true), the volume labels and options apart. */
function mountFields(text: string) {
  const kv = new Map<string, string>();
  const labels: Record<string, string> = {};
  const driverOptions: Record<string, string> = {};
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? 'true' : field.slice(eq + 1);
    if (key === 'volume-label' || key === 'volume-opt') {
      // volume-opt=KEY=VALUE; docker's CLI takes a bare volume-opt=KEY as KEY with no value.
      const leq = value.indexOf('=');
      (key === 'volume-label' ? labels : driverOptions)[leq < 0 ? value : value.slice(0, leq)] = leq < 0 ? '' : value.slice(leq + 1);
    } else kv.set(key, value);
  }
  const flag = (k: string) => kv.has(k) && parseGoBool(kv.get(k) as string) !== false;
  return {
    kv,
    labels,
    driverOptions,
    flag,
    type: kv.get('type') ?? 'volume',
    target: kv.get('target') ?? kv.get('destination') ?? kv.get('dst'),
    source: kv.get('source') ?? kv.get('src'),
  };
}

/** docker's HostConfig.Mounts entry (api/types/mount.Mount) for a --mount value parseMount took. */
export function dockerMount(text: string): Record<string, unknown> {
  const { kv, labels, driverOptions, flag, type, target, source } = mountFields(text);
  const out: Record<string, unknown> = { Type: type, ...(source ? { Source: source } : {}), Target: target ?? '' };
  if (['readonly', 'ro'].some(flag)) out.ReadOnly = true;
  const propagation = kv.get('bind-propagation');
  if (type === 'bind' && propagation) out.BindOptions = { Propagation: propagation };
  const optionKeys = Object.keys(driverOptions).sort();
  if (type === 'volume' && (flag('volume-nocopy') || Object.keys(labels).length > 0 || kv.has('volume-driver') || optionKeys.length > 0)) {
    out.VolumeOptions = {
      ...(flag('volume-nocopy') ? { NoCopy: true } : {}),
      ...(Object.keys(labels).length > 0 ? { Labels: labels } : {}),
      // docker's: {"Name":"local","Options":{...}}, the options' keys sorted as Go prints a map.
      DriverConfig: {
        ...(kv.has('volume-driver') ? { Name: kv.get('volume-driver') } : {}),
        ...(optionKeys.length > 0 ? { Options: Object.fromEntries(optionKeys.map((k) => [k, driverOptions[k]])) } : {}),
      },
    };
  }
  if (type === 'tmpfs') {
    const size = kv.get('tmpfs-size');
    const mode = kv.get('tmpfs-mode');
    const options = {
      ...(size ? { SizeBytes: parseRamBytes(size) } : {}),
      ...(mode && /^[0-7]+$/.test(mode) ? { Mode: Number.parseInt(mode, 8) } : {}),
    };
    if (Object.keys(options).length > 0) out.TmpfsOptions = options;
  }
  return out;
}

/** --tmpfs /run[:size=64m,mode=1777] */
export function parseTmpfs(text: string): MountRequest {
  const colon = text.indexOf(':');
  const dest = colon < 0 ? text : text.slice(0, colon);
  const options = colon < 0 ? [] : text.slice(colon + 1).split(',').filter(Boolean);
  for (const o of options) {
    if (!/^[a-z_]+(=[A-Za-z0-9.%:-]+)?$/.test(o)) throw invalidArgument(`invalid --tmpfs option "${o}"`);
  }
  // dockerd's words.
  if (!dest.startsWith('/')) throw invalidArgument(`invalid mount path: '${dest}' mount path must be absolute`);
  return { type: 'tmpfs', destination: checkDestination(dest, '--tmpfs'), options };
}
