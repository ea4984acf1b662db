// Authentication at the door of every route: none, basic (htpasswd), or the Docker token
// flow (401 with a Bearer challenge, a token endpoint here, signed tokens checked here).
import type { IncomingMessage } from 'node:http';
import { AccessPolicy } from './access.js';
import { RegistryError } from './errors.js';
import type { Htpasswd } from './htpasswd.js';
import type { AccessEntry, Action, TokenSigner } from './token.js';

/** What a route needs: actions on a repository, or the catalog. */
export interface Scope {
  type: 'repository' | 'registry';
  name: string;
  actions: Action[];
}

export interface Principal {
  user: string | undefined;
  /** Whether an optional scope (a mount's source) is granted too. */
  granted(scope: Scope): boolean;
}

export interface AuthOptions {
  htpasswd?: Htpasswd;
  realm?: string;
  token?: TokenSigner;
  /** Fixed token realm URL; by default derived from the request's Host. */
  tokenRealm?: string;
  policy?: AccessPolicy;
}

const scopeString = (s: Scope) => `${s.type}:${s.name}:${s.actions.join(',')}`;

export class Authenticator {
  readonly mode: 'none' | 'basic' | 'token';
  private readonly policy: AccessPolicy;

  constructor(private readonly options: AuthOptions) {
    this.mode = options.token ? 'token' : options.htpasswd ? 'basic' : 'none';
    this.policy = options.policy ?? new AccessPolicy();
  }

  /** Resolves the caller and checks `required`; throws 401/403 RegistryErrors with challenges. */
  async authorize(req: IncomingMessage, required: Scope[], alsoAsk: Scope[] = []): Promise<Principal> {
    if (this.mode === 'none') return { user: undefined, granted: () => true };
    const asked = alsoAsk.length ? [...required, ...alsoAsk] : required;
    const header = req.headers.authorization ?? '';
    if (this.mode === 'basic') {
      const user = await this.basicUser(header);
      const granted = (s: Scope) => this.policyGrants(user, s);
      if (!required.every(granted)) {
        if (user === undefined) throw this.challenge(req, required, header !== '');
        throw new RegistryError('DENIED', `requested access to the resource is denied`, { detail: required.map(scopeString) });
      }
      return { user, granted };
    }
    const claims = header.startsWith('Bearer ') ? this.options.token!.check(header.slice(7).trim()) : undefined;
    if (header.startsWith('Bearer ') && !claims) throw this.challenge(req, asked, true, 'invalid_token');
    if (!claims) {
      // Anonymous access without a token, for clients that never ask for one (curl).
      const granted = (s: Scope) => this.policyGrants(undefined, s);
      if (required.every(granted)) return { user: undefined, granted };
      throw this.challenge(req, asked, false);
    }
    const granted = (s: Scope) => tokenGrants(claims.access, s);
    if (!required.every(granted)) throw this.challenge(req, asked, true, 'insufficient_scope');
    return { user: claims.sub || undefined, granted };
  }

  /** GET /v2/: 200 only for a caller who is authenticated (or when auth is off). */
  async ping(req: IncomingMessage): Promise<string | undefined> {
    if (this.mode === 'none') return undefined;
    const header = req.headers.authorization ?? '';
    if (this.mode === 'basic') {
      const user = await this.basicUser(header);
      if (user === undefined) throw this.challenge(req, [], false);
      return user;
    }
    const claims = header.startsWith('Bearer ') ? this.options.token!.check(header.slice(7).trim()) : undefined;
    if (!claims) throw this.challenge(req, [], header !== '', header ? 'invalid_token' : undefined);
    return claims.sub || undefined;
  }

