// The reference grammar of distribution's reference package, as regular expressions and
// the small validators the registry server and the parsers share.
import { invalidArgument } from '../internal/errors.js';

/** The longest repository name (registry host included) a reference may carry. */
export const NAME_TOTAL_LENGTH_MAX = 255;

// Path components are lower case; separators are one period, one or two underscores, or
// any run of dashes (so host-like names such as "a--b" stay valid).
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;

// Hosts may be upper case (DNS is case-insensitive); IPv6 goes in brackets, without zones.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;

const TAG = '[\\w][\\w.-]{0,127}';
// Any well-formed digest; the algorithm and length are checked afterwards by parseDigest.
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

/** name [":" tag] ["@" digest], capturing the three. */
export const REFERENCE_RE = new RegExp(`^((?:${DOMAIN}/)?${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
/** A name, capturing the optional domain and the remote name. */
export const ANCHORED_NAME_RE = new RegExp(`^(?:(${DOMAIN})/)?(${REMOTE_NAME})$`);
export const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
export const TAG_RE = new RegExp(`^${TAG}$`);
export const DIGEST_RE = new RegExp(`^${DIGEST}$`);
export const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`);
export const REPOSITORY_NAME_RE = new RegExp(`^${REMOTE_NAME}$`);
/** A full image ID: 64 lower-case hex characters, a sha256 without its algorithm. */
export const IMAGE_ID_RE = /^[a-f0-9]{64}$/;

/** Longer input is invalid whatever it holds; refusing it early bounds regex work. */
export const REFERENCE_INPUT_MAX = 1024;

/** Whether `value` is a registry host: a domain name, IPv4 or [IPv6], with an optional :port. */
export function isRegistryHost(value: string): boolean {
  return value.length <= NAME_TOTAL_LENGTH_MAX && DOMAIN_RE.test(value);
}

/** Whether `value` is a full 64-hex image ID, which a repository name may not be. */
export function isFullImageId(value: string): boolean {
  return IMAGE_ID_RE.test(value);
}

/**
 * Checks a repository name as the distribution-spec defines it (the path inside a registry,
 * no host): lower-case components joined by "/", at most 255 characters. Returns the name.
 */
export function validateRepositoryName(name: string): string {
  if (typeof name !== 'string' || name === '') {
    throw invalidArgument('invalid repository name "": repository name must have at least one component');
  }
  const shown = name.slice(0, 300);
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalidArgument(`invalid repository name "${shown}": repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters (got ${name.length})`);
  }
  if (REPOSITORY_NAME_RE.test(name)) return name;
  if (REPOSITORY_NAME_RE.test(name.toLowerCase())) {
    throw invalidArgument(`invalid repository name "${shown}": repository name must be lowercase`);
  }
  throw invalidArgument(`invalid repository name "${shown}": ${describePathProblem(name.split('/'))}`);
}

/** Checks a tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. Returns the tag. */
export function validateTag(tag: string): string {
  if (typeof tag === 'string' && TAG_RE.test(tag)) return tag;
  const shown = String(tag).slice(0, 200);
  const why = tag === '' ? 'a tag must not be empty' : tag.length > 128 ? 'a tag must not be more than 128 characters' : 'a tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
  throw invalidArgument(`invalid tag "${shown}": ${why}`);
}

/** Names the first path component that breaks the grammar, for error messages. */
export function describePathProblem(components: string[]): string {
  for (const c of components) {
    if (c === '') return 'a path component is empty (leading, trailing or doubled "/")';
    if (!PATH_COMPONENT_RE.test(c)) {
      if (PATH_COMPONENT_RE.test(c.toLowerCase())) return `path component "${c.slice(0, 200)}" must be lowercase`;
      return `invalid path component "${c.slice(0, 200)}": components are [a-z0-9]+ joined by ".", "_", "__" or dashes`;
    }
  }
  return 'invalid reference format';
}
