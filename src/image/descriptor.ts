// Descriptor and platform validation (image-spec descriptor.md, image-index.md), and
// small constructors for descriptors of bytes held in memory.
import { type Digest, digestAlgorithm, digestOf, parseDigest } from '../digest/digest.js';
import { isBerthError } from '../internal/errors.js';
import {
  expectObject,
  expectString,
  expectStringArray,
  expectStringMap,
  FieldPath,
  type JsonObject,
  optionalString,
  optionalStringArray,
} from './fields.js';
import { isValidMediaType } from './mediatype.js';
import type { Descriptor, Platform } from './types.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function expectMediaType(value: unknown, at: FieldPath): string {
  const mt = expectString(value, at);
  if (!isValidMediaType(mt)) throw at.error(`"${mt.slice(0, 200)}" is not a media type (RFC 6838 type/subtype)`);
  return mt;
}

export function expectDigest(value: unknown, at: FieldPath): Digest {
  const s = expectString(value, at);
  try {
    return parseDigest(s);
  } catch (err) {
    // An unknown algorithm stays 'unsupported': the digest may be fine, berth just cannot check it.
    if (isBerthError(err)) throw at.error(err.message, err.kind);
    throw err;
  }
}

/** Validates a descriptor in place and returns it typed. */
export function validateDescriptor(value: unknown, at: FieldPath): Descriptor {
  const obj = expectObject(value, at);
  if (obj.mediaType === undefined) throw at.child('mediaType').error('required');
  expectMediaType(obj.mediaType, at.child('mediaType'));
  if (obj.digest === undefined) throw at.child('digest').error('required');
  const digest = expectDigest(obj.digest, at.child('digest'));
  if (obj.size === undefined) throw at.child('size').error('required');
  const size = obj.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw at.child('size').error(`expected a non-negative integer, got ${JSON.stringify(size)}`);
  }
  if (obj.urls !== undefined) {
    const urls = expectStringArray(obj.urls, at.child('urls'));
    urls.forEach((u, i) => {
      if (!isUrl(u)) throw at.child('urls').child(i).error(`"${u.slice(0, 200)}" is not a URL`);
    });
  }
  if (obj.annotations !== undefined) expectStringMap(obj.annotations, at.child('annotations'));
  if (obj.artifactType !== undefined) expectMediaType(obj.artifactType, at.child('artifactType'));
  if (obj.platform !== undefined) validatePlatform(obj.platform, at.child('platform'));
  if (obj.data !== undefined) {
    const data = expectString(obj.data, at.child('data'));
    if (!BASE64.test(data)) throw at.child('data').error('not base64');
    const bytes = Buffer.from(data, 'base64');
    if (bytes.byteLength !== size) throw at.child('data').error(`holds ${bytes.byteLength} bytes but size is ${size}`);
    const got = digestOf(bytes, digestAlgorithm(digest));
    if (got !== digest) throw at.child('data').error(`hashes to ${got}, not to the descriptor's digest ${digest}`);
  }
  return obj as unknown as Descriptor;
}

export function validatePlatform(value: unknown, at: FieldPath): Platform {
  const obj: JsonObject = expectObject(value, at);
  if (obj.architecture === undefined) throw at.child('architecture').error('required');
  expectString(obj.architecture, at.child('architecture'));
  if (obj.os === undefined) throw at.child('os').error('required');
  expectString(obj.os, at.child('os'));
  optionalString(obj, 'os.version', at);
  optionalStringArray(obj, 'os.features', at);
  optionalString(obj, 'variant', at);
  optionalStringArray(obj, 'features', at);
  return obj as unknown as Platform;
}

function isUrl(u: string): boolean {
  try {
    new URL(u);
    return true;
  } catch {
    return false;
  }
}

/** Validates a descriptor that is not part of a larger document (e.g. an index.json entry given alone). */
export function parseDescriptor(value: unknown, document = 'descriptor'): Descriptor {
  return validateDescriptor(value, new FieldPath(document, ''));
}

/** The descriptor of bytes in memory. */
export function descriptorOf(bytes: Uint8Array | string, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return { mediaType, digest: digestOf(buf), size: buf.byteLength, ...extra };
}

/** Describes a value for messages: "application/...@sha256:abcd... (123 bytes)". */
export function describeDescriptor(d: Descriptor): string {
  return `${d.mediaType}@${d.digest} (${d.size} bytes)`;
}
