// One registry endpoint: decides http or https with a ping of /v2/, attaches auth, retries
// transient failures with backoff, and hands out Repository handles. Constructors do no I/O.
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { aborted, BerthError } from '../../internal/errors.js';
import { Authenticator, type CredentialLookup } from './auth.js';
import { parseChallenges } from './challenge.js';
import { type CredentialOptions, type Credentials, findCredentials } from './credentials.js';
import { isTransient, registryError } from './errors.js';
import { Repository, type RepositoryOptions } from './repository.js';
import { discardBody, type HttpResponse, readBody, Transport, type TransportOptions } from './transport.js';

export interface RegistryClientOptions extends CredentialOptions, TransportOptions {
  /**
   * Allow plain HTTP and unverified TLS (the registries.conf resolver decides). Defaults to
   * true for loopback hosts, false otherwise.
   */
  insecure?: boolean;
  /** Use these credentials (--creds) instead of the auth files; null forces anonymous. */
  credentials?: Credentials | null;
  /** Share connections with other clients. */
  transport?: Transport;
  /** Attempts for a request that fails transiently (5xx, 429, reset, timeout). Default 4. */
  attempts?: number;
  /** First backoff delay; doubles each attempt. Default 250 ms. */
  backoffMs?: number;
  /** Longest Retry-After honoured. Default 30 s. */
  maxRetryAfterMs?: number;
}

export interface SendRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path under the registry's base URL ("/v2/x/manifests/1"), or an absolute URL. */
  path: string | URL;
  headers?: Record<string, string>;
  /** A buffer, or a factory giving a fresh stream for each attempt. */
  body?: Uint8Array | (() => Readable | Promise<Readable>);
  /** Token scopes the request needs, e.g. ["repository:x:pull"]. */
  scopes?: string[];
  /** Repository path, to find host/namespace credentials. */
  repository?: string;
  followRedirects?: boolean;
  /** Retry transient failures (5xx, 429, resets); default true. */
  retry?: boolean;
  /** "cannot pull x:1": prefixes errors thrown (unreachable, token refused), not returned answers. */
  context?: string;
  signal?: AbortSignal;
}

export interface PingResult {
  /** The base URL chosen: https://host or, for insecure endpoints, maybe http://host. */
  base: string;
  /** Whether the registry asked for authentication, and how. */
  scheme: 'none' | 'basic' | 'bearer';
}

