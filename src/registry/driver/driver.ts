// The StorageDriver interface under the registry: a deliberately dumb, path-keyed store
// (small content, streamed readers and writers, stat, list, move, delete).
import type { Readable, Writable } from 'node:stream';
import { invalidArgument } from '../../internal/errors.js';
import type { Sha256 } from '../../internal/sys-socket.js';

/**
 * Paths are absolute, slash-separated, made of [A-Za-z0-9._-] components ("/blobs/sha256/ab/..").
 * The driver knows nothing of blobs or repositories; the registry builds every path in one
 * pure module. Lifecycle of a write: `writer()` opens (or resumes, with append) a file whose
 * bytes are invisible to `getContent`/`reader` guarantees until `commit()` made them durable;
 * `cancel()` removes it. `move()` is the only way content appears under a new path, and it is
 * atomic: a reader sees either nothing or the whole file. An object-store driver implements
 * the same with multipart uploads (writer) and copy-then-delete (move).
 */
export interface StorageDriver {
  readonly name: string;
  /** Whole small file (links, manifests). Throws BerthError not-found when missing. */
  getContent(path: string, options?: DriverOptions): Promise<Buffer>;
  /** Writes a small file atomically (temp, rename); parents are created. */
  putContent(path: string, content: Uint8Array | string, options?: DriverOptions): Promise<void>;
  /** Streams a file from `offset` (inclusive) to `end` (inclusive), or to its end. */
  reader(path: string, offset?: number, options?: ReaderOptions): Promise<Readable>;
  /** Opens a file for writing; `append` resumes after its current bytes. */
  writer(path: string, append: boolean, options?: DriverOptions): Promise<FileWriter>;
  /** Size and modification time; directories have isDir and size 0. Throws not-found. */
  stat(path: string, options?: DriverOptions): Promise<FileInfo>;
  /** Direct children of a directory, as full paths, sorted. Throws not-found when missing. */
  list(path: string, options?: DriverOptions): Promise<string[]>;
  /** Renames a file or directory over `dest` (parents created), atomically. */
  move(source: string, dest: string, options?: DriverOptions): Promise<void>;
  /** Removes a file or a whole tree. Throws not-found when missing. */
  delete(path: string, options?: DriverOptions): Promise<void>;
  /**
   * Optional fast path for serving: writes bytes [offset, end] of a file to `sink` and
   * resolves once the sink took them all. Throws not-found before writing anything.
   * Drivers without it are served through `reader`.
   */
  copyTo?(path: string, sink: Writable, offset: number, end: number, options?: DriverOptions): Promise<void>;
  /**
   * Optional: removes what writes cut short by a crash left under `path` (temp files of
   * putContent, trees that delete renamed away and had not removed yet), when last modified
   * before `olderThan`; returns their paths. Drivers that leave nothing behind have none.
   */
  removeTemps?(path: string, olderThan: Date, options?: DriverOptions): Promise<string[]>;
}

export interface DriverOptions {
  signal?: AbortSignal;
}

export interface ReaderOptions extends DriverOptions {
  /** Last byte to read, inclusive. */
  end?: number;
}

export interface FileInfo {
  path: string;
  size: number;
  modTime: Date;
  isDir: boolean;
}

/** A file being written. Writes may be buffered; `commit` flushes and makes them durable. */
export interface FileWriter {
  /** Bytes in the file, counting those written before an append and still buffered. */
  readonly size: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Flushes, syncs and closes: the bytes are durable and the file keeps its path. */
  commit(): Promise<void>;
  /** Closes without syncing: a later append may resume where this stopped. */
  close(): Promise<void>;
  /** Closes and removes the file. */
  cancel(): Promise<void>;
  /**
   * Optional fast path for an HTTP request body: appends its Content-Length bytes read
   * straight from the connection, feeding them to `hash`, without passing them through JS.
   * Resolves with the bytes appended, or undefined, having read nothing, when it cannot take
   * `source` (the caller then iterates it). When the client goes away it fails like iterating
   * would, and the bytes that came are kept. The connection carries no further request.
   */
  receive?(source: Readable, hash: Sha256 | undefined, options?: DriverOptions): Promise<number | undefined>;
}

const PATH_GRAMMAR = /^(?:\/[A-Za-z0-9._-]+)+$|^\/$/;

/** Rejects paths outside the grammar so no caller can climb out of the driver's root. */
export function checkPath(p: string): string {
  if (!PATH_GRAMMAR.test(p) || p.split('/').some((c) => c === '.' || c === '..')) {
    throw invalidArgument(`cannot use storage path ${JSON.stringify(p).slice(0, 300)}: not a clean absolute path`);
  }
  return p;
}
