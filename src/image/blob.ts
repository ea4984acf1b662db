// Reading blobs from a ContentSource safely: streams wrapped in a verifier, small documents
// (manifests, configs) buffered only up to the manifest limit and checked before use.
import { pipeline, Readable } from 'node:stream';
import { digestAlgorithm, digestOf } from '../digest/digest.js';
import { VerifyingStream } from '../digest/verify.js';
import { aborted, BerthError, corrupt, resourceExhausted } from '../internal/errors.js';
import { MAX_MANIFEST_SIZE } from './fields.js';
import type { ContentSource, ReadOptions } from './handles.js';
import type { Descriptor } from './types.js';

/** The bytes embedded in a descriptor's `data` field, if they match it. */
function embedded(desc: Descriptor): Buffer | undefined {
  if (typeof desc.data !== 'string') return undefined;
  const bytes = Buffer.from(desc.data, 'base64');
  if (bytes.byteLength !== desc.size || digestOf(bytes, digestAlgorithm(desc.digest)) !== desc.digest) return undefined;
  return bytes;
}

/** Opens a blob and verifies it while it flows: 'corrupt' before the end if size or digest are wrong. */
export async function openVerifiedBlob(source: ContentSource, desc: Descriptor, options: ReadOptions = {}): Promise<Readable> {
  if (options.signal?.aborted) throw aborted(`cannot read blob ${desc.digest} from ${source.name}: aborted`);
  const data = embedded(desc);
  if (data) return Readable.from([data]);
  const raw = await source.openBlob(desc, options);
  const verifier = new VerifyingStream({ size: desc.size, digest: desc.digest, what: `blob ${desc.digest} in ${source.name}` });
  const out = pipeline(raw, verifier, () => {});
  if (options.signal) {
    const signal = options.signal;
    const onAbort = () => out.destroy(aborted(`cannot read blob ${desc.digest} from ${source.name}: aborted`));
    signal.addEventListener('abort', onAbort, { once: true });
    out.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  return out;
}

/** Reads a whole stream, refusing more than `limit` bytes. */
export async function readAllLimited(stream: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).byteLength;
    if (total > limit) {
      stream.destroy();
      throw resourceExhausted(`cannot read ${what}: larger than the limit of ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

/** A small document (manifest, config) read whole and verified against its descriptor. */
export async function readBlobBytes(
  source: ContentSource,
  desc: Descriptor,
  options: ReadOptions & { limit?: number; manifest?: boolean } = {},
): Promise<Uint8Array> {
  const limit = options.limit ?? MAX_MANIFEST_SIZE;
  const what = `${desc.mediaType} ${desc.digest} in ${source.name}`;
  if (desc.size > limit) throw resourceExhausted(`cannot read ${what}: ${desc.size} bytes is over the limit of ${limit}`);
  const data = embedded(desc);
  if (data) return data;
  if (options.manifest && source.readManifest) {
    const bytes = await source.readManifest(desc, options);
    if (bytes.byteLength !== desc.size) throw corrupt(`${what} has ${bytes.byteLength} bytes, not the ${desc.size} its descriptor says`);
    const got = digestOf(bytes, digestAlgorithm(desc.digest));
    if (got !== desc.digest) throw corrupt(`${what} does not match its digest: got ${got}`, { detail: { expected: desc.digest, got } });
    return bytes;
  }
  try {
    return await readAllLimited(await openVerifiedBlob(source, desc, options), limit, what);
  } catch (err) {
    if (err instanceof BerthError) throw err;
    throw BerthError.wrap(err, `cannot read ${what}`);
  }
}