  /**
   * The token endpoint's work: check the (optional) basic credentials, then grant each
   * requested scope only the actions the policy allows this user.
   */
  async issueToken(authorization: string | undefined, scopes: string[]): Promise<{ token: string; expiresIn: number; issuedAt: string }> {
    const signer = this.options.token!;
    const user = authorization ? await this.basicUser(authorization) : undefined;
    if (authorization && user === undefined) throw new RegistryError('UNAUTHORIZED', 'authentication failed: wrong user name or password');
    const access: AccessEntry[] = [];
    for (const s of scopes.flatMap(parseScopes)) {
      let actions: string[];
      if (s.type === 'repository') {
        const allowed = this.policy.allowed(user, s.name);
        actions = s.actions.flatMap((a) => (a === '*' ? [...allowed] : allowed.has(a as Action) ? [a] : []));
      } else if (s.type === 'registry' && s.name === 'catalog') {
        actions = this.policy.mayListCatalog(user) ? ['*'] : [];
      } else actions = [];
      access.push({ type: s.type, name: s.name, actions: [...new Set(actions)] });
    }
    const { token, claims } = signer.issue(user ?? '', access);
    return { token, expiresIn: signer.ttlSeconds, issuedAt: new Date(claims.iat * 1000).toISOString() };
  }

  get service(): string | undefined {
    return this.options.token?.service;
  }

  private policyGrants(user: string | undefined, s: Scope): boolean {
    if (s.type === 'registry') return this.policy.mayListCatalog(user);
    const allowed = this.policy.allowed(user, s.name);
    return s.actions.every((a) => allowed.has(a));
  }

  /** The user of valid basic credentials; undefined when absent. Wrong ones fail with 401. */
  private async basicUser(header: string): Promise<string | undefined> {
    if (!header.startsWith('Basic ')) return undefined;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon === -1 ? decoded : decoded.slice(0, colon);
    const password = colon === -1 ? '' : decoded.slice(colon + 1);
    if (this.options.htpasswd && (await this.options.htpasswd.verify(user, password))) return user;
    const e = new RegistryError('UNAUTHORIZED', 'authentication failed: wrong user name or password');
    if (this.mode === 'basic') e.headers['WWW-Authenticate'] = `Basic realm="${this.options.realm ?? 'berth-registry'}"`;
    throw e;
  }

  private challenge(req: IncomingMessage, required: Scope[], hadCredentials: boolean, error?: string): RegistryError {
    const e = new RegistryError('UNAUTHORIZED', hadCredentials ? 'authentication required: the credentials do not grant this access' : 'authentication required', {
      detail: required.map((s) => ({ Type: s.type, Name: s.name, Action: s.actions.join(',') })),
    });
    let header: string;
    if (this.mode === 'basic') header = `Basic realm="${this.options.realm ?? 'berth-registry'}"`;
    else {
      const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
      const realm = this.options.tokenRealm ?? `${proto}://${req.headers.host ?? 'localhost'}/token`;
      header = `Bearer realm="${realm}",service="${this.options.token!.service}"`;
      if (required.length > 0) header += `,scope="${required.map(scopeString).join(' ')}"`;
      if (error) header += `,error="${error}"`;
    }
    e.headers['WWW-Authenticate'] = header;
    return e;
  }
}

function tokenGrants(access: AccessEntry[], s: Scope): boolean {
  return s.actions.every((a) =>
    access.some((e) => e.type === s.type && e.name === s.name && (e.actions.includes(a) || e.actions.includes('*'))),
  );
}

/** "repository:a/b:pull,push" (several may share one query value, space-separated). */
export function parseScopes(value: string): Scope[] {
  const out: Scope[] = [];
  for (const part of value.split(' ')) {
    if (part === '') continue;
    const first = part.indexOf(':');
    const last = part.lastIndexOf(':');
    if (first === -1 || last === first) continue;
    const type = part.slice(0, first);
    if (type !== 'repository' && type !== 'registry') continue;
    // A name may carry a port-like ":" only in the registry host part, which scopes never hold.
    out.push({ type, name: part.slice(first + 1, last), actions: part.slice(last + 1).split(',').filter(Boolean) as Action[] });
  }
  return out;
}
