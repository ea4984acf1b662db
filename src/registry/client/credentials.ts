// Credentials lookup from the files users already have (containers-auth.json(5)): an explicit
// --authfile or REGISTRY_AUTH_FILE, the containers auth.json files, ~/.docker/config.json.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { BerthError, invalidArgument, unsupported } from '../../internal/errors.js';

export interface Credentials {
  username: string;
  password: string;
  /** An OAuth2 refresh token stored instead of a password (docker's `identitytoken`). */
  identityToken?: string;
  /** Which file or helper they came from, for messages. */
  source?: string;
}

export interface CredentialOptions {
  /** --authfile: read first, and the file logins write to. */
  authFile?: string;
  /** Environment to read HOME, XDG_*, REGISTRY_AUTH_FILE, DOCKER_CONFIG and PATH from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** docker.io's other spellings, all stored and looked up as "docker.io". */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** An auths key reduced to host[/path]: schemes, docker's "/v1/" suffix and hub aliases removed. */
export function normalizeAuthKey(key: string): string {
  let k = key.trim();
  k = k.replace(/^https?:\/\//i, '');
  k = k.replace(/\/+$/, '');
  k = k.replace(/\/v[12]$/, '');
  const slash = k.indexOf('/');
  const host = (slash === -1 ? k : k.slice(0, slash)).toLowerCase();
  const rest = slash === -1 ? '' : k.slice(slash);
  return (DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host) + rest;
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir();
}

/** The file `berth login` writes: --authfile, REGISTRY_AUTH_FILE, or the primary containers auth.json. */
export function primaryAuthFile(options: CredentialOptions = {}): string {
  const env = options.env ?? process.env;
  if (options.authFile) return options.authFile;
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join('/run/containers', String(uid), 'auth.json');
}

/** Files searched in order, as containers-auth.json(5) lists them. */
export function authFileSearchPath(options: CredentialOptions = {}): string[] {
  const env = options.env ?? process.env;
  const configHome = env.XDG_CONFIG_HOME || path.join(home(env), '.config');
  const dockerDir = env.DOCKER_CONFIG || path.join(home(env), '.docker');
  const files = [
    primaryAuthFile(options),
    path.join(configHome, 'containers', 'auth.json'),
    path.join(dockerDir, 'config.json'),
    path.join(home(env), '.dockercfg'),
  ];
  return [...new Set(files)];
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface AuthFileContent {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [other: string]: unknown;
}

/** Reads an auth file; a missing file is empty, a malformed one is an error naming the file. */
export async function readAuthFile(file: string): Promise<AuthFileContent | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw BerthError.wrap(err, `cannot read credentials from ${file}`);
  }
  if (text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`cannot read credentials from ${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw invalidArgument(`cannot read credentials from ${file}: not a JSON object`);
  const content = doc as AuthFileContent;
  // ~/.dockercfg is the legacy form: the auths map at top level.
  if (path.basename(file) === '.dockercfg' && content.auths === undefined) return { auths: doc as Record<string, AuthEntry> };
  return content;
}

function decodeEntry(entry: AuthEntry, source: string, key: string): Credentials | undefined {
  if (entry.identitytoken) return { username: '', password: '', identityToken: entry.identitytoken, source };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw invalidArgument(`cannot read credentials for ${key} from ${source}: "auth" is not base64 of user:password`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source };
  }
  if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password, source };
  return undefined;
}

/**
 * Keys to try for `registry` + `repository`, most specific first: host/ns/repo, host/ns, host.
 * This is containers-auth.json(5)'s "most specific match wins".
 */
export function lookupKeys(registry: string, repository?: string): string[] {
  const host = normalizeAuthKey(registry);
  const keys: string[] = [];
  if (repository) {
    const parts = repository.split('/');
    for (let n = parts.length; n >= 1; n--) keys.push(`${host}/${parts.slice(0, n).join('/')}`);
  }
  keys.push(host);
  return keys;
}

function findEntry(auths: Record<string, AuthEntry>, keys: string[]): [string, AuthEntry] | undefined {
  const normalized = new Map<string, [string, AuthEntry]>();
  for (const [k, v] of Object.entries(auths)) {
    const n = normalizeAuthKey(k);
    // An exact spelling beats a normalized alias for the same key.
    if (!normalized.has(n) || k === n) normalized.set(n, [k, v]);
  }
  for (const key of keys) {
    const hit = normalized.get(key);
    if (hit) return hit;
  }
  return undefined;
}

/** The server URL a docker credential helper expects for a registry. */
function helperServerUrl(registry: string): string {
  return normalizeAuthKey(registry) === 'docker.io' ? 'https://index.docker.io/v1/' : normalizeAuthKey(registry);
}

/** Calls `docker-credential-<helper> get`; undefined when the helper has no entry. */
export function callCredentialHelper(helper: string, registry: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const bin = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = execFile(bin, ['get'], { env, timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(unsupported(`cannot get credentials for ${registry}: credential helper "${helper}" is configured but ${bin} is not in PATH`));
          return;
        }
        const text = `${stdout}${stderr}`.trim();
        if (/credentials not found/i.test(text)) {
          resolve(undefined);
          return;
        }
        reject(new BerthError('unavailable', `cannot get credentials for ${registry}: ${bin} failed: ${text.slice(0, 300) || err.message}`));
        return;
      }
      try {
        const doc = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (typeof doc.Secret !== 'string') throw new Error('no Secret');
        if (doc.Username === '<token>') resolve({ username: '', password: '', identityToken: doc.Secret, source: bin });
        else resolve({ username: doc.Username ?? '', password: doc.Secret, source: bin });
      } catch {
        reject(invalidArgument(`cannot get credentials for ${registry}: ${bin} printed something other than {"Username","Secret"} JSON`));
      }
    });
    child.stdin?.end(helperServerUrl(registry));
  });
}

/**
 * Credentials for `registry` (host[:port]) and optionally a repository path, searching the
 * files in order; the first file with a matching entry (or helper) answers. undefined: anonymous.
 */
export async function findCredentials(registry: string, repository: string | undefined, options: CredentialOptions = {}): Promise<Credentials | undefined> {
  const env = options.env ?? process.env;
  const keys = lookupKeys(registry, repository);
  for (const file of authFileSearchPath(options)) {
    const content = await readAuthFile(file);
    if (!content) continue;
    const helpers = content.credHelpers ?? {};
    const helperKey = Object.keys(helpers).find((k) => normalizeAuthKey(k) === keys[keys.length - 1]);
    if (helperKey) {
      const creds = await callCredentialHelper(helpers[helperKey], registry, env);
      if (creds) return creds;
      continue;
    }
    const hit = content.auths ? findEntry(content.auths, keys) : undefined;
    if (hit) {
      const creds = decodeEntry(hit[1], file, hit[0]);
      if (creds) return creds;
    }
    if (content.credsStore) {
      const creds = await callCredentialHelper(content.credsStore, registry, env);
      if (creds) return creds;
    }
  }
  return undefined;
}
