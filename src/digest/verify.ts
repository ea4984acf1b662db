// Streams that hash what passes through and check it at the end: a blob is never
// trusted on a server's word, only on our own hash of the bytes.
import { Transform, type TransformCallback } from 'node:stream';
import { corrupt } from '../internal/errors.js';
import { type Digest, Digester, digestAlgorithm } from './digest.js';

export interface VerifyOptions {
  /** Expected size in bytes; checked as bytes pass (too many fails at once) and at the end. */
  size?: number;
  /** Expected digest; checked at the end. */
  digest?: Digest;
  /** Names the content in error messages, e.g. "blob sha256:ab.. of docker.io/library/x". */
  what?: string;
}

/**
 * A pass-through stream that fails with kind 'corrupt' if the content is longer or shorter
 * than `size` or hashes to something other than `digest`. The error surfaces before the
 * stream ends, so a consumer that commits on 'finish' never commits bad content.
 */
export class VerifyingStream extends Transform {
  private readonly digester: Digester;
  private readonly expected: VerifyOptions;
  private result: Digest | undefined;

  constructor(expected: VerifyOptions) {
    super();
    this.expected = expected;
    this.digester = new Digester(expected.digest ? digestAlgorithm(expected.digest) : 'sha256');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.digester.update(chunk);
    const { size } = this.expected;
    if (size !== undefined && this.digester.size > size) {
      cb(corrupt(`${this.expected.what ?? 'content'} is larger than its declared size ${size}`, { detail: { size } }));
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const { size, digest, what = 'content' } = this.expected;
    const got = this.digester.digest();
    this.result = got;
    if (size !== undefined && this.digester.size !== size) {
      cb(corrupt(`${what} is truncated: got ${this.digester.size} of ${size} bytes`, { detail: { size, got: this.digester.size } }));
      return;
    }
    if (digest !== undefined && got !== digest) {
      cb(corrupt(`${what} does not match its digest: expected ${digest}, got ${got}`, { detail: { expected: digest, got } }));
      return;
    }
    cb();
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.digester.size;
  }

  /** The digest of everything that passed; available once the stream has flushed. */
  get digest(): Digest | undefined {
    return this.result;
  }
}

/** A pass-through that only measures: digest and size of whatever flowed. */
export class DigestingStream extends Transform {
  private readonly digester: Digester;
  private result: Digest | undefined;

  constructor(algorithm: 'sha256' | 'sha512' = 'sha256') {
    super();
    this.digester = new Digester(algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.digester.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.result = this.digester.digest();
    cb();
  }

  get size(): number {
    return this.digester.size;
  }

  get digest(): Digest {
    if (!this.result) throw new Error('DigestingStream: digest read before the stream ended');
    return this.result;
  }
}
