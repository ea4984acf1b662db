// The one closed set of error kinds in berth. Every failure that crosses a module
// boundary is a BerthError; the edges (CLI, registry server, Engine API) map kinds once.
import { getSystemErrorMap } from 'node:util';

/** The closed set of kinds. Add one only when no existing kind says it. */
export const ERROR_KINDS = [
  'invalid-argument', // the caller's input is malformed (a bad flag, reference, manifest, tar)
  'not-found', // the named thing does not exist
  'already-exists', // creating something whose name is taken
  'failed-precondition', // the system is not in a state that allows the operation
  'out-of-range', // a position or range outside the content (upload offsets, Range)
  'resource-exhausted', // a size or count limit was hit (manifest > 4 MiB, tar bombs)
  'corrupt', // content does not match its digest or declared size
  'unauthorized', // credentials missing or wrong
  'denied', // credentials fine, but not allowed
  'unsupported', // understood but not implemented for this input (a media type, a platform)
  'unavailable', // a peer or resource cannot be reached right now; a retry may work
  'aborted', // cancelled by signal or a conflicting concurrent operation
  'internal', // a bug or an unexpected host failure
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface BerthErrorOptions {
  cause?: unknown;
  /** Machine-readable extra facts (e.g. the digest expected and got). */
  detail?: Record<string, unknown>;
}

/** An error of a known kind. `message` says what failed and why: "cannot pull x: manifest unknown". */
export class BerthError extends Error {
  readonly kind: ErrorKind;
  readonly detail: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BerthError';
    this.kind = kind;
    this.detail = options.detail;
  }

  /** The same error with a context prefix: wrap(e, 'cannot pull x') -> "cannot pull x: <e.message>". */
  static wrap(err: unknown, context: string, fallbackKind: ErrorKind = 'internal'): BerthError {
    if (err instanceof BerthError) {
      return new BerthError(err.kind, `${context}: ${err.message}`, { cause: err, detail: err.detail });
    }
    const kind = fallbackKind === 'internal' ? kindOfSystemError(err) : fallbackKind;
    return new BerthError(kind, `${context}: ${describe(err)}`, { cause: err });
  }
}

export function isBerthError(err: unknown, kind?: ErrorKind): err is BerthError {
  return err instanceof BerthError && (kind === undefined || err.kind === kind);
}

/** Maps Node system errors (ENOENT, EEXIST, ...) to kinds, so callers can wrap fs failures. */
export function kindOfSystemError(err: unknown): ErrorKind {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'not-found';
    case 'EEXIST':
    case 'ENOTEMPTY':
      return 'already-exists';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'denied';
    case 'ENOSPC':
    case 'EMFILE':
    case 'ENFILE':
      return 'resource-exhausted';
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'EPIPE':
    case 'EAI_AGAIN':
      return 'unavailable';
    case 'ABORT_ERR':
      return 'aborted';
    default:
      return 'internal';
  }
}

/**
 * An error's words. A Node system error ("ENOENT: no such file or directory, lstat '/x'") is
 * said as Go's os errors say it, which is what docker's users read: "lstat /x: no such file or
 * directory" ("rename /a /b: ..." for two paths).
 */
export function describe(err: unknown): string {
  const sys = systemErrorParts(err);
  if (sys) return `${[sys.syscall, ...sys.paths].join(' ')}: ${sys.text}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * A system error's parts from its message ("ENOENT: no such file or directory, lstat '/x'", or
 * "-> '/y'" for a second path; Node's and the addon's alike): the errno text as Go prints it
 * (lower case: the addon's strerror() starts with a capital), the call and its paths.
 */
function systemErrorParts(err: unknown): { text: string; syscall: string; paths: string[] } | undefined {
  if (!(err instanceof Error) || typeof (err as NodeJS.ErrnoException).code !== 'string') return undefined;
  const m = /^[A-Z0-9_]+: (.*?), (\w+)(?: '(.*?)')?(?: -> '(.*?)')?$/s.exec(err.message);
  if (!m) return undefined;
  return { text: `${m[1].charAt(0).toLowerCase()}${m[1].slice(1)}`, syscall: m[2], paths: [m[3], m[4]].filter((p): p is string => p !== undefined) };
}

/**
 * The errno text of a system error as Go prints it ("no such device"; libuv's text for one
 * whose message names only the call, as a stream's "write EPIPE": "broken pipe"); the message
 * of any other.
 */
export function errnoText(err: unknown): string {
  const parts = systemErrorParts(err);
  if (parts) return parts.text;
  const errno = (err as NodeJS.ErrnoException | undefined)?.errno;
  const known = typeof errno === 'number' ? getSystemErrorMap().get(errno)?.[1] : undefined;
  if (known) return known;
  return err instanceof Error ? err.message : String(err);
}

/**
 * A system error as Go's os errors say it for an operation on a name ("write /dev/stdout: no
 * space left on device", "open F: no such file or directory"), of the errno's kind.
 */
export function systemError(err: unknown, op: string): BerthError {
  return new BerthError(kindOfSystemError(err), `${op}: ${errnoText(err)}`, { cause: err });
}

// Short constructors keep call sites readable: throw invalidArgument(`bad tag "${t}": ...`).
export const invalidArgument = (m: string, o?: BerthErrorOptions) => new BerthError('invalid-argument', m, o);
export const notFound = (m: string, o?: BerthErrorOptions) => new BerthError('not-found', m, o);
export const alreadyExists = (m: string, o?: BerthErrorOptions) => new BerthError('already-exists', m, o);
export const failedPrecondition = (m: string, o?: BerthErrorOptions) => new BerthError('failed-precondition', m, o);
export const outOfRange = (m: string, o?: BerthErrorOptions) => new BerthError('out-of-range', m, o);
export const resourceExhausted = (m: string, o?: BerthErrorOptions) => new BerthError('resource-exhausted', m, o);
export const corrupt = (m: string, o?: BerthErrorOptions) => new BerthError('corrupt', m, o);
export const unauthorized = (m: string, o?: BerthErrorOptions) => new BerthError('unauthorized', m, o);
export const denied = (m: string, o?: BerthErrorOptions) => new BerthError('denied', m, o);
export const unsupported = (m: string, o?: BerthErrorOptions) => new BerthError('unsupported', m, o);
export const unavailable = (m: string, o?: BerthErrorOptions) => new BerthError('unavailable', m, o);
export const aborted = (m: string, o?: BerthErrorOptions) => new BerthError('aborted', m, o);
export const internal = (m: string, o?: BerthErrorOptions) => new BerthError('internal', m, o);
