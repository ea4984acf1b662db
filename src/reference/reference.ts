// Image references: REGISTRY/REPOSITORY[:TAG][@DIGEST] as a plain value, the strict parser
// (distribution's Parse, no normalization) and the string forms.
import { type Digest, parseDigest } from '../digest/digest.js';
import { BerthError, invalidArgument } from '../internal/errors.js';
import {
  ANCHORED_NAME_RE,
  DIGEST_RE,
  describePathProblem,
  isRegistryHost,
  NAME_TOTAL_LENGTH_MAX,
  REFERENCE_INPUT_MAX,
  REFERENCE_RE,
  TAG_RE,
  validateTag,
} from './grammar.js';

/** A parsed image reference. Plain data: it survives JSON and structured clone. */
export interface Reference {
  /** host[:port], e.g. "docker.io" or "[::1]:5000"; "" only from parseReference on a name without one. */
  readonly registry: string;
  /** The path inside the registry, e.g. "library/fedora". */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

export const DEFAULT_TAG = 'latest';

/**
 * Parses a reference exactly as distribution's reference.Parse does: no default registry,
 * no "library/", no default tag. The first component is the registry whenever it matches the
 * host grammar and more components follow (so "foo/bar" has registry "foo"); use
 * parseNormalizedReference for what a user typed.
 */
export function parseReference(s: string): Reference {
  if (typeof s !== 'string') throw invalidArgument(`invalid reference: expected a string, got ${typeof s}`);
  if (s === '') throw bad(s, 'repository name must have at least one component');
  if (s.length > REFERENCE_INPUT_MAX) throw bad(s, `longer than ${REFERENCE_INPUT_MAX} characters`);
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    const lower = s.toLowerCase();
    if (lower !== s && REFERENCE_RE.test(lower)) {
      throw bad(s, `repository name "${nameOf(s)}" must be lowercase`);
    }
    throw bad(s, diagnose(s));
  }
  const [, name, tag, digest] = m;
  const n = ANCHORED_NAME_RE.exec(name)!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw bad(s, `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters (got ${name.length})`);
  }
  return build(n[1] ?? '', n[2], tag, digest === undefined ? undefined : checkedDigest(s, digest));
}

/** registry/repository, or the repository alone when there is no registry. */
export function referenceName(ref: Reference): string {
  return ref.registry === '' ? ref.repository : `${ref.registry}/${ref.repository}`;
}

/** The whole reference: name[:tag][@digest], registry included. */
export function fullString(ref: Reference): string {
  let s = referenceName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The same name with `tag` (validated) in place of any tag; a digest is kept. */
export function withTag(ref: Reference, tag: string): Reference {
  return build(ref.registry, ref.repository, validateTag(tag), ref.digest);
}

/** The same name with `digest` (validated) in place of any digest; a tag is kept. */
export function withDigest(ref: Reference, digest: string): Reference {
  return build(ref.registry, ref.repository, ref.tag, parseDigest(digest));
}

/** The name alone, without tag or digest. */
export function nameOnly(ref: Reference): Reference {
  return build(ref.registry, ref.repository, undefined, undefined);
}

/** Adds the tag "latest" to a reference that has neither tag nor digest (docker's TagNameOnly). */
export function withDefaultTag(ref: Reference): Reference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return build(ref.registry, ref.repository, DEFAULT_TAG, undefined);
}

/** A tag-less, digest-carrying copy when both are present (docker's ParseDockerRef rule). */
export function preferDigest(ref: Reference): Reference {
  if (ref.tag === undefined || ref.digest === undefined) return ref;
  return build(ref.registry, ref.repository, undefined, ref.digest);
}

export function sameReference(a: Reference, b: Reference): boolean {
  return a.registry === b.registry && a.repository === b.repository && a.tag === b.tag && a.digest === b.digest;
}

/** Builds a Reference without optional keys that are absent, so deepEqual and JSON stay clean. */
export function build(registry: string, repository: string, tag: string | undefined, digest: Digest | undefined): Reference {
  const ref: { registry: string; repository: string; tag?: string; digest?: Digest } = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function checkedDigest(input: string, digest: string): Digest {
  try {
    return parseDigest(digest);
  } catch (e) {
    throw BerthError.wrap(e, `invalid reference "${shown(input)}"`);
  }
}

function shown(s: string): string {
  return s.length > 300 ? `${s.slice(0, 300)}...` : s;
}

function bad(input: string, why: string): BerthError {
  return invalidArgument(`invalid reference "${shown(input)}": ${why}`);
}

/** The name part of a possibly malformed reference: before "@", minus a trailing ":tag". */
function nameOf(s: string): string {
  const at = s.indexOf('@');
  const head = at < 0 ? s : s.slice(0, at);
  const colon = head.lastIndexOf(':');
  return colon > head.lastIndexOf('/') ? head.slice(0, colon) : head;
}

/** Finds the part of a malformed reference that breaks the grammar, to name it. */
function diagnose(s: string): string {
  const at = s.indexOf('@');
  const head = at < 0 ? s : s.slice(0, at);
  if (at >= 0) {
    const digest = s.slice(at + 1);
    if (!DIGEST_RE.test(digest)) return `invalid digest "${digest.slice(0, 200)}": not of the form algorithm:hex (at least 32 hex characters)`;
  }
  if (head.startsWith('[') && !head.includes('/')) {
    return `"${head.slice(0, 200)}" looks like a registry host, but a repository must follow it`;
  }
  const name = nameOf(s);
  if (name.length < head.length) {
    const tag = head.slice(name.length + 1);
    if (!TAG_RE.test(tag)) return `invalid tag "${tag.slice(0, 200)}": a tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`;
  }
  if (name === '') return 'repository name must have at least one component';
  const components = name.split('/');
  if (components.length > 1) {
    const first = components[0];
    if (isRegistryHost(first)) return describePathProblem(components.slice(1));
    if (/[:[\]%]/.test(first)) return `invalid registry host "${first.slice(0, 200)}"`;
  }
  return describePathProblem(components);
}
