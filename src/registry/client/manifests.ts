// Manifest transfer: GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>. Bytes are held
// (max 4 MiB) and their digest is always our own hash, never the registry's header.
import { type Digest, type DigestAlgorithm, digestOf, isDigest } from '../../digest/digest.js';
import { corrupt, invalidArgument, resourceExhausted } from '../../internal/errors.js';
import type { CallOptions, Repository } from './repository.js';
import { discardBody, header, readBody } from './transport.js';

/** Manifests a pull accepts, most preferred first (OCI and Docker schema 2; no schema 1). */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface FetchedManifest {
  bytes: Buffer;
  /** From Content-Type, else the document's own mediaType field. */
  mediaType: string;
  /** Our own digest of `bytes` (the asked one, verified, when pulled by digest). */
  digest: Digest;
}

export interface ManifestHead {
  mediaType: string | undefined;
  /** The registry's Docker-Content-Digest: its word only, unverified (HEAD has no body). */
  digest: Digest | undefined;
  size: number | undefined;
}

export interface GetManifestOptions extends CallOptions {
  /** Accept header values; default MANIFEST_ACCEPT. */
  accept?: string[];
  /** Verb for messages: "pull" (default), "push", "inspect". */
  verb?: string;
}

function checkReference(reference: string): void {
  if (reference.includes(':')) {
    if (!isDigest(reference)) throw invalidArgument(`invalid manifest reference "${reference.slice(0, 200)}": not a valid digest`);
  } else if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(reference)) {
    throw invalidArgument(`invalid tag "${reference.slice(0, 200)}"`);
  }
}

function bare(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const t = contentType.split(';')[0].trim().toLowerCase();
  return t === '' ? undefined : t;
}

/** Fetches a manifest by tag or digest and verifies its bytes (see FetchedManifest.digest). */
export async function getManifest(repo: Repository, reference: string, options: GetManifestOptions = {}): Promise<FetchedManifest> {
  checkReference(reference);
  const context = `cannot ${options.verb ?? 'pull'} ${repo.display(reference)}`;
  const res = await repo.client.send({
    context,
    method: 'GET',
    path: repo.path(`manifests/${reference}`),
    headers: { accept: (options.accept ?? MANIFEST_ACCEPT).join(', ') },
    scopes: repo.pullScope(),
    repository: repo.name,
    signal: options.signal,
  });
  if (res.status !== 200) throw await repo.client.failure(res, context, options.signal);
  let bytes: Buffer;
  try {
    bytes = await readBody(res, MAX_MANIFEST_BYTES, 'the manifest', options.signal);
  } catch (err) {
    throw wrap(err, context);
  }
  const byDigest = reference.includes(':');
  const algorithm: DigestAlgorithm = byDigest ? (reference.slice(0, reference.indexOf(':')) as DigestAlgorithm) : 'sha256';
  const digest = digestOf(bytes, algorithm);
  if (byDigest && digest !== reference) {
    throw corrupt(`${context}: the registry sent a manifest whose digest is ${digest}`, { detail: { expected: reference, got: digest } });
  }
  const claimed = header(res, 'docker-content-digest');
  if (claimed && isDigest(claimed)) {
    const ours = claimed.startsWith(`${algorithm}:`) ? digest : digestOf(bytes, claimed.slice(0, claimed.indexOf(':')) as DigestAlgorithm);
    if (ours !== claimed) {
      throw corrupt(`${context}: Docker-Content-Digest says ${claimed} but the manifest's digest is ${ours}`, { detail: { expected: claimed, got: ours } });
    }
  } else if (claimed) {
    throw corrupt(`${context}: Docker-Content-Digest "${claimed.slice(0, 100)}" is not a digest`);
  }
  let mediaType = bare(header(res, 'content-type'));
  if (!mediaType?.startsWith('application/vnd.')) {
    // Some registries answer text/plain or application/json: fall back to the document's field.
    mediaType = mediaTypeField(bytes) ?? mediaType ?? 'application/octet-stream';
  }
  return { bytes, mediaType, digest };
}

function mediaTypeField(bytes: Buffer): string | undefined {
  try {
    const doc = JSON.parse(bytes.toString('utf8'));
    return typeof doc?.mediaType === 'string' ? doc.mediaType : undefined;
  } catch {
    return undefined;
  }
}

function wrap(err: unknown, context: string): Error {
  const e = err as { kind?: string; message?: string };
  if (e?.kind === 'resource-exhausted') return resourceExhausted(`${context}: ${e.message}`);
  return err as Error;
}

/** HEAD of a manifest; undefined when it does not exist. */
export async function headManifest(repo: Repository, reference: string, options: GetManifestOptions = {}): Promise<ManifestHead | undefined> {
  checkReference(reference);
  const res = await repo.client.send({
    context: `cannot ${options.verb ?? 'inspect'} ${repo.display(reference)}`,
    method: 'HEAD',
    path: repo.path(`manifests/${reference}`),
    headers: { accept: (options.accept ?? MANIFEST_ACCEPT).join(', ') },
    scopes: repo.pullScope(),
    repository: repo.name,
    signal: options.signal,
  });
  await discardBody(res);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw await repo.client.failure(res, `cannot ${options.verb ?? 'inspect'} ${repo.display(reference)}`, options.signal);
  const d = header(res, 'docker-content-digest');
  const size = Number(header(res, 'content-length'));
  return { mediaType: bare(header(res, 'content-type')), digest: d && isDigest(d) ? d : undefined, size: Number.isFinite(size) ? size : undefined };
}

/**
 * PUTs manifest bytes under a tag or their digest (push blobs first: registries refuse
 * manifests whose blobs they lack). Returns our digest of the bytes.
 */
export async function putManifest(repo: Repository, bytes: Uint8Array, mediaType: string, reference: string, options: CallOptions = {}): Promise<Digest> {
  checkReference(reference);
  const context = `cannot push ${repo.display(reference)}`;
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw resourceExhausted(`${context}: the manifest is ${bytes.byteLength} bytes, over the limit of ${MAX_MANIFEST_BYTES}`);
  const digest = digestOf(bytes, reference.includes(':') ? (reference.slice(0, reference.indexOf(':')) as DigestAlgorithm) : 'sha256');
  if (reference.includes(':') && digest !== reference) throw invalidArgument(`${context}: the manifest's digest is ${digest}, not the reference`);
  const res = await repo.client.send({
    context,
    method: 'PUT',
    path: repo.path(`manifests/${reference}`),
    headers: { 'content-type': mediaType },
    body: bytes,
    scopes: repo.pushScope(),
    repository: repo.name,
    signal: options.signal,
  });
  if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await repo.client.failure(res, context, options.signal);
  await discardBody(res);
  return digest;
}

/** DELETE by digest (Distribution refuses deletes by tag unless configured otherwise). */
export async function deleteManifest(repo: Repository, reference: string, options: CallOptions = {}): Promise<void> {
  checkReference(reference);
  const res = await repo.client.send({
    context: `cannot delete ${repo.display(reference)}`,
    method: 'DELETE',
    path: repo.path(`manifests/${reference}`),
    scopes: [`repository:${repo.name}:delete`],
    repository: repo.name,
    signal: options.signal,
  });
  if (res.status !== 202 && res.status !== 200 && res.status !== 204) {
    throw await repo.client.failure(res, `cannot delete ${repo.display(reference)}`, options.signal);
  }
  await discardBody(res);
}
