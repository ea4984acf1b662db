// Takes an HTTP request body away from Node's parser so that recvFile can read it straight
// from the socket into a file: plain TCP, a Content-Length body, no pipelined requests.
import { IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { TLSSocket } from 'node:tls';

/** Below this many body bytes the JS path costs less than the hand-over. */
export const RECEIVE_MIN = 256 * 1024;

export interface TakenBody {
  /** The socket's descriptor; nothing in Node reads it any more. */
  fd: number;
  /** Body bytes Node had read before the hand-over, in order. */
  head: Buffer[];
  /** Body bytes still to read from the socket. */
  rest: number;
  /** Aborts when the connection closes. */
  signal: AbortSignal;
  /** Stops watching the connection. */
  done(): void;
}

interface ServerSocket {
  _paused?: boolean;
  _httpMessage?: ServerResponse | null;
  _handle?: { fd?: unknown; reading?: boolean; readStop?: () => number } | null;
}

/**
 * Stops Node reading the request's socket and hands back the descriptor with the body
 * bytes Node already holds; undefined, having changed nothing, when the body cannot be
 * taken. The parser never sees the end of a taken body, so the connection cannot carry
 * another request: the response goes out with `Connection: close` (reply() does this for
 * any unfinished body).
 */
export function takeRequestBody(source: Readable): TakenBody | undefined {
  if (!(source instanceof IncomingMessage)) return undefined;
  const req = source;
  if (req.complete || req.destroyed || req.readableFlowing || req.listenerCount('data') > 0 || req.listenerCount('readable') > 0) return undefined;
  const cl = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || cl === undefined || !/^\d{1,15}$/.test(cl)) return undefined;
  const length = Number(cl);
  if (length < RECEIVE_MIN) return undefined;
  const socket = req.socket;
  if (!(socket instanceof Socket) || socket instanceof TLSSocket || socket.destroyed) return undefined;
  const s = socket as unknown as ServerSocket;
  // _paused means the server is holding back pipelined requests: bytes may sit in the parser.
  if (s._paused || s._httpMessage?.req !== req) return undefined;
  const handle = s._handle;
  if (!handle || typeof handle.fd !== 'number' || handle.fd < 0 || typeof handle.readStop !== 'function') return undefined;
  // _paused keeps IncomingMessage._read and the server's resume handler from reading again.
  s._paused = true;
  handle.reading = false;
  handle.readStop();
  const head: Buffer[] = [];
  let got = 0;
  for (let c: Buffer | null; (c = req.read() as Buffer | null) !== null; ) {
    head.push(c);
    got += c.length;
  }
  const gone = new AbortController();
  const onClose = () => gone.abort(new Error('the connection closed'));
  socket.once('close', onClose);
  return { fd: handle.fd, head, rest: Math.max(0, length - got), signal: gone.signal, done: () => socket.off('close', onClose) };
}
