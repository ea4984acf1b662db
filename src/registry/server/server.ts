// The registry server's lifecycle: build storage, auth and routes from a config, listen
// (HTTP or TLS), log each request as a JSON line, expire uploads, shut down gracefully.
import * as fs from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { BerthError } from '../../internal/errors.js';
import type { StorageDriver } from '../driver/driver.js';
import { FilesystemDriver } from '../driver/filesystem.js';
import { MemoryDriver } from '../driver/memory.js';
import { AccessPolicy } from './access.js';
import { Authenticator } from './auth.js';
import { type RegistryConfig, parseListen } from './config.js';
import { toRegistryError } from './errors.js';
import { Htpasswd } from './htpasswd.js';
import { type RequestContext, replyError, replyJson } from './http.js';
import { AccessLog } from './log.js';
import { dispatch, type RouterDeps } from './router.js';
import { RegistryStorage } from './storage.js';
import { TokenSigner } from './token.js';
import { TEMP_MAX_AGE_MS, Uploads } from './uploads.js';

export interface ServeOptions {
  /** A driver to use instead of the one the config names (tests). */
  driver?: StorageDriver;
}

export class RegistryServer {
  readonly config: RegistryConfig;
  private server: Server | undefined;
  private deps: RouterDeps | undefined;
  private log: AccessLog | undefined;
  private purgeTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private sweep: Promise<void> | undefined;

  constructor(config: RegistryConfig, private readonly options: ServeOptions = {}) {
    this.config = config;
  }

  /** Starts listening; resolves with the base URL ("http://127.0.0.1:5000"). */
  async start(): Promise<string> {
    try {
      return await this.open();
    } catch (err) {
      throw BerthError.wrap(err, `cannot start the registry on ${this.config.listen}`);
    }
  }

  private async open(): Promise<string> {
    const c = this.config;
    const driver: StorageDriver = this.options.driver ?? (c.driver === 'inmemory' ? new MemoryDriver() : new FilesystemDriver(c.root, { durable: c.durable, direct: c.direct }));
    if (driver instanceof FilesystemDriver) await fs.mkdir(driver.root, { recursive: true });
    const storage = new RegistryStorage(driver, { linkCacheMs: c.linkCacheMs });
    const uploads = new Uploads(storage);
    const htpasswd = c.auth.htpasswd ? await Htpasswd.load(c.auth.htpasswd.path) : undefined;
    const t = c.auth.token;
    const token = t ? new TokenSigner(t.issuer, t.service, t.expirationSeconds, t.key ? await fs.readFile(t.key, 'utf8') : undefined) : undefined;
    const auth = new Authenticator({ htpasswd, realm: c.auth.htpasswd?.realm, token, tokenRealm: t?.realm, policy: new AccessPolicy(c.auth.access) });
    this.deps = { storage, uploads, auth, deleteEnabled: c.deleteEnabled };
    this.log = new AccessLog(c.accessLog);
    await this.log.open();

    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    this.server = c.tls
      ? createHttpsServer({ cert: await fs.readFile(c.tls.certificate), key: await fs.readFile(c.tls.key) }, handler)
      : createHttpServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, handler);
    this.server.keepAliveTimeout = 65_000;
    const { host, port } = parseListen(c.listen);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    await uploads.purge(c.uploadMaxAgeMs).catch(() => {});
    // Temp files of writes that a crash cut short, anywhere in the tree (the uploads tree is
    // swept with every purge); in the background, as a large root takes a while to walk.
    this.sweep = driver.removeTemps?.('/', new Date(Date.now() - Math.min(c.uploadMaxAgeMs, TEMP_MAX_AGE_MS))).then(
      () => {},
      (e) => {
        process.stderr.write(`berth registry: cannot remove temp files: ${(e as Error).message}\n`);
      },
    );
    this.purgeTimer = setInterval(() => {
      uploads.purge(c.uploadMaxAgeMs).catch((e) => process.stderr.write(`berth registry: cannot expire uploads: ${(e as Error).message}\n`));
    }, c.uploadPurgeIntervalMs);
    this.purgeTimer.unref();
    return this.url;
  }

  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) throw new Error('registry server is not listening');
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.config.tls ? 'https' : 'http'}://${host}:${a.port}`;
  }

  /** Stops accepting, lets in-flight requests finish (up to the timeout), then closes. */
  async stop(timeoutMs = this.config.shutdownTimeoutMs): Promise<void> {
    const server = this.server;
    if (!server || this.stopping) return;
    this.stopping = true;
    clearInterval(this.purgeTimer);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    await closed;
    clearTimeout(timer);
    // A handler may still be logging a response whose connection already closed.
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.server = undefined;
    await this.sweep;
    await this.log?.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const ctx: RequestContext = {
      req,
      res,
      method: req.method ?? 'GET',
      path: q === -1 ? url : url.slice(0, q),
      query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
    };
    this.inFlight++;
    // Requests that finish while the server is closing also close their connection.
    if (this.stopping) res.setHeader('Connection', 'close');
    res.once('finish', () => {
      if (this.stopping) req.socket.end();
    });
    try {
      if (ctx.path.startsWith('/v2')) await dispatch(ctx, this.deps!);
      else if (ctx.path === '/health' || ctx.path === '/debug/health') replyJson(ctx, 200, { status: 'ok' });
      else if (ctx.path === '/token' || ctx.path === '/auth/token') await this.token(ctx);
      else replyJson(ctx, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] });
    } finally {
      // The request counts as in flight until its access-log line is written: a stop waits for
      // that line before it closes the log (an aborted request's line could come after it).
      const settled = () => {
        if (--this.inFlight === 0) this.idle?.();
      };
      if (!this.log?.enabled) settled();
      else {
        const log = this.log;
        const done = () => {
          log.write({
            time: new Date().toISOString(),
            remote: req.socket.remoteAddress,
            method: ctx.method,
            path: ctx.path,
            // 499 as nginx logs it: the client closed the connection before the response.
            status: ctx.aborted ? 499 : res.statusCode,
            bytes: ctx.bytes ?? 0,
            duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
            user: ctx.user,
            agent: req.headers['user-agent'],
          });
          settled();
        };
        // A connection the client closed mid-request closed the response before we got here.
        if (res.writableFinished || res.closed) done();
        else res.once('close', done);
      }
    }
  }

  /** The token endpoint of the Docker token flow, served here. */
  private async token(ctx: RequestContext): Promise<void> {
    const auth = this.deps!.auth;
    try {
      if (auth.mode !== 'token') {
        replyJson(ctx, 404, { errors: [{ code: 'NOT_FOUND', message: 'this registry does not issue tokens' }] });
        return;
      }
      const service = ctx.query.get('service');
      if (service !== null && service !== auth.service) {
        replyJson(ctx, 400, { errors: [{ code: 'DENIED', message: `unknown service ${service.slice(0, 100)}` }] });
        return;
      }
      const t = await auth.issueToken(ctx.req.headers.authorization, ctx.query.getAll('scope'));
      ctx.user = undefined;
      replyJson(ctx, 200, { token: t.token, access_token: t.token, expires_in: t.expiresIn, issued_at: t.issuedAt });
    } catch (e) {
      replyError(ctx, toRegistryError(e));
    }
  }
}
