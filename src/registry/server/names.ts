// Repository names, tags and digests as the distribution-spec's grammar allows them: the
// gate that keeps every storage path built from a request clean (no "..", no "_uploads").
import { type Digest, isDigest } from '../../digest/digest.js';
import { validateRepositoryName } from '../../reference/grammar.js';
import { regError } from './errors.js';

const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** The one grammar of berth's references (src/reference), answered as NAME_INVALID. */
export function checkName(name: string): string {
  try {
    return validateRepositoryName(name);
  } catch (e) {
    throw regError('NAME_INVALID', (e as Error).message, { detail: { name: name.slice(0, 300) } });
  }
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
