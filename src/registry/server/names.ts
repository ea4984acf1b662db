// Repository names, tags and digests as the distribution-spec's grammar allows them: the
// gate that keeps every storage path built from a request clean (no "..", no "_uploads").
import { type Digest, isDigest } from '../../digest/digest.js';
import { regError } from './errors.js';

const NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** Distribution's limit on a whole name; longer names are refused before touching storage. */
export const MAX_NAME_LENGTH = 255;

export function checkName(name: string): string {
  if (name.length > MAX_NAME_LENGTH || !NAME.test(name)) {
    throw regError('NAME_INVALID', `invalid repository name "${name.slice(0, 300)}": must match the distribution-spec name grammar`, { detail: { name: name.slice(0, 300) } });
  }
  return name;
}

export function isTag(ref: string): boolean {
  return TAG.test(ref);
}

export function checkTag(tag: string): string {
  if (!TAG.test(tag)) throw regError('TAG_INVALID', `invalid tag "${tag.slice(0, 300)}": must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`, { status: 400 });
  return tag;
}

/** A digest from a URL or query; sha256 and sha512 only. */
export function checkDigest(value: string | null | undefined): Digest {
  if (value === null || value === undefined || !isDigest(value)) {
    throw regError('DIGEST_INVALID', `invalid digest "${String(value).slice(0, 300)}"`);
  }
  return value;
}

/** A manifest reference: a digest (contains ':') or a tag. */
export function checkReference(ref: string): { digest?: Digest; tag?: string } {
  if (ref.includes(':')) return { digest: checkDigest(ref) };
  if (!TAG.test(ref)) throw regError('MANIFEST_INVALID', `invalid reference "${ref.slice(0, 300)}": neither a tag nor a digest`, { status: 400 });
  return { tag: ref };
}
