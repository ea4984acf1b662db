// From what a user typed to where to fetch it: short-name resolution (aliases, search
// registries, short-name-mode) and, per candidate, mirrors and rewritten locations.
import { denied, invalidArgument, isBerthError } from '../internal/errors.js';
import { isFullImageId } from './grammar.js';
import { isShortName, parseCanonicalReference, parseNormalizedReference } from './normalize.js';
import type { RegistryEntry } from './registries-conf.js';
import type { RegistriesConfig } from './registries-load.js';
import { build, fullString, parseReference, type Reference, referenceName, withDefaultTag } from './reference.js';

/** One place to try: a mirror or the primary location, with the reference rewritten onto it. */
export interface PullEndpoint {
  /** The configured location (host[:port][/namespace]) this endpoint stands for. */
  readonly location: string;
  /** What to fetch there: the candidate with its prefix replaced by `location`. */
  readonly reference: Reference;
  /** Plain HTTP and unverified TLS allowed: set in registries.conf, or a loopback host. */
  readonly insecure: boolean;
  readonly mirror: boolean;
}

/** One fully qualified name to try, with its endpoints in order (mirrors first, primary last). */
export interface PullCandidate {
  /** The logical name, fully qualified, tagged "latest" when it had neither tag nor digest. */
  readonly reference: Reference;
  readonly endpoints: readonly PullEndpoint[];
  /** Set when a short-name alias chose this name. */
  readonly fromAlias?: boolean;
  /** The file whose alias or unqualified-search-registries produced this candidate. */
  readonly origin?: string;
}

export interface ResolveOptions {
  /**
   * Resolve short names to docker.io, ignoring aliases and search registries, as docker does
   * (and podman's Docker-compatible API). Mirrors and blocks still apply.
   */
  dockerHub?: boolean;
}

/** Whether host[:port] is this machine: localhost, 127.0.0.0/8 or ::1. Such registries may use plain HTTP. */
export function isLoopbackRegistry(hostPort: string): boolean {
  let host = hostPort;
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']') < 0 ? undefined : host.indexOf(']'));
  else if (host.split(':').length === 2) host = host.slice(0, host.indexOf(':'));
  host = host.toLowerCase();
  if (host === 'localhost') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255);
  if (!host.includes(':') || !/^[0-9a-f:.]+$/.test(host)) return false;
  try {
    const canonical = new URL(`http://[${host}]/`).hostname;
    return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
  } catch {
    return false;
  }
}

/**
 * How many leading characters of `ref` (a full reference string) `prefix` stands for, or -1
 * (c/image's refMatchingPrefix): a literal prefix must end at ":", "/", "@" or the end; a
 * "*.host" prefix matches any subdomain of host in the registry part.
 */
export function prefixMatchLength(ref: string, prefix: string): number {
  if (prefix.startsWith('*.')) {
    const suffix = prefix.slice(1);
    const index = ref.indexOf(suffix);
    if (index < 0 || ref.slice(0, index).includes('/')) return -1;
    const end = index + suffix.length;
    return end === ref.length || ':/@'.includes(ref[end]) ? end : -1;
  }
  if (ref === prefix) return prefix.length;
  if (ref.length > prefix.length && ref.startsWith(prefix) && ':/@'.includes(ref[prefix.length])) return prefix.length;
  return -1;
}

/** The [[registry]] table with the longest matching prefix for `ref` (a full reference string or a host). */
export function findRegistry(config: RegistriesConfig, ref: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined;
  for (const reg of config.registries) {
    if (prefixMatchLength(ref, reg.prefix) >= 0 && (best === undefined || reg.prefix.length > best.prefix.length)) best = reg;
  }
  return best;
}

function blockedError(action: string, ref: Reference, reg: RegistryEntry): Error {
  return denied(`cannot ${action} ${fullString(ref)}: registry "${reg.prefix}" is blocked in ${reg.origin}`, {
    detail: { prefix: reg.prefix, origin: reg.origin },
  });
}

