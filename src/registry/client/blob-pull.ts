// Blob download: GET /v2/<name>/blobs/<digest> as a stream verified by size and digest while
// it flows, resuming a dropped or short body with Range, and foreign URLs without credentials.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Digest, parseDigest } from '../../digest/digest.js';
import { VerifyingStream } from '../../digest/verify.js';
import { tempPathFor } from '../../internal/atomic.js';
import { aborted, BerthError, invalidArgument, unavailable } from '../../internal/errors.js';
import type { BlobDescriptor, CallOptions, Repository } from './repository.js';
import { discardBody, type HttpResponse, header, transportError } from './transport.js';

export interface GetBlobOptions extends CallOptions {
  /** Times a dropped body is re-requested from where it stopped. Default 5. */
  maxResumes?: number;
  /** Try the descriptor's `urls` (foreign layers), without credentials, if the registry lacks the blob. Default true. */
  foreignUrls?: boolean;
  /** Verb for messages. Default "pull". */
  verb?: string;
}

function checkDescriptor(desc: BlobDescriptor): Digest {
  const digest = parseDigest(desc.digest);
  if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw invalidArgument(`invalid size ${desc.size} for blob ${desc.digest}`);
  return digest;
}

/** Statuses for which a blob request fails at once, before any body is streamed. */
async function firstResponse(repo: Repository, desc: BlobDescriptor, context: string, options: GetBlobOptions): Promise<HttpResponse> {
  const res = await repo.client.send({
    method: 'GET',
    context,
    path: repo.path(`blobs/${desc.digest}`),
    scopes: repo.pullScope(),
    repository: repo.name,
    signal: options.signal,
  });
  if (res.status === 200) return res;
  if (res.status === 404 && options.foreignUrls !== false && desc.urls?.length) {
    await discardBody(res);
    return foreignResponse(repo, desc, context, options);
  }
  throw await repo.client.failure(res, context, options.signal);
}

/** A foreign layer from its own URLs: a plain GET, no Authorization, ever. */
async function foreignResponse(repo: Repository, desc: BlobDescriptor, context: string, options: GetBlobOptions): Promise<HttpResponse> {
  const tried: string[] = [];
  for (const u of desc.urls ?? []) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      tried.push(`${u}: not a URL`);
      continue;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      tried.push(`${u}: unsupported scheme`);
      continue;
    }
    try {
      const res = await repo.client.transport.request({ method: 'GET', url, signal: options.signal });
      if (res.status === 200) return res;
      await discardBody(res);
      tried.push(`${u}: HTTP ${res.status}`);
    } catch (err) {
      if (err instanceof BerthError && err.kind === 'aborted') throw err;
      tried.push(`${u}: ${(err as Error).message}`);
    }
  }
  throw new BerthError('not-found', `${context}: blob unknown to the registry and its URLs failed (${tried.join('; ')})`);
}

/**
 * The blob's bytes as a stream that errors with kind 'corrupt' (before it ends) if they do not
 * match `desc.size` and `desc.digest`. Not-found and auth errors reject the promise instead.
 */
export async function getBlob(repo: Repository, desc: BlobDescriptor, options: GetBlobOptions = {}): Promise<Readable> {
  const digest = checkDescriptor(desc);
  const context = `cannot ${options.verb ?? 'pull'} ${repo.displayName}`;
  const first = await firstResponse(repo, desc, context, options);
  const source = Readable.from(resumingBody(repo, desc, first, context, options), { objectMode: false });
  const verifier = new VerifyingStream({ size: desc.size, digest, what: `${context}: blob ${digest}` });
  pipeline(source, verifier).catch(() => {
    // The error reaches the consumer through `verifier`; pipeline destroys both ends.
  });
  return verifier;
}

async function* resumingBody(repo: Repository, desc: BlobDescriptor, first: HttpResponse, context: string, options: GetBlobOptions): AsyncGenerator<Buffer> {
  const maxResumes = options.maxResumes ?? 5;
  let res = first;
  let received = 0;
  let skip = 0;
  let resumes = 0;
  try {
    for (;;) {
      let lastError: unknown;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          let c = chunk;
          if (skip > 0) {
            // The server ignored Range and restarted from byte 0: drop what we already have.
            const drop = Math.min(skip, c.length);
            skip -= drop;
            c = c.subarray(drop);
            if (c.length === 0) continue;
          }
          received += c.length;
          yield c;
        }
        if (received >= desc.size) return;
      } catch (err) {
        lastError = err;
      }
      if (options.signal?.aborted) throw aborted(`${context}: blob ${desc.digest}: cancelled`);
      if (++resumes > maxResumes) {
        const why = lastError ? transportError(res.url, lastError).message : 'the body ended early';
        throw unavailable(`${context}: blob ${desc.digest}: download failed after ${received} of ${desc.size} bytes and ${maxResumes} resumes: ${why}`);
      }
      await sleep(Math.min(100 * 2 ** (resumes - 1), 2000), undefined, { signal: options.signal }).catch(() => {
        throw aborted(`${context}: blob ${desc.digest}: cancelled`);
      });
      res = await rangeRequest(repo, desc, res, received, context, options);
      skip = res.status === 200 ? received : 0;
    }
  } finally {
    if (!res.body.complete) res.body.destroy();
  }
}

async function rangeRequest(repo: Repository, desc: BlobDescriptor, previous: HttpResponse, offset: number, context: string, options: GetBlobOptions): Promise<HttpResponse> {
  const headers = { range: `bytes=${offset}-` };
  // Resume through the registry, which redirects afresh (signed storage URLs may have expired);
  // a foreign layer resumes at its own URL, still without credentials.
  const foreign = !repo.client.isRegistryOrigin(previous.url, (await repo.client.ping()).base) && desc.urls?.includes(previous.url.href) === true;
  const res = foreign
    ? await repo.client.transport.request({ method: 'GET', url: previous.url, headers, signal: options.signal })
    : await repo.client.send({ method: 'GET', context: `${context}: blob ${desc.digest}`, path: repo.path(`blobs/${desc.digest}`), headers, scopes: repo.pullScope(), repository: repo.name, signal: options.signal });
  if (res.status === 206) {
    const range = /^bytes (\d+)-/.exec(header(res, 'content-range') ?? '');
    if (range && Number(range[1]) === offset) return res;
    await discardBody(res);
    throw unavailable(`${context}: blob ${desc.digest}: the registry answered a resume at byte ${offset} with range "${header(res, 'content-range') ?? ''}"`);
  }
  if (res.status === 200) return res;
  throw await repo.client.failure(res, `${context}: blob ${desc.digest}`, options.signal);
}

/**
 * Downloads a blob into `file`: written to a temp file beside it and renamed only once its
 * size and digest check out, so a failed or corrupt download leaves nothing at `file`.
 */
export async function downloadBlob(repo: Repository, desc: BlobDescriptor, file: string, options: GetBlobOptions = {}): Promise<void> {
  const stream = await getBlob(repo, desc, options);
  const tmp = tempPathFor(file);
  try {
    await pipeline(stream, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 }), { signal: options.signal });
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    if (err instanceof BerthError) throw err;
    throw BerthError.wrap(err, `cannot ${options.verb ?? 'pull'} ${repo.displayName}: blob ${desc.digest}`);
  }
}
