// What the layer-apply pool (apply-pool.ts) and its threads (apply-worker.ts) say to each
// other, and errors flattened to kind + message so a BerthError crosses threads unchanged.
import type { MessagePort } from 'node:worker_threads';
import { BerthError, type ErrorKind } from '../internal/errors.js';
import type { AppliedLayer } from './apply.js';
import type { ApplyMode } from './extract.js';

/** The options of applyLayer that cross to the thread (the signal becomes an 'abort' message). */
export interface JobOptions {
  mode: ApplyMode;
  maxEntries?: number;
  maxDepth?: number;
  preserveOwnership?: boolean;
  maxEntrySize?: number;
}

/** Pool -> thread, on the thread's parentPort: one layer to apply, its bytes to come on `port`. */
export interface ApplyJob {
  port: MessagePort;
  target: string;
  options: JobOptions;
}

/** Pool -> thread, on the job's port. `bytes` is transferred; its first `length` bytes count. */
export type ToThread =
  | { type: 'data'; bytes: ArrayBuffer; length: number }
  | { type: 'end' }
  | { type: 'error'; error: SerializedError }
  | { type: 'abort' };

/** Thread -> pool, on the job's port: `ack` returns send credits; `done` or `failed` ends the job. */
export type FromThread =
  | { type: 'ack'; count: number }
  | { type: 'done'; result: AppliedLayer }
  | { type: 'failed'; error: SerializedError };

/** An error as plain data: a BerthError's kind, message and detail, or a system error's code. */
export interface SerializedError {
  message: string;
  kind?: ErrorKind;
  detail?: Record<string, unknown>;
  code?: string;
  name?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof BerthError) {
    const out: SerializedError = { kind: err.kind, message: err.message };
    const detail = plainDetail(err.detail);
    if (detail) out.detail = detail;
    return out;
  }
  const e = err as NodeJS.ErrnoException | undefined;
  const out: SerializedError = { message: e?.message ?? String(err) };
  if (typeof e?.code === 'string') out.code = e.code;
  if (typeof e?.name === 'string') out.name = e.name;
  return out;
}

/** The error again: a BerthError of the same kind and message, else an Error with the same code. */
export function deserializeError(s: SerializedError): Error {
  if (s.kind) return new BerthError(s.kind, s.message, s.detail ? { detail: s.detail } : {});
  const err = new Error(s.message) as NodeJS.ErrnoException;
  if (s.code) err.code = s.code;
  if (s.name) err.name = s.name;
  return err;
}

/** detail holds digests and sizes; anything that does not survive JSON is dropped rather than failing the message. */
function plainDetail(detail: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!detail) return undefined;
  try {
    return JSON.parse(JSON.stringify(detail)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
