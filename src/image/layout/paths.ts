// Every path inside an OCI image layout (image-layout.md) comes from here, and a blob
// path is built only from a parsed digest, so no crafted digest can leave blobs/.
import * as path from 'node:path';
import { type Digest, digestAlgorithm, digestHex, parseDigest } from '../../digest/digest.js';
import { invalidArgument } from '../../internal/errors.js';

export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
export const BLOBS_DIR = 'blobs';
export const IMAGE_LAYOUT_VERSION = '1.0.0';

/** blobs/<alg>/<hex> under `root`; the digest is parsed first, so it cannot hold "/" or "..". */
export function blobPath(root: string, digest: Digest | string): string {
  const d = parseDigest(digest);
  return path.join(root, BLOBS_DIR, digestAlgorithm(d), digestHex(d));
}

/** blobs/<alg>/<hex> as a relative '/'-separated name (for tar members and LayoutFiles). */
export function blobName(digest: Digest | string): string {
  const d = parseDigest(digest);
  return `${BLOBS_DIR}/${digestAlgorithm(d)}/${digestHex(d)}`;
}

export function blobDir(root: string, digest: Digest): string {
  return path.join(root, BLOBS_DIR, digestAlgorithm(digest));
}

// image-spec annotations.md, org.opencontainers.image.ref.name:
//   ref := component ("/" component)*, component := alphanum (separator alphanum)*,
//   alphanum := [A-Za-z0-9]+, separator := [-._:@+] | "--"
const REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

/** Checks a ref name (the "tag" of an OCI layout entry) against the image-spec grammar. */
export function checkRefName(name: string): string {
  if (typeof name !== 'string' || !REF_NAME.test(name) || name.length > 4096) {
    throw invalidArgument(`invalid ref name "${String(name).slice(0, 200)}": not of the image-spec form component(/component)*`);
  }
  return name;
}