/** Replaces the matched prefix of `ref` with `location`; the result must be a canonical reference. */
function rewrite(ref: Reference, prefix: string, location: string): Reference {
  if (location === '') return ref;
  const s = fullString(ref);
  const n = prefixMatchLength(s, prefix);
  const rewritten = location + s.slice(n);
  try {
    return parseCanonicalReference(rewritten);
  } catch (e) {
    throw invalidArgument(`cannot rewrite ${s} from prefix "${prefix}" to location "${location}": ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The endpoints to pull a fully qualified `ref` from: the matching [[registry]]'s mirrors
 * (those that pull-from-mirror and mirror-by-digest-only allow for this reference), then its
 * location. Throws 'denied' naming the rule if the registry is blocked.
 */
export function pullEndpoints(ref: Reference, config: RegistriesConfig): PullEndpoint[] {
  const reg = findRegistry(config, fullString(ref));
  if (reg === undefined) return [{ location: ref.registry, reference: ref, insecure: isLoopbackRegistry(ref.registry), mirror: false }];
  if (reg.blocked) throw blockedError('pull', ref, reg);
  const digested = ref.digest !== undefined;
  const mirrors = reg.mirrorByDigestOnly ? (digested ? reg.mirrors : []) : reg.mirrors.filter((m) => m.pullFromMirror === 'all' || (m.pullFromMirror === 'digest-only') === digested);
  const endpoints: PullEndpoint[] = [];
  for (const ep of [...mirrors.map((m) => ({ ...m, mirror: true })), { location: reg.location, insecure: reg.insecure, mirror: false }]) {
    const reference = rewrite(ref, reg.prefix, ep.location);
    // A mirror that is itself blocked by another table is skipped, as c/image's client refuses it.
    const own = ep.mirror ? findRegistry(config, fullString(reference)) : undefined;
    if (own?.blocked) continue;
    const location = ep.location === '' ? ref.registry : ep.location;
    endpoints.push({ location, reference, insecure: ep.insecure || isLoopbackRegistry(reference.registry), mirror: ep.mirror });
  }
  return endpoints;
}

/** Splits short input into the name to look up (as typed, e.g. "library/fedora") and its tag and digest. */
function splitShort(input: string): { name: string; tag?: string; digest?: Reference['digest'] } {
  const ref = parseReference(input);
  return { name: referenceName(ref), tag: ref.tag, digest: ref.digest };
}

function refuseImageId(input: string): void {
  if (isFullImageId(input)) {
    throw invalidArgument(`invalid reference "${input}": a repository name cannot be 64 hexadecimal characters (it would be ambiguous with an image ID)`);
  }
}

/** A fully qualified name for the alias value plus the user's tag and digest. */
function aliasReference(value: string, short: ReturnType<typeof splitShort>): Reference {
  const base = parseNormalizedReference(value);
  return withDefaultTag(build(base.registry, base.repository, short.tag, short.digest));
}

/**
 * The ordered candidates to pull `input` from (containers/image's shortnames.Resolve without
 * a prompt). A fully qualified name is its own single candidate. A short name uses its alias
 * if one exists; else every unqualified-search registry, unless short-name-mode is
 * "enforcing" and there is more than one (an error listing them). Candidates whose registry
 * is blocked are dropped; if none is left, throws 'denied' naming the rule and its file.
 * Throws 'invalid-argument' for bad input, or a short name with no alias and no search registries.
 */
export function resolvePullCandidates(input: string, config: RegistriesConfig, options: ResolveOptions = {}): PullCandidate[] {
  refuseImageId(input);
  if (!isShortName(input) || options.dockerHub) {
    const reference = withDefaultTag(parseNormalizedReference(input));
    return [{ reference, endpoints: pullEndpoints(reference, config) }];
  }
  const short = splitShort(input);
  const alias = config.aliases.get(short.name);
  if (alias !== undefined) {
    const reference = aliasReference(alias.value, short);
    return [{ reference, endpoints: pullEndpoints(reference, config), fromAlias: true, origin: alias.origin }];
  }
  const search = config.unqualifiedSearchRegistries;
  const origin = config.unqualifiedSearchRegistriesOrigin;
  if (search.length === 0) {
    const where = origin !== '' ? origin : config.sources.length > 0 ? config.sources.join(', ') : 'containers-registries.conf(5) (no file was found)';
    throw invalidArgument(`cannot resolve short name "${input}": no alias matches it and no unqualified-search-registries are defined in ${where}`);
  }
  const references = search.map((registry) => withDefaultTag(parseNormalizedReference(`${registry}/${input}`)));
  if (config.shortNameMode === 'enforcing' && references.length > 1) {
    throw invalidArgument(
      `cannot resolve short name "${input}": short-name-mode is "enforcing" and it could mean any of ${references.map(fullString).join(', ')} (unqualified-search-registries in ${origin}); use a fully qualified name or add an alias`,
    );
  }
  const candidates: PullCandidate[] = [];
  let refusal: unknown;
  for (const reference of references) {
    try {
      candidates.push({ reference, endpoints: pullEndpoints(reference, config), origin });
    } catch (e) {
      if (!isBerthError(e, 'denied')) throw e;
      refusal ??= e;
    }
  }
  if (candidates.length === 0) throw refusal;
  return candidates;
}

export interface PushTarget {
  /** Fully qualified, tagged "latest" when it had neither tag nor digest. */
  readonly reference: Reference;
  readonly insecure: boolean;
}

/**
 * Where a push of `input` goes. Pushes never search, alias or mirror (registries.conf(5): mirrors
 * and rewriting apply to pulls only); a short name is normalized the docker way, to docker.io,
 * which is what podman and buildah do too (their docker transport parses with docker
 * normalization). Throws 'denied' if the matching [[registry]] is blocked.
 */
export function resolvePushTarget(input: string, config: RegistriesConfig): PushTarget {
  refuseImageId(input);
  const reference = withDefaultTag(parseNormalizedReference(input));
  const reg = findRegistry(config, fullString(reference));
  if (reg?.blocked) throw blockedError('push', reference, reg);
  return { reference, insecure: (reg?.insecure ?? false) || isLoopbackRegistry(reference.registry) };
}

/**
 * Names under which a local image store may hold `input`, most specific first (c/image's
 * ResolveLocally): a fully qualified name as is; a short name's alias, then localhost/<name>,
 * then each unqualified-search registry, then (with `dockerHub`) docker's own normalization.
 */
export function resolveLocalCandidates(input: string, config: RegistriesConfig, options: ResolveOptions = {}): Reference[] {
  refuseImageId(input);
  if (!isShortName(input)) return [withDefaultTag(parseNormalizedReference(input))];
  const short = splitShort(input);
  const out: Reference[] = [];
  const alias = config.aliases.get(short.name);
  if (alias !== undefined) out.push(aliasReference(alias.value, short));
  for (const registry of ['localhost', ...config.unqualifiedSearchRegistries]) {
    out.push(withDefaultTag(parseNormalizedReference(`${registry}/${input}`)));
  }
  if (options.dockerHub) out.push(withDefaultTag(parseNormalizedReference(input)));
  const seen = new Set<string>();
  return out.filter((r) => !seen.has(fullString(r)) && seen.add(fullString(r)) !== undefined);
}
