// Listings that page with Link headers: tags of a repository, the registry's catalog (for
// `berth search`), and the referrers of a manifest (with the tag-schema fallback of spec 1.1).
import { digestHex, parseDigest } from '../../digest/digest.js';
import { BerthError, isBerthError } from '../../internal/errors.js';
import type { RegistryClient } from './client.js';
import { getManifest } from './manifests.js';
import type { BlobDescriptor, CallOptions, Repository } from './repository.js';
import { discardBody, header, readBody } from './transport.js';

export interface ListOptions extends CallOptions {
  /** Page size asked for (`n`); the registry may give fewer. */
  pageSize?: number;
  /** Start after this entry (`last`). */
  last?: string;
  /** Stop after this many entries in total. Default 100,000. */
  limit?: number;
}

const MAX_PAGE_BYTES = 4 * 1024 * 1024;

/** The rel="next" target of a Link header, resolved against the request URL. */
export function nextLink(link: string | undefined, base: URL): URL | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m) continue;
    if (/;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2])) return new URL(m[1], base);
  }
  return undefined;
}

async function pagedList(
  client: RegistryClient,
  first: string,
  field: string,
  context: string,
  request: { scopes: string[]; repository?: string },
  options: ListOptions,
): Promise<string[]> {
  const out: string[] = [];
  const limit = options.limit ?? 100_000;
  const { base } = await client.ping({ signal: options.signal });
  let url: URL | undefined = new URL(first, base);
  if (options.pageSize) url.searchParams.set('n', String(options.pageSize));
  if (options.last) url.searchParams.set('last', options.last);
  const seen = new Set<string>();
  while (url && out.length < limit) {
    if (seen.has(url.href)) break; // a registry that links a page to itself must not loop us forever
    seen.add(url.href);
    const res = await client.send({ method: 'GET', context, path: url, scopes: request.scopes, repository: request.repository, signal: options.signal });
    if (res.status !== 200) throw await client.failure(res, context, options.signal);
    const body = await readBody(res, MAX_PAGE_BYTES, 'a listing page', options.signal);
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      throw new BerthError('invalid-argument', `${context}: the registry's answer is not JSON`);
    }
    const items = doc?.[field];
    if (items !== null && items !== undefined && !Array.isArray(items)) throw new BerthError('invalid-argument', `${context}: "${field}" is not a list`);
    for (const item of (items as unknown[]) ?? []) if (typeof item === 'string') out.push(item);
    url = nextLink(header(res, 'link'), url);
  }
  return out.slice(0, limit);
}

/** Every tag of the repository, following pagination. */
export function listTags(repo: Repository, options: ListOptions = {}): Promise<string[]> {
  return pagedList(repo.client, repo.path('tags/list'), 'tags', `cannot list tags of ${repo.displayName}`, { scopes: repo.pullScope(), repository: repo.name }, options);
}

/** Repository names from /v2/_catalog, following pagination. */
export function catalog(client: RegistryClient, options: ListOptions = {}): Promise<string[]> {
  return pagedList(client, '/v2/_catalog', 'repositories', `cannot list repositories of ${client.host}`, { scopes: ['registry:catalog:*'] }, options);
}

export interface ReferrerDescriptor extends BlobDescriptor {
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ReferrersOptions extends CallOptions {
  artifactType?: string;
}

/**
 * Manifests whose `subject` is `digest`: the referrers API when the registry has it, else the
 * "<alg>-<hex>" tag schema fallback (distribution-spec 1.1). Filtered by artifactType here
 * when the registry did not apply the filter.
 */
export async function referrers(repo: Repository, digest: string, options: ReferrersOptions = {}): Promise<ReferrerDescriptor[]> {
  const d = parseDigest(digest);
  const context = `cannot list referrers of ${repo.display(d)}`;
  const { base } = await repo.client.ping({ signal: options.signal });
  let url: URL | undefined = new URL(repo.path(`referrers/${d}`), base);
  if (options.artifactType) url.searchParams.set('artifactType', options.artifactType);
  const out: ReferrerDescriptor[] = [];
  let filtered = false;
  const seen = new Set<string>();
  while (url && !seen.has(url.href)) {
    seen.add(url.href);
    const res = await repo.client.send({ method: 'GET', context, path: url, scopes: repo.pullScope(), repository: repo.name, signal: options.signal });
    if (res.status === 404 && out.length === 0) {
      await discardBody(res);
      return filterByType(await referrersByTag(repo, d, context, options), options.artifactType);
    }
    if (res.status !== 200) throw await repo.client.failure(res, context, options.signal);
    const body = await readBody(res, MAX_PAGE_BYTES, 'the referrers index', options.signal);
    out.push(...manifestsOf(body, context));
    filtered ||= (header(res, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim()).includes('artifactType');
    url = nextLink(header(res, 'link'), url);
  }
  return filtered ? out : filterByType(out, options.artifactType);
}

async function referrersByTag(repo: Repository, d: string, context: string, options: CallOptions): Promise<ReferrerDescriptor[]> {
  const tag = `${d.slice(0, d.indexOf(':'))}-${digestHex(parseDigest(d))}`.slice(0, 128);
  try {
    const m = await getManifest(repo, tag, { signal: options.signal, accept: ['application/vnd.oci.image.index.v1+json'], verb: 'inspect' });
    return manifestsOf(m.bytes, context);
  } catch (err) {
    if (isBerthError(err, 'not-found')) return [];
    throw err;
  }
}

function manifestsOf(body: Uint8Array, context: string): ReferrerDescriptor[] {
  let doc: { manifests?: unknown };
  try {
    doc = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new BerthError('invalid-argument', `${context}: the referrers index is not JSON`);
  }
  if (doc.manifests === undefined || doc.manifests === null) return [];
  if (!Array.isArray(doc.manifests)) throw new BerthError('invalid-argument', `${context}: "manifests" is not a list`);
  return doc.manifests.filter((m): m is ReferrerDescriptor => !!m && typeof m.digest === 'string' && typeof m.size === 'number');
}

function filterByType(list: ReferrerDescriptor[], artifactType: string | undefined): ReferrerDescriptor[] {
  return artifactType ? list.filter((m) => m.artifactType === artifactType) : list;
}
