// Content digests as the OCI image-spec defines them: "algorithm:encoded". A Digest is a
// validated string, so it travels through JSON untouched; parse once at the edge.
import { createHash, type Hash } from 'node:crypto';
import { invalidArgument, unsupported } from '../internal/errors.js';

/** A validated digest string such as "sha256:e3b0...". */
export type Digest = string & { readonly __brand: 'Digest' };

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
// Grammar from the image-spec: algorithm-component ([a-z0-9]+) joined by [+._-], then ':' and encoded.
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Parses and validates a digest; registered algorithms must have lower-case hex of the right length. */
export function parseDigest(value: string): Digest {
  if (typeof value !== 'string' || !DIGEST_GRAMMAR.test(value)) {
    throw invalidArgument(`invalid digest "${String(value).slice(0, 200)}": not of the form algorithm:hex`);
  }
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw unsupported(`unsupported digest algorithm "${algorithm}" in "${value.slice(0, 200)}"`);
  }
  const want = HEX_LENGTH[algorithm];
  if (encoded.length !== want || !/^[a-f0-9]+$/.test(encoded)) {
    throw invalidArgument(`invalid digest "${value.slice(0, 200)}": ${algorithm} needs ${want} lower-case hex characters`);
  }
  return value as Digest;
}

export function isDigest(value: unknown): value is Digest {
  try {
    parseDigest(value as string);
    return true;
  } catch {
    return false;
  }
}

export function digestAlgorithm(d: Digest): DigestAlgorithm {
  return d.slice(0, d.indexOf(':')) as DigestAlgorithm;
}

/** The encoded (hex) part, as used in blob paths. */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}` as Digest;
}

/** Incremental hashing for content that arrives in pieces. */
export class Digester {
  readonly algorithm: DigestAlgorithm;
  private readonly hash: Hash;
  private bytes = 0;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
  }

  get size(): number {
    return this.bytes;
  }

  /** Finishes the hash; call once. */
  digest(): Digest {
    return `${this.algorithm}:${this.hash.digest('hex')}` as Digest;
  }
}

export const EMPTY_SHA256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' as Digest;