/** Where a registry name is reached on the network: Docker Hub's API lives on registry-1.docker.io. */
export function networkHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export class RegistryClient {
  /** host[:port] as the network reaches it. */
  readonly host: string;
  readonly insecure: boolean;
  readonly transport: Transport;
  readonly auth: Authenticator;
  private readonly ownsTransport: boolean;
  private readonly options: RegistryClientOptions;
  private pinged: Promise<PingResult> | undefined;
  private readonly credentialCache = new Map<string, Promise<Credentials | undefined>>();

  constructor(host: string, options: RegistryClientOptions = {}) {
    this.host = host;
    this.options = options;
    this.insecure = options.insecure ?? isLoopbackHost(host);
    this.ownsTransport = !options.transport;
    this.transport = options.transport ?? new Transport(options);
    const lookup: CredentialLookup = (h, repo) => this.credentialsFor(h, repo);
    this.auth = new Authenticator(host, this.transport, lookup, Date.now, this.insecure);
  }

  private credentialsFor(host: string, repository?: string): Promise<Credentials | undefined> {
    if (host === this.host && this.options.credentials !== undefined) return Promise.resolve(this.options.credentials ?? undefined);
    const key = `${host}|${repository ?? ''}`;
    let p = this.credentialCache.get(key);
    if (!p) {
      p = findCredentials(host, repository, this.options);
      this.credentialCache.set(key, p);
      p.catch(() => this.credentialCache.delete(key));
    }
    return p;
  }

  /** GET /v2/ once: picks the scheme and learns the auth challenge. Errors are not cached. */
  ping(options: { signal?: AbortSignal } = {}): Promise<PingResult> {
    if (!this.pinged) {
      this.pinged = this.doPing(options.signal);
      this.pinged.catch(() => {
        this.pinged = undefined;
      });
    }
    return this.pinged;
  }

  private async doPing(signal?: AbortSignal): Promise<PingResult> {
    const bases = this.insecure ? [`https://${this.host}`, `http://${this.host}`] : [`https://${this.host}`];
    let lastErr: unknown;
    for (const base of bases) {
      try {
        const res = await this.transport.request({ method: 'GET', url: new URL('/v2/', base), insecureSkipVerify: this.insecure, signal, followRedirects: false });
        const body = await readBody(res, 1 << 20, `ping of ${this.host}`, signal);
        if (res.status === 200) return { base, scheme: 'none' };
        if (res.status === 401) {
          this.auth.learn(parseChallenges(res.headers['www-authenticate']));
          const c = this.auth.challenge;
          return { base, scheme: c?.scheme === 'bearer' ? 'bearer' : c?.scheme === 'basic' ? 'basic' : 'none' };
        }
        throw registryError(`cannot reach registry ${this.host}`, res.status, body);
      } catch (err) {
        if (err instanceof BerthError && (err.kind === 'aborted' || err.detail?.status !== undefined)) throw err;
        lastErr = err;
      }
    }
    const e = lastErr instanceof BerthError ? lastErr : BerthError.wrap(lastErr, 'failed', 'unavailable');
    const why = e.cause instanceof Error && !(e.cause instanceof BerthError) ? e.cause.message : e.message;
    throw new BerthError(e.kind === 'internal' ? 'unavailable' : e.kind, `cannot reach registry ${this.host}: ${why}`, { cause: e, detail: e.detail });
  }

  /**
   * Sends a request with auth, retrying once on 401 with a fresh challenge and with backoff on
   * transient failures. Non-2xx answers are returned (the caller knows which are errors).
   */
  async send(req: SendRequest): Promise<HttpResponse> {
    try {
      return await this.sendOnce(req);
    } catch (err) {
      throw req.context ? BerthError.wrap(err, req.context) : err;
    }
  }

  private async sendOnce(req: SendRequest): Promise<HttpResponse> {
    const { base } = await this.ping({ signal: req.signal });
    const url = typeof req.path === 'string' ? new URL(req.path, base) : req.path;
    const attempts = req.retry === false ? 1 : Math.max(1, this.options.attempts ?? 4);
    let scopes = req.scopes ?? [];
    let reauthorized = false;
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted) throw aborted(`cannot fetch ${url.host}${url.pathname}: cancelled`);
      let res: HttpResponse;
      try {
        const headers: Record<string, string> = { ...req.headers };
        const authz = this.isRegistryOrigin(url, base) ? await this.auth.authorization(scopes, req.repository, req.signal) : undefined;
        if (authz) headers.authorization = authz;
        const body = typeof req.body === 'function' ? await req.body() : req.body;
        res = await this.transport.request({
          method: req.method,
          url,
          headers,
          body,
          insecureSkipVerify: this.insecure,
          followRedirects: req.followRedirects,
          signal: req.signal,
        });
      } catch (err) {
        if (attempt < attempts && isTransient(err)) {
          await this.backoff(attempt, undefined, req.signal);
          continue;
        }
        throw err;
      }
      if (res.status === 401 && !reauthorized) {
        // A fresh challenge may name more scope (insufficient_scope) or a new realm.
        const challenges = parseChallenges(res.headers['www-authenticate']);
        if (challenges.length > 0) {
          await discardBody(res);
          this.auth.learn(challenges);
          const extra = challenges.flatMap((c) => (c.params.scope ?? '').split(' ').filter(Boolean));
          this.auth.invalidate(scopes);
          scopes = [...scopes, ...extra];
          reauthorized = true;
          attempt--;
          continue;
        }
      }
      if ((res.status >= 500 || res.status === 429) && attempt < attempts) {
        const retryAfter = res.headers['retry-after'];
        await discardBody(res);
        await this.backoff(attempt, retryAfter, req.signal);
        continue;
      }
      return res;
    }
  }

  private async backoff(attempt: number, retryAfter: string | undefined, signal?: AbortSignal): Promise<void> {
    let ms = (this.options.backoffMs ?? 250) * 2 ** (attempt - 1);
    ms = Math.min(ms, 10_000) * (0.75 + Math.random() * 0.5);
    if (retryAfter) {
      const secs = Number(retryAfter);
      const at = Number.isFinite(secs) ? Date.now() + secs * 1000 : Date.parse(retryAfter);
      if (Number.isFinite(at)) ms = Math.max(0, Math.min(at - Date.now(), this.options.maxRetryAfterMs ?? 30_000));
    }
    try {
      await sleep(ms, undefined, { signal });
    } catch {
      throw aborted(`cannot reach ${this.host}: cancelled`);
    }
  }

  /** Reads a failed response's body and turns it into the error for `context`. */
  async failure(res: HttpResponse, context: string, signal?: AbortSignal): Promise<BerthError> {
    let body: Buffer | undefined;
    try {
      body = await readBody(res, 1 << 20, 'error response', signal);
    } catch {
      body = undefined;
    }
    const err = registryError(context, res.status, body);
    if (res.status === 429 || res.status >= 500) return new BerthError('unavailable', err.message, { detail: err.detail });
    return err;
  }

  /**
   * Whether `url` is the registry itself (scheme, host and port as the ping chose): the only
   * place its Authorization may go. An upload Location on another host, or downgraded to
   * http, gets none.
   */
  isRegistryOrigin(url: URL, base: string): boolean {
    return url.origin === new URL(base).origin;
  }

  /** A handle on repository `name` (a path such as "library/busybox") of this registry. */
  repository(name: string, options: RepositoryOptions = {}): Repository {
    return new Repository(this, name, options);
  }

  /** Closes pooled connections if this client made its own transport. */
  close(): void {
    if (this.ownsTransport) this.transport.close();
  }
}
