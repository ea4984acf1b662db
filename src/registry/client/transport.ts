// HTTP/1.1 transport on node:http and node:https: one keep-alive agent per origin (which
// bounds concurrent connections per host), redirects that never carry credentials across hosts.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import { aborted, BerthError, resourceExhausted, unavailable } from '../../internal/errors.js';
import { extraCaCertificates } from '../../internal/tls.js';

export interface TransportOptions {
  /** Concurrent connections per origin; further requests queue in the agent. Default 8. */
  maxSocketsPerHost?: number;
  /** Idle time on a socket before the request fails with ETIMEDOUT. Default 60 s. */
  idleTimeoutMs?: number;
  userAgent?: string;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  /** A buffer, or a stream read once (a request with a stream body is never replayed here). */
  body?: Uint8Array | Readable;
  /** Skip TLS verification for this request's first host only (an insecure registry over https). */
  insecureSkipVerify?: boolean;
  /** Follow 301/302/303/307/308 for GET and HEAD (blob storage redirects). Default true. */
  followRedirects?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Where the response came from after redirects. */
  url: URL;
  body: http.IncomingMessage;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/** host:port with the scheme's default port filled in: two URLs with equal keys are one host. */
export function hostKey(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname.toLowerCase()}:${port}`;
}

export class Transport {
  private readonly agents = new Map<string, http.Agent>();
  private readonly options: TransportOptions;

  constructor(options: TransportOptions = {}) {
    this.options = options;
  }

  private agentFor(url: URL, insecure: boolean): http.Agent {
    const key = `${url.protocol}//${url.host}|${insecure ? 'insecure' : 'verify'}`;
    let agent = this.agents.get(key);
    if (!agent) {
      const common = { keepAlive: true, maxSockets: this.options.maxSocketsPerHost ?? 8, maxFreeSockets: 8, scheduling: 'lifo' as const };
      if (url.protocol === 'https:') {
        const ca = insecure ? undefined : extraCaCertificates();
        agent = new https.Agent({ ...common, rejectUnauthorized: !insecure, ...(ca ? { ca } : {}) });
      } else {
        agent = new http.Agent(common);
      }
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Sends one request, following redirects for GET/HEAD; the body of the answer is left unread. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers = { ...req.headers };
    const origin = hostKey(req.url);
    for (let hop = 0; ; hop++) {
      const sameHost = hostKey(url) === origin;
      const res = await this.send({ ...req, url, headers, insecureSkipVerify: sameHost && req.insecureSkipVerify });
      const follow = req.followRedirects ?? true;
      if (!follow || !REDIRECTS.has(res.status) || (req.method !== 'GET' && req.method !== 'HEAD') || !res.headers.location) {
        return res;
      }
      res.body.resume();
      if (hop >= MAX_REDIRECTS) throw unavailable(`cannot fetch ${req.url.host}${req.url.pathname}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(res.headers.location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw unavailable(`cannot fetch ${req.url.host}${req.url.pathname}: redirect to unsupported scheme ${next.protocol}`);
      }
      if (hostKey(next) !== origin) headers = withoutCredentials(headers);
      url = next;
    }
  }

  private send(req: HttpRequest): Promise<HttpResponse> {
    const { url } = req;
    if (req.signal?.aborted) return Promise.reject(abortError(url, req.signal));
    const lib = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'berth', ...req.headers };
    if (req.body && !(req.body instanceof Uint8Array) && headers['content-length'] === undefined) {
      headers['transfer-encoding'] = 'chunked';
    }
    if (req.body instanceof Uint8Array) headers['content-length'] = String(req.body.byteLength);
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        reject(transportError(url, err, req.signal));
      };
      const r = lib.request(url, {
        method: req.method,
        headers,
        agent: this.agentFor(url, req.insecureSkipVerify === true),
        signal: req.signal,
      });
      r.setTimeout(this.options.idleTimeoutMs ?? 60_000, () => {
        r.destroy(Object.assign(new Error('socket idle timeout'), { code: 'ETIMEDOUT' }));
      });
      r.on('error', fail);
      r.on('response', (res) => {
        settled = true;
        // Timeouts keep applying to the body: a stalled download fails instead of hanging.
        resolve({ status: res.statusCode ?? 0, headers: res.headers, url, body: res });
      });
      const body = req.body;
      if (body === undefined) r.end();
      else if (body instanceof Uint8Array) r.end(body);
      else {
        body.on('error', (err) => r.destroy(err));
        body.pipe(r);
      }
    });
  }

  /** Closes idle keep-alive sockets (call when done, so the process can exit). */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const lower = k.toLowerCase();
    if (lower !== 'authorization' && lower !== 'cookie') out[k] = v;
  }
  return out;
}

function abortError(url: URL, signal?: AbortSignal): BerthError {
  const why = signal?.reason instanceof Error ? signal.reason.message : 'cancelled';
  return aborted(`cannot fetch ${url.host}${url.pathname}: ${why}`);
}

/** A connection-level failure as a BerthError; the Node error code stays in detail.code. */
export function transportError(url: URL, err: unknown, signal?: AbortSignal): BerthError {
  if (err instanceof BerthError) return err;
  if (signal?.aborted || (err as Error)?.name === 'AbortError') return abortError(url, signal);
  const code = (err as NodeJS.ErrnoException)?.code;
  const msg = (err as Error)?.message ?? String(err);
  const e = BerthError.wrap(err, `cannot reach ${url.host}`, 'unavailable');
  return new BerthError(e.kind, `cannot reach ${url.host}: ${msg}`, { cause: err, detail: { code } });
}

/** Reads a whole (small) body, failing past `limit` bytes without buffering the excess. */
export async function readBody(res: HttpResponse, limit: number, what: string, signal?: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.body.destroy();
    throw resourceExhausted(`${what} is ${declared} bytes, over the limit of ${limit}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        res.body.destroy();
        throw resourceExhausted(`${what} is over the limit of ${limit} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw transportError(res.url, err, signal);
  }
  return Buffer.concat(chunks, size);
}

/** Drains and discards a body so the keep-alive socket returns to the pool. */
export async function discardBody(res: HttpResponse): Promise<void> {
  res.body.resume();
  await new Promise<void>((resolve) => {
    if (res.body.complete || res.body.destroyed) resolve();
    else {
      res.body.once('end', resolve);
      res.body.once('close', resolve);
      res.body.once('error', () => resolve());
    }
  });
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}
