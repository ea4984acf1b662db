// Every storage path the registry uses, from one pure module: blobs are content-addressed
// and global; repositories hold links; uploads live apart until they are committed.
import { type Digest, digestAlgorithm, digestHex } from '../../digest/digest.js';

const ROOT = '/v2';

export const paths = {
  blobsRoot: () => `${ROOT}/blobs`,
  blobAlgorithmDir: (algorithm: string) => `${ROOT}/blobs/${algorithm}`,
  blobDir: (d: Digest) => `${ROOT}/blobs/${digestAlgorithm(d)}/${digestHex(d).slice(0, 2)}/${digestHex(d)}`,
  blobData: (d: Digest) => `${paths.blobDir(d)}/data`,
  repositoriesRoot: () => `${ROOT}/repositories`,
  repository: (name: string) => `${ROOT}/repositories/${name}`,
  layersDir: (name: string) => `${paths.repository(name)}/_layers`,
  layerLink: (name: string, d: Digest) => `${paths.repository(name)}/_layers/${digestAlgorithm(d)}/${digestHex(d)}/link`,
  revisionsDir: (name: string) => `${paths.repository(name)}/_manifests/revisions`,
  revisionLink: (name: string, d: Digest) => `${paths.repository(name)}/_manifests/revisions/${digestAlgorithm(d)}/${digestHex(d)}/link`,
  tagsDir: (name: string) => `${paths.repository(name)}/_manifests/tags`,
  tagDir: (name: string, tag: string) => `${paths.repository(name)}/_manifests/tags/${tag}`,
  tagLink: (name: string, tag: string) => `${paths.repository(name)}/_manifests/tags/${tag}/current/link`,
  referrersDir: (name: string, subject: Digest) => `${paths.repository(name)}/_referrers/${digestAlgorithm(subject)}/${digestHex(subject)}`,
  referrerEntry: (name: string, subject: Digest, d: Digest) =>
    `${paths.referrersDir(name, subject)}/${digestAlgorithm(d)}-${digestHex(d)}`,
  uploadsRoot: () => `${ROOT}/uploads`,
  upload: (id: string) => `${ROOT}/uploads/${id}`,
  uploadData: (id: string) => `${ROOT}/uploads/${id}/data`,
  uploadInfo: (id: string) => `${ROOT}/uploads/${id}/info`,
};

/** Directory names inside a repository; name components can never start with "_". */
export const REPOSITORY_MARKERS = ['_layers', '_manifests', '_referrers'];
