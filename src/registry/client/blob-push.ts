// Blob upload: HEAD to skip what the registry has, a cross-repository mount when a source
// repository is known, else POST then one streaming PUT (Content-Length known, digest checked).
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Digest, parseDigest } from '../../digest/digest.js';
import { DigestingStream, VerifyingStream } from '../../digest/verify.js';
import { aborted, BerthError, invalidArgument } from '../../internal/errors.js';
import { repositoryScope } from './challenge.js';
import { isTransient } from './errors.js';
import type { BlobDescriptor, CallOptions, Repository } from './repository.js';
import { discardBody, type HttpResponse, header } from './transport.js';

/** Opens the blob's bytes afresh for each attempt (a retried upload re-reads from the start). */
export type BlobSource = () => Readable | Promise<Readable>;

export interface PushBlobOptions extends CallOptions {
  /** A repository on the same registry known to hold the blob: mount from it instead of uploading. */
  mountFrom?: string;
  /** Upload attempts on transient failures. Default 3. */
  attempts?: number;
}

export interface PushBlobResult {
  digest: string;
  size: number;
  /** What happened: already there, mounted from another repository, or uploaded. */
  outcome: 'exists' | 'mounted' | 'uploaded';
}

/** HEAD /v2/<name>/blobs/<digest>: the blob's size if the registry has it, else undefined. */
export async function headBlob(repo: Repository, digest: string, options: CallOptions & { scopes?: string[] } = {}): Promise<{ size: number | undefined } | undefined> {
  parseDigest(digest);
  const res = await repo.client.send({
    method: 'HEAD',
    context: `cannot check blob ${digest} in ${repo.displayName}`,
    path: repo.path(`blobs/${digest}`),
    scopes: options.scopes ?? repo.pullScope(),
    repository: repo.name,
    signal: options.signal,
  });
  await discardBody(res);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw await repo.client.failure(res, `cannot check blob ${digest} in ${repo.displayName}`, options.signal);
  const size = Number(header(res, 'content-length'));
  return { size: Number.isFinite(size) ? size : undefined };
}

export async function blobExists(repo: Repository, digest: string, options: CallOptions = {}): Promise<boolean> {
  return (await headBlob(repo, digest, options)) !== undefined;
}

/** The upload URL from a Location header, relative or absolute, with its query kept. */
function uploadUrl(res: HttpResponse, context: string): URL {
  const loc = header(res, 'location');
  if (!loc) throw new BerthError('invalid-argument', `${context}: the registry started an upload without a Location`);
  return new URL(loc, res.url);
}

/**
 * Pushes one blob; idempotent: a blob the repository already has is not sent again. The
 * bytes are checked against `desc` while they stream, so a wrong source fails as 'corrupt'.
 */
export async function pushBlob(repo: Repository, desc: BlobDescriptor, open: BlobSource, options: PushBlobOptions = {}): Promise<PushBlobResult> {
  const digest = parseDigest(desc.digest);
  if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw invalidArgument(`invalid size ${desc.size} for blob ${digest}`);
  const context = `cannot push ${repo.displayName}: blob ${digest}`;
  const scopes = repo.pushScope();
  const mountFrom = options.mountFrom && options.mountFrom !== repo.name ? options.mountFrom : undefined;
  if (mountFrom) scopes.push(repositoryScope(mountFrom, ['pull']));
  if (await headBlob(repo, digest, { signal: options.signal, scopes })) return { digest, size: desc.size, outcome: 'exists' };

  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      const query = mountFrom ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}` : '';
      const started = await repo.client.send({
        method: 'POST',
        context,
        path: repo.path(`blobs/uploads/${query}`),
        body: Buffer.alloc(0),
        scopes,
        repository: repo.name,
        signal: options.signal,
      });
      if (started.status === 201 && mountFrom) {
        await discardBody(started);
        return { digest, size: desc.size, outcome: 'mounted' };
      }
      if (started.status !== 202) throw await repo.client.failure(started, context, options.signal);
      await discardBody(started);
      const url = uploadUrl(started, context);
      url.searchParams.set('digest', digest);
      const res = await repo.client.send({
        method: 'PUT',
        context,
        path: url,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
        body: () => verifiedSource(open, desc, context),
        scopes,
        repository: repo.name,
        retry: false,
        signal: options.signal,
      });
      if (res.status !== 201 && res.status !== 204 && res.status !== 200) throw await repo.client.failure(res, context, options.signal);
      await discardBody(res);
      return { digest, size: desc.size, outcome: 'uploaded' };
    } catch (err) {
      if (attempt >= attempts || !isTransient(err)) throw err;
      await sleep(250 * 2 ** (attempt - 1), undefined, { signal: options.signal }).catch(() => {
        throw aborted(`${context}: cancelled`);
      });
    }
  }
}

async function verifiedSource(open: BlobSource, desc: BlobDescriptor, context: string): Promise<Readable> {
  let source: Readable;
  try {
    source = await open();
  } catch (err) {
    throw BerthError.wrap(err, `${context}: cannot read the blob`);
  }
  const verifier = new VerifyingStream({ size: desc.size, digest: parseDigest(desc.digest), what: `${context}: the local blob` });
  pipeline(source, verifier).catch(() => {});
  return verifier;
}

/**
 * Uploads a stream whose digest and size are not known in advance (a layer being compressed
 * on the fly): POST, one chunked PATCH that hashes as it sends, then PUT with the digest we
 * computed. A stream is read once, so there is no retry; the registry checks the digest too.
 */
export async function pushBlobStream(repo: Repository, stream: Readable, options: CallOptions = {}): Promise<{ digest: Digest; size: number }> {
  const context = `cannot push ${repo.displayName}: a blob`;
  const scopes = repo.pushScope();
  const started = await repo.client.send({ method: 'POST', context, path: repo.path('blobs/uploads/'), body: Buffer.alloc(0), scopes, repository: repo.name, signal: options.signal });
  if (started.status !== 202) {
    stream.destroy();
    throw await repo.client.failure(started, context, options.signal);
  }
  await discardBody(started);
  const hasher = new DigestingStream();
  pipeline(stream, hasher).catch(() => {});
  const patched = await repo.client.send({
    method: 'PATCH',
    context,
    path: uploadUrl(started, context),
    headers: { 'content-type': 'application/octet-stream' },
    body: once(() => hasher),
    scopes,
    repository: repo.name,
    retry: false,
    signal: options.signal,
  });
  if (patched.status !== 202 && patched.status !== 204) throw await repo.client.failure(patched, context, options.signal);
  await discardBody(patched);
  const digest = hasher.digest;
  const url = uploadUrl(patched, context);
  url.searchParams.set('digest', digest);
  const res = await repo.client.send({ method: 'PUT', context, path: url, body: Buffer.alloc(0), scopes, repository: repo.name, retry: false, signal: options.signal });
  if (res.status !== 201 && res.status !== 204 && res.status !== 200) throw await repo.client.failure(res, `cannot push ${repo.displayName}: blob ${digest}`, options.signal);
  await discardBody(res);
  return { digest, size: hasher.size };
}

/** A body factory for a stream that can be read only once: a second call fails clearly. */
function once(open: () => Readable): () => Readable {
  let used = false;
  return () => {
    if (used) throw new BerthError('failed-precondition', 'cannot send the blob again: its stream was already read');
    used = true;
    return open();
  };
}
