// One containers-registries.conf(5) file: TOML in, a checked RegistriesConfFile out. Every
// error names the file and the key; merging files is registries-load.ts's job.
import { parse as parseToml, TomlError, type TomlTable, type TomlValue } from 'smol-toml';
import { type BerthError, invalidArgument } from '../internal/errors.js';
import { isRegistryHost } from './grammar.js';
import { isShortName, parseNormalizedReference } from './normalize.js';
import { fullString, parseReference, referenceName } from './reference.js';

export type ShortNameMode = 'enforcing' | 'permissive' | 'disabled';
export type PullFromMirror = 'all' | 'digest-only' | 'tag-only';

export interface MirrorEntry {
  /** host[:port][/namespace...] the prefix is rewritten to. */
  readonly location: string;
  readonly insecure: boolean;
  readonly pullFromMirror: PullFromMirror;
}

/** One [[registry]] table, checked, with prefix defaulted to location. */
export interface RegistryEntry {
  /** What user-facing names it applies to: host[:port][/ns...][/repo][:tag|@digest], or "*.host". */
  readonly prefix: string;
  /** Where the prefix really lives; "" only for a "*.host" prefix (no rewriting). */
  readonly location: string;
  readonly insecure: boolean;
  readonly blocked: boolean;
  readonly mirrorByDigestOnly: boolean;
  readonly mirrors: readonly MirrorEntry[];
  /** The file this table came from, for error messages. */
  readonly origin: string;
}

/** What one file sets; absent fields leave earlier files' settings alone when merging. */
export interface RegistriesConfFile {
  readonly origin: string;
  readonly registries: readonly RegistryEntry[];
  readonly unqualifiedSearchRegistries?: readonly string[];
  readonly shortNameMode?: ShortNameMode;
  readonly credentialHelpers?: readonly string[];
  /** short name -> fully qualified name (normalized), or null where "" erases an earlier alias. */
  readonly aliases: ReadonlyMap<string, string | null>;
}

const SHORT_NAME_MODES: readonly ShortNameMode[] = ['enforcing', 'permissive', 'disabled'];
const PULL_FROM_MIRROR: readonly PullFromMirror[] = ['all', 'digest-only', 'tag-only'];

/** Checks TOML values against the expected types, naming the file and key on mismatch. */
class Reader {
  constructor(readonly origin: string) {}

  fail(key: string, why: string): BerthError {
    return invalidArgument(`cannot load registries configuration ${this.origin}: ${key}: ${why}`);
  }

