// Handlers for blobs and uploads: GET/HEAD (with Range), DELETE, and the upload protocol
// (POST monolithic or session, cross-repository mount, PATCH, PUT, GET status, DELETE).
import { pipeline } from 'node:stream/promises';
import type { Principal } from './auth.js';
import { regError } from './errors.js';
import { hasBody, type RequestContext, reply } from './http.js';
import { checkDigest, checkName } from './names.js';
import type { RegistryStorage } from './storage.js';
import type { ContentRange, Uploads } from './uploads.js';

export interface BlobDeps {
  storage: RegistryStorage;
  uploads: Uploads;
  deleteEnabled: boolean;
}

/** Blobs up to this size (configs, mostly) are served from memory once read. */
const SMALL_BLOB = 32 * 1024;

const blobUnknown = (d: string) => regError('BLOB_UNKNOWN', `blob ${d} is unknown to this repository`, { detail: { digest: d } });

export async function getBlob(ctx: RequestContext, deps: BlobDeps, name: string, ref: string): Promise<void> {
  const d = checkDigest(ref);
  if (!(await deps.storage.hasBlobLink(name, d))) throw blobUnknown(d);
  const size = await deps.storage.blobSize(d);
  if (size === undefined) throw blobUnknown(d);
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': d,
    ETag: `"${d}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'max-age=31536000',
  };
  const range = parseRange(ctx.req.headers.range, size);
  if (range === 'invalid') {
    throw regError('RANGE_INVALID', `range ${ctx.req.headers.range} is not satisfiable for ${size} bytes`, { headers: { 'Content-Range': `bytes */${size}` } });
  }
  const [start, end] = range ?? [0, size - 1];
  headers['Content-Length'] = end - start + 1;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  const status = range ? 206 : 200;
  if (ctx.method === 'HEAD' || size === 0) {
    reply(ctx, status, headers);
    return;
  }
  ctx.bytes = end - start + 1;
  if (size <= SMALL_BLOB) {
    const bytes = await deps.storage.smallBlob(d);
    reply(ctx, status, headers, bytes.subarray(start, end + 1));
    return;
  }
  if (deps.storage.driver.copyTo) {
    // Headers go out with the first chunk; a missing file still becomes a clean 404.
    ctx.res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    for (const [k, v] of Object.entries(headers)) ctx.res.setHeader(k, v);
    ctx.res.statusCode = status;
    try {
      await deps.storage.copyBlob(d, ctx.res, start, end);
    } catch (e) {
      if (!ctx.res.headersSent) {
        for (const k of Object.keys(headers)) ctx.res.removeHeader(k);
        throw e;
      }
      ctx.res.destroy();
      return;
    }
    ctx.res.end();
    return;
  }
  const stream = await deps.storage.blobReader(d, start, end);
  ctx.res.writeHead(status, { 'Docker-Distribution-API-Version': 'registry/2.0', ...headers });
  await pipeline(stream, ctx.res).catch(() => ctx.res.destroy());
}

export async function deleteBlob(ctx: RequestContext, deps: BlobDeps, name: string, ref: string): Promise<void> {
  const d = checkDigest(ref);
  if (!deps.deleteEnabled) throw regError('UNSUPPORTED', 'deletion is disabled on this registry', { status: 405 });
  if (!(await deps.storage.unlinkBlob(name, d))) throw blobUnknown(d);
  reply(ctx, 202, {});
}

/** POST /v2/<name>/blobs/uploads/: mount, monolithic upload with ?digest, or a new session. */
export async function startUpload(ctx: RequestContext, deps: BlobDeps, name: string, principal: Principal): Promise<void> {
  const mount = ctx.query.get('mount');
  const from = ctx.query.get('from');
  if (mount !== null) {
    const d = checkDigest(mount);
    // With `from`, the source must be readable by this caller; without, any known blob
    // is mounted (the client proved knowledge of its digest).
    let source: string | undefined;
    if (from !== null) {
      checkName(from);
      if (principal.granted({ type: 'repository', name: from, actions: ['pull'] }) && (await deps.storage.hasBlobLink(from, d))) source = from;
    } else if ((await deps.storage.blobSize(d)) !== undefined) source = name;
    if (source !== undefined && (await deps.storage.blobSize(d)) !== undefined) {
      await deps.storage.linkBlob(name, d);
      reply(ctx, 201, { Location: `/v2/${name}/blobs/${d}`, 'Docker-Content-Digest': d });
      return;
    }
  }
  const digest = ctx.query.get('digest');
  if (digest !== null) {
    const d = checkDigest(digest);
    const id = await deps.uploads.start(name);
    try {
      await deps.uploads.finish(name, id, d, ctx.req);
    } catch (e) {
      // The client never learnt this upload's id, so it cannot resume it: remove it now.
      await deps.uploads.cancel(name, id).catch(() => {});
      throw e;
    }
    reply(ctx, 201, { Location: `/v2/${name}/blobs/${d}`, 'Docker-Content-Digest': d });
    return;
  }
  const id = await deps.uploads.start(name);
  reply(ctx, 202, uploadHeaders(name, id, 0));
}

export async function uploadStatus(ctx: RequestContext, deps: BlobDeps, name: string, id: string): Promise<void> {
  const size = await deps.uploads.size(name, id);
  reply(ctx, 204, uploadHeaders(name, id, size));
}

export async function patchUpload(ctx: RequestContext, deps: BlobDeps, name: string, id: string): Promise<void> {
  const range = contentRange(ctx, name, id);
  try {
    const size = await deps.uploads.append(name, id, ctx.req, range, contentLength(ctx));
    reply(ctx, 202, uploadHeaders(name, id, size));
  } catch (e) {
    await addUploadRange(e, deps, name, id);
    throw e;
  }
}

export async function putUpload(ctx: RequestContext, deps: BlobDeps, name: string, id: string): Promise<void> {
  const digest = ctx.query.get('digest');
  if (digest === null) throw regError('DIGEST_INVALID', 'PUT of an upload needs ?digest=');
  const d = checkDigest(digest);
  const range = contentRange(ctx, name, id);
  try {
    await deps.uploads.finish(name, id, d, hasBody(ctx.req) ? ctx.req : undefined, range, contentLength(ctx));
  } catch (e) {
    await addUploadRange(e, deps, name, id);
    throw e;
  }
  reply(ctx, 201, { Location: `/v2/${name}/blobs/${d}`, 'Docker-Content-Digest': d });
}

export async function cancelUpload(ctx: RequestContext, deps: BlobDeps, name: string, id: string): Promise<void> {
  await deps.uploads.cancel(name, id);
  reply(ctx, 204, {});
}

function uploadHeaders(name: string, id: string, size: number): Record<string, string | number> {
  return {
    Location: `/v2/${name}/blobs/uploads/${id}`,
    Range: `0-${Math.max(0, size - 1)}`,
    'Docker-Upload-UUID': id,
  };
}

/** A 416 tells the client where the upload stands, so it can resume. */
async function addUploadRange(e: unknown, deps: BlobDeps, name: string, id: string): Promise<void> {
  if (!(e instanceof Error) || (e as { status?: number }).status !== 416) return;
  const size = await deps.uploads.size(name, id).catch(() => undefined);
  if (size === undefined) return;
  Object.assign((e as unknown as { headers: Record<string, string> }).headers, {
    Location: `/v2/${name}/blobs/uploads/${id}`,
    Range: `0-${Math.max(0, size - 1)}`,
    'Docker-Upload-UUID': id,
  });
}

function contentLength(ctx: RequestContext): number | undefined {
  const v = ctx.req.headers['content-length'];
  return v === undefined ? undefined : Number(v);
}

/** Content-Range of a chunk: "start-end" as the spec writes it, or "bytes start-end/total". */
function contentRange(ctx: RequestContext, name: string, id: string): ContentRange | undefined {
  const v = ctx.req.headers['content-range'];
  if (v === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/.exec(v.trim());
  if (!m || Number(m[2]) < Number(m[1])) {
    throw regError('BLOB_UPLOAD_INVALID', `malformed Content-Range "${v.slice(0, 100)}" for upload ${id} of ${name}: want start-end`, { status: 416 });
  }
  return { start: Number(m[1]), end: Number(m[2]) };
}

/** One "bytes=a-b", "bytes=a-" or "bytes=-n" range; undefined for none; 'invalid' when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): [number, number] | undefined | 'invalid' {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return header.includes(',') ? undefined : 'invalid';
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'invalid';
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'invalid';
  return [start, end];
}
