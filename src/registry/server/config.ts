// The registry's configuration: a YAML file for everything, flags for the common things,
// and defaults that make `berth registry serve --root DIR` work with no file at all.
import * as fs from 'node:fs/promises';
import YAML from 'yaml';
import { invalidArgument } from '../../internal/errors.js';
import type { AccessRule } from './access.js';

export interface RegistryConfig {
  /** host:port; port 0 picks a free one. */
  listen: string;
  root: string;
  /** 'filesystem' (default) or 'inmemory'. */
  driver: 'filesystem' | 'inmemory';
  tls?: { certificate: string; key: string };
  /** Where access logs go: 'stdout', 'stderr', 'off', or a file path. */
  accessLog: string;
  auth: {
    htpasswd?: { path: string; realm: string };
    token?: { service: string; issuer: string; expirationSeconds: number; key?: string; realm?: string };
    access: AccessRule[];
  };
  deleteEnabled: boolean;
  /** How long tag and link lookups are trusted without re-reading, in ms. */
  linkCacheMs: number;
  /** Uploads untouched for this long are removed (ms). */
  uploadMaxAgeMs: number;
  uploadPurgeIntervalMs: number;
  shutdownTimeoutMs: number;
  /** fsync blobs and links before they become visible; default true. */
  durable: boolean;
  /** Write uploads with O_DIRECT, past the page cache (see FilesystemDriverOptions.direct); default false. */
  direct: boolean;
}

export function defaultConfig(): RegistryConfig {
  return {
    listen: '127.0.0.1:5000',
    root: '/var/lib/berth/registry',
    driver: 'filesystem',
    accessLog: 'stdout',
    auth: { access: [] },
    deleteEnabled: true,
    linkCacheMs: 1000,
    uploadMaxAgeMs: 24 * 3600_000,
    uploadPurgeIntervalMs: 3600_000,
    shutdownTimeoutMs: 30_000,
    durable: true,
    direct: false,
  };
}

/** "90s", "5m", "24h", "500ms", or a number of seconds. */
export function parseDuration(value: unknown, field: string): number {
  if (typeof value === 'number' && value >= 0) return value * 1000;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim()) : null;
  if (!m) throw invalidArgument(`invalid registry config: ${field}: want a duration like 30s, 5m or 24h, got ${JSON.stringify(value)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[m[2] ?? 's']!;
  return Number(m[1]) * unit;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, field: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidArgument(`invalid registry config: ${field}.${key}: want a string`);
  return v;
}

const ACTIONS = new Set(['pull', 'push', 'delete', '*']);

function actions(v: unknown, field: string): AccessRule['anonymous'] {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((a) => typeof a === 'string' && ACTIONS.has(a))) {
    throw invalidArgument(`invalid registry config: ${field}: want a list of pull, push, delete or *`);
  }
  return v as AccessRule['anonymous'];
}

/** Applies a parsed YAML document over the defaults, checking every field it reads. */
export function configFromObject(doc: unknown, base = defaultConfig()): RegistryConfig {
  if (doc === null || doc === undefined) return base;
  if (!isObj(doc)) throw invalidArgument('invalid registry config: the document must be a mapping');
  const c = { ...base, auth: { ...base.auth } };
  c.listen = str(doc, 'listen', 'config') ?? c.listen;
  c.root = str(doc, 'root', 'config') ?? c.root;
  const driver = str(doc, 'driver', 'config');
  if (driver !== undefined) {
    if (driver !== 'filesystem' && driver !== 'inmemory') throw invalidArgument(`invalid registry config: driver: want filesystem or inmemory, got ${driver}`);
    c.driver = driver;
  }
  if (doc.tls !== undefined) {
    if (!isObj(doc.tls)) throw invalidArgument('invalid registry config: tls: want a mapping with certificate and key');
    const certificate = str(doc.tls, 'certificate', 'tls');
    const key = str(doc.tls, 'key', 'tls');
    if (!certificate || !key) throw invalidArgument('invalid registry config: tls: needs both certificate and key');
    c.tls = { certificate, key };
  }
  if (isObj(doc.log)) c.accessLog = str(doc.log, 'access', 'log') ?? c.accessLog;
  if (doc.auth !== undefined) {
    if (!isObj(doc.auth)) throw invalidArgument('invalid registry config: auth: want a mapping');
    const a = doc.auth;
    if (a.htpasswd !== undefined) {
      if (!isObj(a.htpasswd) || !str(a.htpasswd, 'path', 'auth.htpasswd')) throw invalidArgument('invalid registry config: auth.htpasswd: needs path');
      c.auth.htpasswd = { path: str(a.htpasswd, 'path', 'auth.htpasswd')!, realm: str(a.htpasswd, 'realm', 'auth.htpasswd') ?? 'berth-registry' };
    }
    if (a.token !== undefined) {
      if (!isObj(a.token)) throw invalidArgument('invalid registry config: auth.token: want a mapping');
      c.auth.token = {
        service: str(a.token, 'service', 'auth.token') ?? 'berth-registry',
        issuer: str(a.token, 'issuer', 'auth.token') ?? 'berth',
        expirationSeconds: a.token.expiration === undefined ? 300 : parseDuration(a.token.expiration, 'auth.token.expiration') / 1000,
        key: str(a.token, 'key', 'auth.token'),
        realm: str(a.token, 'realm', 'auth.token'),
      };
    }
    if (a.access !== undefined) {
      if (!Array.isArray(a.access)) throw invalidArgument('invalid registry config: auth.access: want a list of rules');
      c.auth.access = a.access.map((r, i) => {
        const f = `auth.access[${i}]`;
        if (!isObj(r)) throw invalidArgument(`invalid registry config: ${f}: want a mapping`);
        const users: AccessRule['users'] = {};
        if (r.users !== undefined) {
          if (!isObj(r.users)) throw invalidArgument(`invalid registry config: ${f}.users: want user: [actions]`);
          for (const [u, acts] of Object.entries(r.users)) users[u] = actions(acts, `${f}.users.${u}`) ?? [];
        }
        return { namespace: str(r, 'namespace', f) ?? '', anonymous: actions(r.anonymous, `${f}.anonymous`), users };
      });
    }
  }
  if (isObj(doc.storage)) {
    if (doc.storage.delete !== undefined) c.deleteEnabled = doc.storage.delete === true;
    if (doc.storage.linkCache !== undefined) c.linkCacheMs = parseDuration(doc.storage.linkCache, 'storage.linkCache');
    if (doc.storage.durable !== undefined) c.durable = doc.storage.durable !== false;
    if (doc.storage.direct !== undefined) c.direct = doc.storage.direct === true;
  }
  if (isObj(doc.uploads)) {
    if (doc.uploads.maxAge !== undefined) c.uploadMaxAgeMs = parseDuration(doc.uploads.maxAge, 'uploads.maxAge');
    if (doc.uploads.purgeInterval !== undefined) c.uploadPurgeIntervalMs = parseDuration(doc.uploads.purgeInterval, 'uploads.purgeInterval');
  }
  if (doc.shutdownTimeout !== undefined) c.shutdownTimeoutMs = parseDuration(doc.shutdownTimeout, 'shutdownTimeout');
  return c;
}

export async function loadConfig(file: string): Promise<RegistryConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw invalidArgument(`cannot read registry config ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw invalidArgument(`cannot parse registry config ${file}: ${(err as Error).message}`);
  }
  return configFromObject(doc);
}

/** "host:port", "[::1]:port" or ":port". */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[3]) > 65535) throw invalidArgument(`invalid listen address "${listen}": want host:port`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}