  string(table: TomlTable, key: string, path: string): string | undefined {
    const v = table[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw this.fail(path, `must be a string, not ${typeName(v)}`);
    return v;
  }

  boolean(table: TomlTable, key: string, path: string): boolean {
    const v = table[key];
    if (v === undefined) return false;
    if (typeof v !== 'boolean') throw this.fail(path, `must be true or false, not ${typeName(v)}`);
    return v;
  }

  strings(table: TomlTable, key: string, path: string): string[] | undefined {
    const v = table[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw this.fail(path, `must be an array of strings, not ${typeName(v)}`);
    return v.map((item, i) => {
      if (typeof item !== 'string') throw this.fail(`${path}[${i}]`, `must be a string, not ${typeName(item)}`);
      return item;
    });
  }

  tables(table: TomlTable, key: string, path: string): TomlTable[] {
    const v = table[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw this.fail(path, `must be an array of tables ([[${path}]]), not ${typeName(v)}`);
    return v.map((item, i) => {
      if (!isTable(item)) throw this.fail(`${path}[${i}]`, `must be a table, not ${typeName(item)}`);
      return item;
    });
  }

  table(table: TomlTable, key: string, path: string): TomlTable | undefined {
    const v = table[key];
    if (v === undefined) return undefined;
    if (!isTable(v)) throw this.fail(path, `must be a table, not ${typeName(v)}`);
    return v;
  }
}

function isTable(v: TomlValue | undefined): v is TomlTable {
  // smol-toml builds tables with a null prototype; dates are TomlDate objects.
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype;
}

function typeName(v: TomlValue): string {
  if (Array.isArray(v)) return 'an array';
  if (isTable(v)) return 'a table';
  if (typeof v === 'object') return 'a date';
  return `a ${typeof v}`;
}

/** Parses one file. `dropIn` files must use the v2 format. Unknown keys are ignored, as c/image does. */
export function parseRegistriesConf(text: string, origin: string, options: { dropIn?: boolean } = {}): RegistriesConfFile {
  const r = new Reader(origin);
  let doc: TomlTable;
  try {
    doc = parseToml(text);
  } catch (e) {
    const where = e instanceof TomlError ? ` (line ${e.line}, column ${e.column})` : '';
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw invalidArgument(`cannot load registries configuration ${origin}: malformed TOML${where}: ${first}`, { cause: e });
  }
  const v1 = r.table(doc, 'registries', 'registries');
  if (v1 !== undefined) {
    if (options.dropIn) throw r.fail('registries', 'drop-in files must use the version 2 format ([[registry]] tables)');
    const v2Keys = ['registry', 'unqualified-search-registries', 'short-name-mode', 'credential-helpers', 'aliases'].filter((k) => doc[k] !== undefined);
    if (v2Keys.length > 0) throw r.fail('registries', `mixing the version 1 format with version 2 keys (${v2Keys.join(', ')}) is not supported`);
    return convertV1(r, v1);
  }
  const registries = r.tables(doc, 'registry', 'registry').map((t, i) => readRegistry(r, t, `registry[${i}]`));
  checkConflicts(r, registries);
  const unqualified = r.strings(doc, 'unqualified-search-registries', 'unqualified-search-registries');
  const mode = r.string(doc, 'short-name-mode', 'short-name-mode');
  if (mode !== undefined && mode !== '' && !SHORT_NAME_MODES.includes(mode as ShortNameMode)) {
    throw r.fail('short-name-mode', `"${mode}" is not one of ${SHORT_NAME_MODES.join(', ')}`);
  }
  const file: { -readonly [K in keyof RegistriesConfFile]: RegistriesConfFile[K] } = {
    origin,
    registries: uniqueSorted(registries),
    aliases: readAliases(r, r.table(doc, 'aliases', 'aliases')),
  };
  if (unqualified !== undefined) file.unqualifiedSearchRegistries = unqualified.map((u, i) => searchRegistry(r, u, `unqualified-search-registries[${i}]`));
  if (mode) file.shortNameMode = mode as ShortNameMode;
  const helpers = r.strings(doc, 'credential-helpers', 'credential-helpers');
  if (helpers !== undefined) file.credentialHelpers = helpers;
  return file;
}

function readRegistry(r: Reader, t: TomlTable, path: string): RegistryEntry {
  const location = trimLocation(r, r.string(t, 'location', `${path}.location`) ?? '', `${path}.location`);
  let prefix = trimLocation(r, r.string(t, 'prefix', `${path}.prefix`) ?? '', `${path}.prefix`);
  if (prefix === '') {
    if (location === '') throw r.fail(path, 'both location and prefix are unset');
    prefix = location;
  }
  checkPrefix(r, prefix, `${path}.prefix`);
  if (location === '' && !prefix.startsWith('*.')) throw r.fail(`${path}.location`, `is unset, which only a "*.example.com" prefix allows (prefix is "${prefix}")`);
  if (location !== '') checkLocation(r, location, `${path}.location`);
  if (t['pull-from-mirror'] !== undefined) throw r.fail(`${path}.pull-from-mirror`, `must not be set for a non-mirror registry "${prefix}"`);
  const mirrorByDigestOnly = r.boolean(t, 'mirror-by-digest-only', `${path}.mirror-by-digest-only`);
  const mirrors = r.tables(t, 'mirror', `${path}.mirror`).map((m, j): MirrorEntry => {
    const mpath = `${path}.mirror[${j}]`;
    const mlocation = trimLocation(r, r.string(m, 'location', `${mpath}.location`) ?? '', `${mpath}.location`);
    if (mlocation === '') throw r.fail(`${mpath}.location`, 'a mirror needs a location');
    checkLocation(r, mlocation, `${mpath}.location`);
    const pull = r.string(m, 'pull-from-mirror', `${mpath}.pull-from-mirror`) ?? '';
    if (pull !== '' && mirrorByDigestOnly) {
      throw r.fail(`${mpath}.pull-from-mirror`, `cannot be set for mirror "${mlocation}" when mirror-by-digest-only is set for the registry "${prefix}"`);
    }
    if (pull !== '' && !PULL_FROM_MIRROR.includes(pull as PullFromMirror)) {
      throw r.fail(`${mpath}.pull-from-mirror`, `"${pull}" is not one of ${PULL_FROM_MIRROR.join(', ')}`);
    }
    return { location: mlocation, insecure: r.boolean(m, 'insecure', `${mpath}.insecure`), pullFromMirror: (pull || 'all') as PullFromMirror };
  });
  return {
    prefix,
    location,
    insecure: r.boolean(t, 'insecure', `${path}.insecure`),
    blocked: r.boolean(t, 'blocked', `${path}.blocked`),
    mirrorByDigestOnly,
    mirrors,
    origin: r.origin,
  };
}

/** Drops trailing slashes; refuses URL schemes, which the format does not take. */
function trimLocation(r: Reader, value: string, path: string): string {
  const trimmed = value.replace(/\/+$/, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) throw r.fail(path, `"${value}": URI schemes are not supported, give host[:port][/path]`);
  return trimmed;
}

/** A prefix is a "*.host" wildcard, or a host followed by an optional namespace, repository, tag or digest. */
function checkPrefix(r: Reader, prefix: string, path: string): void {
  if (prefix.includes('*')) {
    const host = prefix.slice(2);
    if (!prefix.startsWith('*.') || host.includes('*') || /[/@:]/.test(host) || !isRegistryHost(host)) {
      throw r.fail(path, `"${prefix}": a wildcard prefix must be "*." followed by a host name, without port, namespace, tag or digest`);
    }
    return;
  }
  checkLocation(r, prefix, path);
}

function checkLocation(r: Reader, value: string, path: string): void {
  const host = value.split('/', 1)[0];
  if (!isRegistryHost(host)) throw r.fail(path, `"${value}": "${host}" is not a registry host[:port]`);
  try {
    parseReference(value);
  } catch (e) {
    throw r.fail(path, `"${value}": ${(e as Error).message}`);
  }
}

function searchRegistry(r: Reader, value: string, path: string): string {
  const trimmed = trimLocation(r, value, path);
  if (!isRegistryHost(trimmed)) throw r.fail(path, `"${value}" is not a registry host[:port]`);
  return trimmed;
}

/** Tables with one location must agree on insecure and blocked (c/image's rule). */
function checkConflicts(r: Reader, registries: RegistryEntry[]): void {
  const seen = new Map<string, RegistryEntry>();
  for (const reg of registries) {
    const key = reg.location === '' ? reg.prefix : reg.location;
    const other = seen.get(key);
    if (other === undefined) {
      seen.set(key, reg);
      continue;
    }
    for (const field of ['insecure', 'blocked'] as const) {
      if (other[field] !== reg[field]) throw r.fail('registry', `registry "${key}" is defined multiple times with conflicting "${field}" settings`);
    }
  }
}

/** The first table of each prefix wins inside one file; the result is sorted by prefix. */
export function uniqueSorted(registries: Iterable<RegistryEntry>): RegistryEntry[] {
  const byPrefix = new Map<string, RegistryEntry>();
  for (const reg of registries) if (!byPrefix.has(reg.prefix)) byPrefix.set(reg.prefix, reg);
  return [...byPrefix.keys()].sort(compareStrings).map((p) => byPrefix.get(p)!);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Aliases map a short name to a fully qualified name, neither with tag nor digest. All errors are reported at once. */
function readAliases(r: Reader, table: TomlTable | undefined): Map<string, string | null> {
  const aliases = new Map<string, string | null>();
  if (table === undefined) return aliases;
  const errors: string[] = [];
  for (const [name, value] of Object.entries(table)) {
    const problem = aliasNameProblem(name) ?? (typeof value !== 'string' ? `must be a string, not ${typeName(value)}` : undefined);
    if (problem !== undefined) {
      errors.push(`aliases."${name}": ${problem}`);
      continue;
    }
    if (value === '') {
      aliases.set(name, null);
      continue;
    }
    const resolved = aliasValue(value as string);
    if (resolved.startsWith('!')) errors.push(`aliases."${name}": "${value}" ${resolved.slice(1)}`);
    else aliases.set(name, resolved);
  }
  if (errors.length > 0) throw invalidArgument(`cannot load registries configuration ${r.origin}: ${errors.join('; ')}`);
  return aliases;
}

function aliasNameProblem(name: string): string | undefined {
  let ref: ReturnType<typeof parseReference>;
  try {
    ref = parseReference(name);
  } catch (e) {
    return (e as Error).message;
  }
  if (ref.tag !== undefined) return 'a short name must not contain a tag';
  if (ref.digest !== undefined) return 'a short name must not contain a digest';
  if (!isShortName(referenceName(ref)) || /[.:]/.test(ref.registry) || ref.registry === 'localhost') return 'must be a short name, without registry';
  return undefined;
}

/** The normalized value, or "!" and the reason it is refused. */
function aliasValue(value: string): string {
  let ref: ReturnType<typeof parseReference>;
  try {
    ref = parseReference(value);
  } catch (e) {
    return `!${(e as Error).message}`;
  }
  if (ref.tag !== undefined) return '!must not contain a tag';
  if (ref.digest !== undefined) return '!must not contain a digest';
  if (!(/[.:]/.test(ref.registry) || ref.registry === 'localhost')) return '!must be a fully qualified name (registry and repository)';
  return fullString(parseNormalizedReference(value));
}

/** The deprecated version 1 tables: search, insecure and block lists of registries. */
function convertV1(r: Reader, v1: TomlTable): RegistriesConfFile {
  const list = (key: string) => {
    const t = r.table(v1, key, `registries.${key}`);
    return (t && r.strings(t, 'registries', `registries.${key}.registries`)) ?? [];
  };
  const search = list('search');
  const byLocation = new Map<string, { insecure: boolean; blocked: boolean }>();
  const entry = (location: string, path: string) => {
    const loc = trimLocation(r, location, path);
    if (loc === '') throw r.fail(path, 'must not be empty');
    checkLocation(r, loc, path);
    if (!byLocation.has(loc)) byLocation.set(loc, { insecure: false, blocked: false });
    return byLocation.get(loc)!;
  };
  for (const [i, l] of list('block').entries()) entry(l, `registries.block.registries[${i}]`).blocked = true;
  for (const [i, l] of list('insecure').entries()) entry(l, `registries.insecure.registries[${i}]`).insecure = true;
  const registries = [...byLocation].map(([location, f]): RegistryEntry => ({ prefix: location, location, ...f, mirrorByDigestOnly: false, mirrors: [], origin: r.origin }));
  return {
    origin: r.origin,
    registries: uniqueSorted(registries),
    unqualifiedSearchRegistries: search.map((s, i) => searchRegistry(r, s, `registries.search.registries[${i}]`)),
    aliases: new Map(),
  };
}
