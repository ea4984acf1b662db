// Docker token auth and basic auth for one registry: bearer tokens fetched from the realm a
// challenge names and cached per scope set until expiry. Credentials never leave for a foreign host.
import { BerthError, invalidArgument, unauthorized } from '../../internal/errors.js';
import { type Challenge, normalizeScopes, scopesCover } from './challenge.js';
import type { Credentials } from './credentials.js';
import { registryError } from './errors.js';
import { readBody, type Transport } from './transport.js';

/** Looks up stored credentials for a host (and repository path); undefined means anonymous. */
export type CredentialLookup = (host: string, repository?: string) => Promise<Credentials | undefined>;

interface CachedToken {
  token: string;
  scopes: string[];
  expiresAt: number;
}

const DEFAULT_EXPIRES_IN = 60;
const MAX_TOKEN_BYTES = 1 << 20;

/**
 * Hosts that may receive the registry's own credentials at its token realm. Everything else
 * is foreign: Docker Hub's realm is the one well-known exception (the registry and its
 * realm are run by the same party under docker.io).
 */
export function realmMayReceiveCredentials(registryHost: string, realm: URL): boolean {
  const reg = registryHost.toLowerCase().replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const realmHost = realm.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (reg === realmHost) return true;
  const hub = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
  return hub.has(reg) && realmHost === 'auth.docker.io';
}

export class Authenticator {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();
  /** The registry's last challenge; undefined until a ping or a 401 taught it. */
  challenge: Challenge | undefined;

  constructor(
    private readonly registryHost: string,
    private readonly transport: Transport,
    private readonly lookup: CredentialLookup,
    private readonly now: () => number = Date.now,
    /** The endpoint allows plain HTTP: only then may credentials go to an http:// realm. */
    private readonly insecure = false,
  ) {}

  /** Remembers the strongest challenge we understand: Bearer over Basic. */
  learn(challenges: Challenge[]): void {
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    const basic = challenges.find((c) => c.scheme === 'basic');
    this.challenge = bearer ?? basic ?? this.challenge;
  }

  /** The Authorization header for a request needing `scopes` in `repository`, if any. */
  async authorization(scopes: string[], repository: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    const creds = await this.lookup(this.registryHost, repository);
    if (c.scheme === 'basic') {
      if (!creds || creds.identityToken) return undefined;
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    const token = await this.token(c, scopes, creds, signal);
    return token ? `Bearer ${token}` : undefined;
  }

  /** Forgets cached tokens covering `scopes`, so the next request fetches a fresh one. */
  invalidate(scopes: string[]): void {
    for (const [key, t] of this.tokens) if (scopesCover(t.scopes, scopes)) this.tokens.delete(key);
  }

  private async token(c: Challenge, scopes: string[], creds: Credentials | undefined, signal?: AbortSignal): Promise<string | undefined> {
    const wanted = normalizeScopes(scopes);
    const now = this.now();
    for (const t of this.tokens.values()) {
      if (t.expiresAt > now && scopesCover(t.scopes, wanted)) return t.token;
    }
    const key = `${c.params.realm}|${wanted.join(' ')}|${creds?.username ?? ''}`;
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(c, wanted, creds, signal).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    const t = await p;
    this.tokens.set(key, t);
    return t.token;
  }

  /** GETs (or, with an identity token, POSTs the OAuth2 form to) the realm for `scopes`. */
  async fetchToken(c: Challenge, scopes: string[], registryCreds: Credentials | undefined, signal?: AbortSignal): Promise<CachedToken> {
    let realm: URL;
    try {
      realm = new URL(c.params.realm);
      if (realm.protocol !== 'https:' && realm.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw invalidArgument(`cannot authenticate to ${this.registryHost}: token realm "${c.params.realm}" is not an http(s) URL`);
    }
    // Credentials go to the realm only if it is the registry's own host; a foreign realm gets
    // only what is stored for that realm's host itself, else an anonymous request.
    let creds = realmMayReceiveCredentials(this.registryHost, realm) ? registryCreds : await this.lookup(realm.host);
    if (realm.protocol === 'http:' && !this.insecure) creds = undefined;
    const context = `cannot get a token for ${this.registryHost} from ${realm.host}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    let res: Awaited<ReturnType<Transport['request']>>;
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'berth' });
      if (c.params.service) form.set('service', c.params.service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      headers['content-type'] = 'application/x-www-form-urlencoded';
      res = await this.transport.request({ method: 'POST', url: realm, headers, body: Buffer.from(form.toString()), signal });
    } else {
      const url = new URL(realm);
      if (c.params.service) url.searchParams.set('service', c.params.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds) {
        url.searchParams.set('account', creds.username);
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      }
      // A realm that redirects elsewhere loses the Authorization header (Transport's rule).
      res = await this.transport.request({ method: 'GET', url, headers, signal });
    }
    const body = await readBody(res, MAX_TOKEN_BYTES, `token response from ${realm.host}`, signal);
    if (res.status === 401 || res.status === 403) {
      const why = creds ? `invalid username/password for ${creds.username}` : 'anonymous access refused';
      throw unauthorized(`${context}: ${why}`, { detail: { status: res.status } });
    }
    if (res.status !== 200) throw registryError(context, res.status, body);
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      throw new BerthError('invalid-argument', `${context}: the token response is not JSON`);
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (!token) throw new BerthError('invalid-argument', `${context}: the token response has no token`);
    const expiresIn = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_EXPIRES_IN;
    const now = this.now();
    let issued = now;
    if (typeof doc.issued_at === 'string') {
      const t = Date.parse(doc.issued_at);
      // Trust issued_at only when our clocks agree; skew must not make every token look expired.
      if (Number.isFinite(t) && t <= now && now - t < expiresIn * 1000) issued = t;
    }
    // Renew a little early so a token does not expire between our check and the registry's.
    const expiresAt = issued + expiresIn * 1000 - Math.min(5000, expiresIn * 100);
    return { token, scopes, expiresAt };
  }
}
