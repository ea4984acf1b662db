// Zero-copy serving of a file range to an HTTP response on a plain TCP socket: the headers go
// through Node, the body goes from the page cache to the socket with sendfile(2).
import { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Writable } from 'node:stream';
import { BerthError } from '../../internal/errors.js';
import { sendFile } from '../../internal/sys-socket.js';

/** Below this many bytes the buffer copy costs less than the extra round trips of sendfile. */
export const SENDFILE_MIN = 64 * 1024;

/**
 * The response whose body `sink` is, when sendfile can carry it: a ServerResponse that owns a
 * plain TCP socket with a file descriptor. TLS (the bytes need encrypting) and anything else
 * is served by copying.
 */
export function sendfileTarget(sink: Writable): ServerResponse | undefined {
  if (!(sink instanceof ServerResponse)) return undefined;
  const socket = sink.socket;
  if (!(socket instanceof Socket) || socket instanceof TLSSocket || socket.destroyed) return undefined;
  if ((socket as unknown as { _httpMessage?: unknown })._httpMessage !== sink) return undefined;
  return socketFd(socket) === undefined ? undefined : sink;
}

/**
 * Whether the client runs on this host (a loopback address). Its reads then copy from what
 * the server queued: from cold page-cache pages after sendfile, from a buffer still in the
 * CPU cache after a copy. A skopeo pull over loopback measured 5-14% slower wall time with
 * sendfile than with the copy (the client's system time grew more than the server's shrank);
 * a remote client reads from its own NIC's buffers either way, so sendfile costs it nothing.
 */
export function isLocalPeer(socket: Socket): boolean {
  const a = socket.remoteAddress;
  return a !== undefined && (a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.'));
}

function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Sends bytes [offset, end] of the open file `fileFd` as the body of `res`. Returns false,
 * having written nothing of the body, when the response cannot take raw bytes (chunked
 * encoding): the caller copies instead. Throws when the client went away or the file ended
 * early; the response is then unusable and the caller destroys it. `copy` (default: for a
 * client on this host) writes from a mapped window of the file instead of sendfile.
 */
export async function sendFileRange(
  res: ServerResponse,
  fileFd: number,
  offset: number,
  end: number,
  what: string,
  signal?: AbortSignal,
  copy = isLocalPeer(res.socket as Socket),
): Promise<boolean> {
  const socket = res.socket as Socket;
  const gone = new AbortController();
  const onClose = () => gone.abort(new Error('the client went away'));
  res.once('close', onClose);
  const onAbort = () => gone.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // The headers must be in the kernel before the body: Node writes them, and only once its
    // write completed does the socket have nothing queued that sendfile could overtake.
    await new Promise<void>((resolve, reject) => {
      gone.signal.addEventListener('abort', () => reject(gone.signal.reason), { once: true });
      res.write('', (err) => (err ? reject(err) : resolve()));
    });
    const fd = socketFd(socket);
    if (gone.signal.aborted || fd === undefined || socket.writableLength !== 0) throw new Error('the client went away');
    if ((res as unknown as { chunkedEncoding: boolean }).chunkedEncoding) return false;
    const length = end - offset + 1;
    const sent = await sendFile(fd, fileFd, offset, length, { signal: gone.signal, copy });
    if (sent < length) throw new BerthError('corrupt', `cannot read ${what}: file ended at ${offset + sent}, before ${end + 1}`);
    return true;
  } finally {
    res.off('close', onClose);
    signal?.removeEventListener('abort', onAbort);
  }
}
