// Handlers for manifests (GET, HEAD, PUT, DELETE by tag or digest) and the lists: tags
// with pagination, the catalog, and the referrers API with artifactType filtering.
import { type Digest, digestAlgorithm, digestOf } from '../../digest/digest.js';
import { isBerthError } from '../../internal/errors.js';
import { MAX_MANIFEST_SIZE, type ParsedManifest, parseManifest } from '../../image/validate.js';
import { regError } from './errors.js';
import { type RequestContext, readBody, reply, replyJson } from './http.js';
import { checkDigest, checkReference, checkTag } from './names.js';
import type { ReferrerDescriptor, RegistryStorage } from './storage.js';

export interface ManifestDeps {
  storage: RegistryStorage;
  deleteEnabled: boolean;
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const MAX_CATALOG_ENTRIES = 1000;
const DEFAULT_CATALOG_ENTRIES = 100;

const manifestUnknown = (name: string, ref: string) =>
  regError('MANIFEST_UNKNOWN', `manifest ${ref} is unknown to repository ${name}`, { detail: { name, reference: ref } });

async function resolve(storage: RegistryStorage, name: string, ref: string): Promise<Digest> {
  const { digest, tag } = checkReference(ref);
  if (digest) return digest;
  const d = await storage.resolveTag(name, tag!);
  if (!d) throw manifestUnknown(name, ref);
  return d;
}

export async function getManifest(ctx: RequestContext, deps: ManifestDeps, name: string, ref: string): Promise<void> {
  const d = await resolve(deps.storage, name, ref);
  const m = await deps.storage.getManifest(name, d);
  if (!m) throw manifestUnknown(name, ref);
  reply(ctx, 200, { 'Content-Type': m.mediaType, 'Docker-Content-Digest': d, ETag: `"${d}"`, 'Content-Length': m.bytes.length }, m.bytes);
}

export async function putManifest(ctx: RequestContext, deps: ManifestDeps, name: string, ref: string): Promise<void> {
  const { digest: byDigest, tag } = checkReference(ref);
  const bytes = await readBody(ctx.req, MAX_MANIFEST_SIZE, 'manifest');
  let parsed: ParsedManifest;
  try {
    parsed = parseManifest(bytes, ctx.req.headers['content-type']);
  } catch (e) {
    if (isBerthError(e, 'resource-exhausted')) throw regError('SIZE_INVALID', e.message, { status: 413 });
    if (isBerthError(e)) throw regError('MANIFEST_INVALID', e.message);
    throw e;
  }
  let digest = parsed.digest;
  if (byDigest) {
    if (digestAlgorithm(byDigest) !== 'sha256') digest = digestOf(bytes, digestAlgorithm(byDigest));
    if (digest !== byDigest) throw regError('DIGEST_INVALID', `manifest body has digest ${digest}, not ${byDigest}`, { detail: { expected: byDigest, got: digest } });
  }
  for (const desc of parsed.references) {
    // Foreign layers (with urls) live elsewhere by design; everything else must be here.
    if ((desc as { urls?: string[] }).urls?.length) continue;
    const known = parsed.kind === 'index' ? (await deps.storage.hasManifest(name, desc.digest)) || (await deps.storage.hasBlobLink(name, desc.digest)) : await deps.storage.hasBlobLink(name, desc.digest);
    if (!known) {
      throw regError('MANIFEST_BLOB_UNKNOWN', `${parsed.kind === 'index' ? 'manifest' : 'blob'} ${desc.digest} referenced by the manifest is unknown to ${name}`, { detail: { digest: desc.digest } });
    }
  }
  await deps.storage.putManifest(name, bytes, parsed.mediaType, tag, digest);
  const headers: Record<string, string> = { Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest };
  if (parsed.subject) {
    const desc: ReferrerDescriptor = { mediaType: parsed.mediaType, digest, size: bytes.length };
    const artifactType = parsed.artifactType ?? (parsed.kind === 'manifest' ? parsed.config?.mediaType : undefined);
    if (artifactType) desc.artifactType = artifactType;
    if (parsed.annotations && Object.keys(parsed.annotations).length > 0) desc.annotations = parsed.annotations;
    await deps.storage.addReferrer(name, parsed.subject.digest, desc);
    headers['OCI-Subject'] = parsed.subject.digest;
  }
  reply(ctx, 201, headers);
}

export async function deleteManifest(ctx: RequestContext, deps: ManifestDeps, name: string, ref: string): Promise<void> {
  if (!deps.deleteEnabled) throw regError('UNSUPPORTED', 'deletion is disabled on this registry', { status: 405 });
  const { digest, tag } = checkReference(ref);
  if (tag !== undefined) {
    if (!(await deps.storage.deleteTag(name, tag))) throw manifestUnknown(name, ref);
    reply(ctx, 202, {});
    return;
  }
  const m = await deps.storage.getManifest(name, digest!);
  if (!m) throw manifestUnknown(name, ref);
  let subject: Digest | undefined;
  try {
    const s = (JSON.parse(m.bytes.toString('utf8')) as { subject?: { digest?: string } }).subject?.digest;
    if (s) subject = checkDigest(s);
  } catch {
    subject = undefined;
  }
  if (!(await deps.storage.deleteManifest(name, digest!, subject))) throw manifestUnknown(name, ref);
  reply(ctx, 202, {});
}

/** `n` and `last` of a paginated list; n is bounded by `max` when given. */
function pageParams(ctx: RequestContext, max?: number): { n: number | undefined; last: string | undefined } {
  const nRaw = ctx.query.get('n');
  let n: number | undefined;
  if (nRaw !== null && nRaw !== '') {
    if (!/^\d{1,9}$/.test(nRaw)) throw regError('PAGINATION_NUMBER_INVALID', `invalid page size n=${nRaw.slice(0, 50)}`, { detail: { n: nRaw.slice(0, 50) } });
    n = Number(nRaw);
    if (max !== undefined && n > max) throw regError('PAGINATION_NUMBER_INVALID', `page size n=${n} exceeds the limit of ${max}`, { detail: { n, max } });
  }
  return { n, last: ctx.query.get('last') ?? undefined };
}

function page(all: string[], n: number | undefined, last: string | undefined): { items: string[]; more: boolean } {
  const from = last === undefined ? all : all.filter((x) => x > last);
  if (n === undefined) return { items: from, more: false };
  return { items: from.slice(0, n), more: from.length > n && n > 0 };
}

export async function listTags(ctx: RequestContext, deps: ManifestDeps, name: string): Promise<void> {
  const { n, last } = pageParams(ctx);
  if (last !== undefined) checkTag(last);
  if (!(await deps.storage.repositoryExists(name))) throw regError('NAME_UNKNOWN', `repository ${name} is not known to this registry`, { detail: { name } });
  const { items, more } = page(await deps.storage.listTags(name), n, last);
  const headers: Record<string, string> = {};
  if (more) headers.Link = `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(items[items.length - 1])}>; rel="next"`;
  replyJson(ctx, 200, { name, tags: items }, headers);
}

export async function listCatalog(ctx: RequestContext, deps: ManifestDeps): Promise<void> {
  const { n = DEFAULT_CATALOG_ENTRIES, last } = pageParams(ctx, MAX_CATALOG_ENTRIES);
  const { items, more } = page(await deps.storage.listRepositories(), n, last);
  const headers: Record<string, string> = {};
  if (more) headers.Link = `</v2/_catalog?n=${n}&last=${encodeURIComponent(items[items.length - 1])}>; rel="next"`;
  replyJson(ctx, 200, { repositories: items }, headers);
}

export async function listReferrers(ctx: RequestContext, deps: ManifestDeps, name: string, ref: string): Promise<void> {
  const subject = checkDigest(ref);
  const artifactType = ctx.query.get('artifactType');
  let manifests = await deps.storage.listReferrers(name, subject);
  const headers: Record<string, string> = { 'Content-Type': OCI_INDEX };
  if (artifactType !== null) {
    manifests = manifests.filter((m) => m.artifactType === artifactType);
    headers['OCI-Filters-Applied'] = 'artifactType';
  }
  manifests.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  reply(ctx, 200, headers, JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
}


