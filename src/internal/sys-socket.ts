// The addon's socket jobs (native/socket.c): sendfile and mapped-window copies to a socket,
// socket-to-file receives hashed with OpenSSL in the same pass, and aligned buffers for O_DIRECT.
import { getSystemErrorName } from 'node:util';
import { native } from './sys.js';

let nextSendfileId = 1;

/**
 * Copies `length` bytes of the file at `fileFd` from `offset` to the (non-blocking) socket
 * `socketFd` with sendfile(2), off the event loop; resolves with the bytes sent, fewer only
 * when the file ended first. Nothing else may write to the socket until it settles. An abort
 * stops it with an ECANCELED error; a closed peer rejects with EPIPE or ECONNRESET. With
 * `copy`, the bytes go through a 256 KiB buffer (read, then write) instead of sendfile: for a
 * reader on this host, which then copies from memory its CPU cache holds rather than from cold
 * page-cache pages.
 */
export function sendFile(socketFd: number, fileFd: number, offset: number, length: number, options: { signal?: AbortSignal; copy?: boolean } = {}): Promise<number> {
  return cancellable((id) => native().sendfileAsync(id, socketFd, fileFd, offset, length, options.copy ? 1 : 0), options.signal);
}

/** Runs a socket job under a fresh id that an abort of `signal` cancels. */
function cancellable<T>(start: (id: number) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  const id = nextSendfileId;
  nextSendfileId = nextSendfileId >= 0x7fffffff ? 1 : nextSendfileId + 1;
  const done = start(id);
  if (!signal) return done;
  const cancel = () => native().sendfileCancel(id);
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  return done.finally(() => signal.removeEventListener('abort', cancel));
}

/** Where a recvFile stopped: all counts are exact even when it failed. */
export interface RecvFileResult {
  /** Bytes read from the socket. */
  received: number;
  /** Bytes now at the start of the stage (not yet written). */
  stageLen: number;
  /** File offset of stage[0]. */
  fileOffset: number;
  /** Error code (EPIPE, ECANCELED, ...) when it failed, '' when not. */
  code: string;
  /** The peer closed before `length` bytes came. */
  eof: boolean;
}

/**
 * Reads `length` bytes from the (non-blocking) socket `socketFd` into `stage` after its first
 * `stageLen` bytes, feeding them to `hash`, and writes the stage to `fileFd` at `fileOffset`
 * whenever it is full, off the event loop (the stage's size and fileOffset must suit the
 * file's O_DIRECT alignment if it has one). Nothing else may read the socket meanwhile. An
 * abort of `signal` stops it with code ECANCELED.
 */
export async function recvFile(
  socketFd: number,
  fileFd: number,
  fileOffset: number,
  stage: Buffer,
  stageLen: number,
  length: number,
  hash: Sha256 | undefined,
  options: { signal?: AbortSignal } = {},
): Promise<RecvFileResult> {
  const [received, left, offset, errno, eof] = await cancellable(
    (id) => native().recvFileAsync(id, socketFd, fileFd, fileOffset, stage, stageLen, length, hash?.state ?? null),
    options.signal,
  );
  return { received, stageLen: left, fileOffset: offset, code: errno ? getSystemErrorName(-errno) : '', eof: eof !== 0 };
}

/** SHA-256 on OpenSSL's state, which recvFile can feed off the event loop. */
export class Sha256 {
  /** The native state; for recvFile. */
  readonly state: object = native().sha256Create();

  update(data: Uint8Array): this {
    native().sha256Update(this.state, data);
    return this;
  }

  /** Lowercase hex; the hash is finished afterwards. */
  digest(): string {
    return native().sha256Digest(this.state);
  }
}

/** A Buffer of `size` bytes whose memory starts on an `align` boundary (a power of two), for O_DIRECT I/O. */
export function alignedBuffer(size: number, align: number): Buffer {
  return native().alignedBuffer(size, align);
}
