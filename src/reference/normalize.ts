// Docker's normalization of what users type ("fedora" -> docker.io/library/fedora) and its
// reverse, the familiar short form docker prints.
import { invalidArgument } from '../internal/errors.js';
import { isFullImageId, REFERENCE_INPUT_MAX } from './grammar.js';
import { fullString, parseReference, type Reference } from './reference.js';

/** Where docker sends names without a registry. */
export const DEFAULT_REGISTRY = 'docker.io';
/** The old name of Docker Hub's index; normalized to docker.io. */
export const LEGACY_DEFAULT_REGISTRY = 'index.docker.io';
/** The namespace of Docker Hub's official images. */
export const OFFICIAL_NAMESPACE = 'library';

/**
 * Whether the first "/"-separated component of `name` is a registry host in docker's eyes:
 * it contains "." or ":", is "localhost", or has upper case (namespaces cannot). A name with
 * one component never has a registry.
 */
function hasRegistryComponent(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash < 0) return false;
  const first = name.slice(0, slash);
  return first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first;
}

/**
 * Whether `input` names no registry (distribution's splitDockerDomain rule), so that docker
 * would send it to docker.io and podman would resolve it through registries.conf. Only the
 * name is looked at; "fedora@sha256:..." is still a short name. Does not validate.
 */
export function isShortName(input: string): boolean {
  return !hasRegistryComponent(input);
}

/** Splits a name the docker way into registry and remainder, canonicalizing Docker Hub. */
function splitDockerDomain(name: string): { registry: string; remainder: string } {
  let registry = DEFAULT_REGISTRY;
  let remainder = name;
  if (hasRegistryComponent(name)) {
    const slash = name.indexOf('/');
    registry = name.slice(0, slash);
    remainder = name.slice(slash + 1);
    if (registry === LEGACY_DEFAULT_REGISTRY) registry = DEFAULT_REGISTRY;
  }
  // Only Docker Hub puts single-component names under library/.
  if (registry === DEFAULT_REGISTRY && !remainder.includes('/')) {
    remainder = `${OFFICIAL_NAMESPACE}/${remainder}`;
  }
  return { registry, remainder };
}

/**
 * Parses what a user typed as docker does (ParseNormalizedNamed): a missing registry becomes
 * docker.io, index.docker.io becomes docker.io, single names on Docker Hub gain "library/".
 * No default tag is added (see withDefaultTag). A bare 64-hex string is refused: it would be
 * ambiguous with an image ID.
 */
export function parseNormalizedReference(s: string): Reference {
  if (typeof s !== 'string') throw invalidArgument(`invalid reference: expected a string, got ${typeof s}`);
  if (s.length > REFERENCE_INPUT_MAX) return parseReference(s); // reports the length
  if (isFullImageId(s)) {
    throw invalidArgument(`invalid reference "${s}": a repository name cannot be 64 hexadecimal characters (it would be ambiguous with an image ID)`);
  }
  if (s === '') return parseReference(s);
  const { registry, remainder } = splitDockerDomain(s);
  const remote = remainder.split(/[:@]/, 1)[0];
  if (remote.toLowerCase() !== remote) {
    throw invalidArgument(`invalid reference "${s}": repository name "${remote}" must be lowercase`);
  }
  const ref = parseReference(`${registry}/${remainder}`);
  // The strict parser finds the registry by grammar; a chosen registry that is not a valid
  // host (e.g. "a_b.com") would silently become part of the path, so refuse it instead.
  if (ref.registry !== registry) {
    throw invalidArgument(`invalid reference "${s}": invalid registry host "${registry}"`);
  }
  return ref;
}

/**
 * Like parseNormalizedReference, but refuses input that is not already in that canonical form
 * (distribution's ParseNamed): "docker.io/library/foo" passes, "foo" and "docker.io/foo" do not.
 */
export function parseCanonicalReference(s: string): Reference {
  const ref = parseNormalizedReference(s);
  if (fullString(ref) !== s) {
    throw invalidArgument(`invalid reference "${s}": repository name must be canonical (did you mean "${fullString(ref)}"?)`);
  }
  return ref;
}

/** The name docker prints: no docker.io, no "library/" for official single-name images. */
export function familiarName(ref: Reference): string {
  if (ref.registry !== DEFAULT_REGISTRY) return ref.registry === '' ? ref.repository : `${ref.registry}/${ref.repository}`;
  const prefix = `${OFFICIAL_NAMESPACE}/`;
  if (ref.repository.startsWith(prefix) && !ref.repository.slice(prefix.length).includes('/')) {
    return ref.repository.slice(prefix.length);
  }
  return ref.repository;
}

/** The familiar name with tag and digest: "fedora:latest", "user/app@sha256:...". */
export function familiarString(ref: Reference): string {
  let s = familiarName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The familiar form of a reference given as text ("busybox:latest"), or the text as given when it is none. */
export function familiarText(text: string): string {
  try {
    return familiarString(parseNormalizedReference(text));
  } catch {
    return text;
  }
}

/** Canonicalizes a registry host the way references do: index.docker.io -> docker.io. */
export function normalizeRegistryHost(host: string): string {
  return host === LEGACY_DEFAULT_REGISTRY ? DEFAULT_REGISTRY : host;
}

/**
 * docker's client's words for a reference it cannot parse (distribution/reference's
 * ParseNormalizedNamed): a name with capitals is "repository name (NAME) must be lowercase",
 * NAME as that parser splits it (a first component with capitals is taken for a registry).
 */
export function referenceFormatError(text: string): string {
  const slash = text.indexOf('/');
  const first = slash < 0 ? '' : text.slice(0, slash);
  const hasDomain = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  let remainder = hasDomain ? text.slice(slash + 1) : text;
  if (slash < 0) remainder = `library/${remainder}`;
  const tagAt = remainder.indexOf(':');
  const remote = tagAt < 0 ? remainder : remainder.slice(0, tagAt);
  if (remote.toLowerCase() !== remote) return `invalid reference format: repository name (${remote}) must be lowercase`;
  return 'invalid reference format';
}
