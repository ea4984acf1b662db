// Finds and merges the registries.conf files the way containers/image does: the main file,
// then drop-ins in lexical order, then podman's recorded short-name aliases.
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { BerthError, invalidArgument, kindOfSystemError, resourceExhausted } from '../internal/errors.js';
import { compareStrings, parseRegistriesConf, type RegistriesConfFile, type RegistryEntry, type ShortNameMode, uniqueSorted } from './registries-conf.js';

export const SYSTEM_REGISTRIES_CONF = '/etc/containers/registries.conf';
export const SYSTEM_REGISTRIES_CONF_DIR = '/etc/containers/registries.conf.d';
/** Above this a registries.conf is refused rather than read (real ones are a few KiB). */
const MAX_FILE_SIZE = 4 << 20;

export interface AliasEntry {
  /** The fully qualified, normalized name the alias stands for (no tag, no digest). */
  readonly value: string;
  readonly origin: string;
}

/** The merged configuration every resolver call reads. Plain data; build once, share. */
export interface RegistriesConfig {
  /** One entry per prefix, sorted by prefix. */
  readonly registries: readonly RegistryEntry[];
  readonly unqualifiedSearchRegistries: readonly string[];
  /** The file that set unqualified-search-registries, or "" if none did. */
  readonly unqualifiedSearchRegistriesOrigin: string;
  readonly shortNameMode: ShortNameMode;
  readonly credentialHelpers: readonly string[];
  readonly aliases: ReadonlyMap<string, AliasEntry>;
  /** Every file read, in merge order, for messages like "no search registries in ...". */
  readonly sources: readonly string[];
}

/** Where c/image looks when nothing says otherwise; the default when no file sets short-name-mode. */
export const DEFAULT_SHORT_NAME_MODE: ShortNameMode = 'permissive';

/** Merges parsed files in order: later files replace scalars and lists, [[registry]] by prefix, aliases by name. */
export function mergeRegistriesConf(files: readonly RegistriesConfFile[]): RegistriesConfig {
  const registries = new Map<string, RegistryEntry>();
  const aliases = new Map<string, AliasEntry>();
  let search: readonly string[] = [];
  let searchOrigin = '';
  let mode: ShortNameMode = DEFAULT_SHORT_NAME_MODE;
  let helpers: readonly string[] | undefined;
  for (const f of files) {
    for (const reg of f.registries) registries.set(reg.prefix, reg);
    if (f.unqualifiedSearchRegistries !== undefined) {
      search = f.unqualifiedSearchRegistries;
      searchOrigin = f.origin;
    }
    if (f.shortNameMode !== undefined) mode = f.shortNameMode;
    if (f.credentialHelpers !== undefined) helpers = f.credentialHelpers;
    for (const [name, value] of f.aliases) {
      if (value === null) aliases.delete(name);
      else aliases.set(name, { value, origin: f.origin });
    }
  }
  return {
    registries: uniqueSorted([...registries.keys()].sort(compareStrings).map((p) => registries.get(p)!)),
    unqualifiedSearchRegistries: search,
    unqualifiedSearchRegistriesOrigin: searchOrigin,
    shortNameMode: mode,
    credentialHelpers: helpers === undefined || helpers.length === 0 ? ['containers-auth.json'] : helpers,
    aliases,
    sources: files.map((f) => f.origin),
  };
}

/** An empty configuration: no search registries, no rules (what a host without the files gets). */
export function emptyRegistriesConfig(): RegistriesConfig {
  return mergeRegistriesConf([]);
}

/** Parses one TOML text as a complete configuration (tests, and callers holding the text). */
export function registriesConfigFromText(text: string, origin = '<inline>'): RegistriesConfig {
  return mergeRegistriesConf([parseRegistriesConf(text, origin)]);
}

