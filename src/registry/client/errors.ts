// Turns a registry's failure response (status plus the distribution-spec JSON error body)
// into a BerthError of the right kind, phrased "cannot pull x:1: manifest unknown".
import { BerthError, type ErrorKind } from '../../internal/errors.js';

/** Distribution-spec error codes (and Docker's additions) -> berth's kinds. */
const CODE_KINDS: Record<string, ErrorKind> = {
  BLOB_UNKNOWN: 'not-found',
  BLOB_UPLOAD_UNKNOWN: 'not-found',
  MANIFEST_UNKNOWN: 'not-found',
  NAME_UNKNOWN: 'not-found',
  BLOB_UPLOAD_INVALID: 'invalid-argument',
  DIGEST_INVALID: 'invalid-argument',
  MANIFEST_INVALID: 'invalid-argument',
  MANIFEST_UNVERIFIED: 'invalid-argument',
  NAME_INVALID: 'invalid-argument',
  TAG_INVALID: 'invalid-argument',
  PAGINATION_NUMBER_INVALID: 'invalid-argument',
  RANGE_INVALID: 'out-of-range',
  SIZE_INVALID: 'invalid-argument',
  MANIFEST_BLOB_UNKNOWN: 'failed-precondition',
  TAG_IMMUTABLE: 'failed-precondition',
  UNAUTHORIZED: 'unauthorized',
  DENIED: 'denied',
  UNSUPPORTED: 'unsupported',
  TOOMANYREQUESTS: 'unavailable',
  UNAVAILABLE: 'unavailable',
};

function kindOfStatus(status: number): ErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'denied';
  if (status === 404) return 'not-found';
  if (status === 405) return 'unsupported';
  if (status === 409) return 'failed-precondition';
  if (status === 416) return 'out-of-range';
  if (status === 429 || status >= 500) return 'unavailable';
  if (status >= 400) return 'invalid-argument';
  return 'internal';
}

export interface RegistryErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** The `errors` array of a distribution-spec error body, or [] when the body is not one. */
export function parseErrorBody(body: Uint8Array | string | undefined): RegistryErrorEntry[] {
  if (!body || body.length === 0) return [];
  try {
    const doc = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
    if (!doc || !Array.isArray(doc.errors)) return [];
    return doc.errors
      .filter((e: unknown) => e && typeof (e as RegistryErrorEntry).code === 'string')
      .map((e: RegistryErrorEntry) => ({ code: e.code, message: typeof e.message === 'string' ? e.message : undefined, detail: e.detail }));
  } catch {
    return [];
  }
}

function phrase(entry: RegistryErrorEntry): string {
  const fromCode = entry.code.toLowerCase().replace(/_/g, ' ');
  const msg = entry.message?.trim().slice(0, 300);
  if (!msg || msg.toLowerCase() === fromCode) return fromCode;
  return `${fromCode} (${msg})`;
}

/** The error for a failed response: `context` is "cannot pull 127.0.0.1:5000/x:1". */
export function registryError(context: string, status: number, body?: Uint8Array | string): BerthError {
  const entries = parseErrorBody(body);
  const first = entries[0];
  const kind = first ? (CODE_KINDS[first.code.toUpperCase()] ?? kindOfStatus(status)) : kindOfStatus(status);
  const why = entries.length > 0 ? entries.map(phrase).join('; ') : statusText(status);
  return new BerthError(kind, `${context}: ${why}`, {
    detail: { status, codes: entries.map((e) => e.code) },
  });
}

function statusText(status: number): string {
  switch (status) {
    case 401:
      return 'unauthorized: authentication required';
    case 403:
      return 'denied: access forbidden';
    case 404:
      return 'not found';
    case 429:
      return 'too many requests';
    default:
      return `unexpected HTTP status ${status}`;
  }
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED']);

/** Failures worth another attempt: resets, timeouts, refused connections, 5xx and 429. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof BerthError)) return false;
  if (err.kind !== 'unavailable') return false;
  const code = err.detail?.code;
  const status = err.detail?.status;
  return (typeof code === 'string' && TRANSIENT_CODES.has(code)) || status === 429 || (typeof status === 'number' && status >= 500);
}

