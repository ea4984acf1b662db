// Small HTTP helpers shared by the handlers: the request context, replies, bodies with a
// limit, and error replies in the distribution-spec's JSON form.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isBerthError } from '../../internal/errors.js';
import { regError, type RegistryError } from './errors.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  query: URLSearchParams;
  /** Set by auth, for the access log. */
  user?: string;
  /** Body bytes sent, for the access log. */
  bytes?: number;
  /** The client went away before the response: no reply, logged as 499. */
  aborted?: boolean;
}

export function reply(ctx: RequestContext, status: number, headers: Record<string, string | number>, body?: string | Buffer): void {
  const { res } = ctx;
  const h: Record<string, string | number> = { 'Docker-Distribution-API-Version': 'registry/2.0', ...headers };
  if (body !== undefined && h['Content-Length'] === undefined) h['Content-Length'] = Buffer.byteLength(body);
  if (h['Content-Length'] === undefined) h['Content-Length'] = 0;
  // A body the handler did not read would be parsed as the next request: close instead.
  if (!ctx.req.complete && hasBody(ctx.req)) h.Connection = 'close';
  ctx.bytes = ctx.method === 'HEAD' ? 0 : Number(h['Content-Length']);
  res.writeHead(status, h);
  if (ctx.method === 'HEAD' || body === undefined) res.end();
  else res.end(body);
}

export function replyJson(ctx: RequestContext, status: number, value: unknown, headers: Record<string, string> = {}): void {
  reply(ctx, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));
}

export function replyError(ctx: RequestContext, e: RegistryError): void {
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  reply(ctx, e.status, { 'Content-Type': 'application/json', ...e.headers }, e.body());
}

/** Reads a whole body of at most `limit` bytes; larger ones fail with 413 before being read. */
export async function readBody(req: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw regError('SIZE_INVALID', `${what} is ${declared} bytes; the limit is ${limit}`, { status: 413 });
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of req) {
    n += (chunk as Buffer).length;
    if (n > limit) throw regError('SIZE_INVALID', `${what} is larger than the limit of ${limit} bytes`, { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** Socket errors that mean the client closed the connection (or Node saw it abort a body). */
const GONE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'ECANCELED']);

/**
 * Whether `e` is the client going away rather than a fault of the server: an `aborted`
 * failure (a body read natively that ended early), or a socket error on a request whose
 * connection is closed.
 */
export function clientWentAway(ctx: RequestContext, e: unknown): boolean {
  if (isBerthError(e, 'aborted')) return true;
  const closed = ctx.req.destroyed || ctx.res.destroyed || ctx.req.socket?.destroyed !== false;
  const code = (e as { code?: unknown } | null)?.code;
  return closed && typeof code === 'string' && GONE_CODES.has(code);
}

/** Whether the request carries a body worth reading (PATCH/PUT with content). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}
