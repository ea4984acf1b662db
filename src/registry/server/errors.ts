// The distribution-spec's error codes, each registered once with its HTTP status, and the
// one mapping from berth's error kinds to them (the edge where kinds become wire codes).
import { BerthError, type ErrorKind } from '../../internal/errors.js';

export const ERROR_CODES = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  TAG_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 415,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  PAGINATION_NUMBER_INVALID: 400,
  UNKNOWN: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error already in wire form: code, status, message, optional detail. */
export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: unknown;
  /** Extra response headers: WWW-Authenticate challenges, the Range of an upload. */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: { status?: number; detail?: unknown; headers?: Record<string, string> } = {}) {
    super(message);
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code];
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }

  body(): string {
    const e: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.detail !== undefined) e.detail = this.detail;
    return JSON.stringify({ errors: [e] });
  }
}

export const regError = (code: ErrorCode, message: string, options?: { status?: number; detail?: unknown; headers?: Record<string, string> }) => new RegistryError(code, message, options);

const BY_KIND: Partial<Record<ErrorKind, ErrorCode>> = {
  unauthorized: 'UNAUTHORIZED',
  denied: 'DENIED',
  unavailable: 'UNAVAILABLE',
  'resource-exhausted': 'SIZE_INVALID',
};

/**
 * Turns any failure into a wire error. `fallback` names the code for this route's
 * client-side kinds (invalid-argument, not-found), which differ per route.
 */
export function toRegistryError(err: unknown, fallback: { invalid?: ErrorCode; notFound?: ErrorCode } = {}): RegistryError {
  if (err instanceof RegistryError) return err;
  if (err instanceof BerthError) {
    if (err.kind === 'invalid-argument' || err.kind === 'corrupt') return regError(fallback.invalid ?? 'UNSUPPORTED', err.message, { status: 400 });
    if (err.kind === 'not-found') return regError(fallback.notFound ?? 'NAME_UNKNOWN', err.message);
    if (err.kind === 'out-of-range') return regError('RANGE_INVALID', err.message);
    if (err.kind === 'unsupported') return regError(fallback.invalid ?? 'UNSUPPORTED', err.message, { status: 400 });
    const code = BY_KIND[err.kind];
    if (code) return regError(code, err.message);
  }
  return regError('UNKNOWN', 'internal error');
}