export interface LoadRegistriesConfOptions {
  /** The main file. Default: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf if it exists, else /etc/containers/registries.conf. A file named here must exist. */
  path?: string;
  /** Drop-in directories, read in this order. Default per containers-registries.conf.d(5). */
  dropInDirs?: string[];
  /** podman's recorded aliases (they win over registries.conf). null: none. Default by user, see below. */
  shortNameAliasesPath?: string | null;
  /** Environment for HOME, XDG_CACHE_HOME and CONTAINERS_REGISTRIES_CONF; default process.env. */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export interface RegistriesConfPaths {
  path: string;
  /** Whether a missing main file is an error (it was named explicitly). */
  required: boolean;
  dropInDirs: string[];
  shortNameAliasesPath: string | null;
}

/**
 * Decides which files to read, as c/image does: the user's registries.conf, when present,
 * replaces the system one and then only the user's drop-in directory is read.
 */
export async function registriesConfPaths(options: LoadRegistriesConfOptions = {}): Promise<RegistriesConfPaths> {
  const env = options.env ?? process.env;
  const home = env.HOME || homedir();
  const userFile = path.join(home, '.config/containers/registries.conf');
  const userDir = path.join(home, '.config/containers/registries.conf.d');
  const cacheHome = env.XDG_CACHE_HOME || path.join(home, '.cache');
  const aliases = options.shortNameAliasesPath !== undefined ? options.shortNameAliasesPath : process.getuid?.() === 0 ? '/var/cache/containers/short-name-aliases.conf' : path.join(cacheHome, 'containers/short-name-aliases.conf');
  const explicit = options.path ?? (env.CONTAINERS_REGISTRIES_CONF || undefined);
  if (explicit !== undefined) {
    return { path: explicit, required: true, dropInDirs: options.dropInDirs ?? [SYSTEM_REGISTRIES_CONF_DIR, userDir], shortNameAliasesPath: aliases };
  }
  if (await exists(userFile)) return { path: userFile, required: false, dropInDirs: options.dropInDirs ?? [userDir], shortNameAliasesPath: aliases };
  return { path: SYSTEM_REGISTRIES_CONF, required: false, dropInDirs: options.dropInDirs ?? [SYSTEM_REGISTRIES_CONF_DIR, userDir], shortNameAliasesPath: aliases };
}

/** Reads and merges every file that applies. Throws 'invalid-argument' naming the file and key for bad content. */
export async function loadRegistriesConf(options: LoadRegistriesConfOptions = {}): Promise<RegistriesConfig> {
  const where = await registriesConfPaths(options);
  const { signal } = options;
  const files: RegistriesConfFile[] = [];
  const main = await readConfigFile(where.path, where.required, signal);
  if (main !== undefined) files.push(parseRegistriesConf(main, where.path));
  for (const dir of where.dropInDirs) {
    for (const file of await dropIns(dir, signal)) {
      const text = await readConfigFile(file, false, signal); // removed since listing: skip, as c/image does
      if (text !== undefined) files.push(parseRegistriesConf(text, file, { dropIn: true }));
    }
  }
  if (where.shortNameAliasesPath) {
    const text = await readConfigFile(where.shortNameAliasesPath, false, signal);
    if (text !== undefined) {
      const recorded = parseRegistriesConf(text, where.shortNameAliasesPath, { dropIn: true });
      files.push({ origin: recorded.origin, registries: [], aliases: recorded.aliases });
    }
  }
  return mergeRegistriesConf(files);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The *.conf regular files of a directory, lexically sorted; a missing directory has none. */
async function dropIns(dir: string, signal?: AbortSignal): Promise<string[]> {
  signal?.throwIfAborted();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const kind = kindOfSystemError(e);
    if (kind === 'not-found') return [];
    throw BerthError.wrap(e, `cannot read registries.conf.d directory ${dir}`);
  }
  const files: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.conf')).sort(compareStrings)) {
    const full = path.join(dir, name);
    try {
      if ((await stat(full)).isFile()) files.push(full);
    } catch {
      // vanished between listing and stat: nothing to read
    }
  }
  return files;
}

async function readConfigFile(file: string, required: boolean, signal?: AbortSignal): Promise<string | undefined> {
  signal?.throwIfAborted();
  try {
    // Size and type first: a FIFO or a huge file would otherwise hang or fill memory.
    const info = await stat(file);
    if (!info.isFile()) throw invalidArgument(`cannot load registries configuration ${file}: not a regular file`);
    if (info.size > MAX_FILE_SIZE) throw resourceExhausted(`cannot load registries configuration ${file}: larger than ${MAX_FILE_SIZE} bytes`);
    return (await readFile(file, { signal })).toString('utf8');
  } catch (e) {
    if (e instanceof BerthError) throw e;
    if (!required && kindOfSystemError(e) === 'not-found') return undefined;
    throw BerthError.wrap(e, `cannot load registries configuration ${file}`);
  }
}
