// The `docker save` tarball: manifest.json entries, the legacy repositories file and the
// v1 layer directories (<id>/VERSION, json, layer.tar), and names inside the archive.
import { type Digest, digestOf } from '../../digest/digest.js';
import { invalidArgument } from '../../internal/errors.js';
import { familiarName, familiarString, parseNormalizedReference, type Reference, withDefaultTag } from '../../reference/index.js';
import { expectArray, expectObject, expectString, expectStringArray, FieldPath, parseJsonObject } from '../fields.js';
import { archiveName as memberName } from '../tarfile.js';
import { EMPTY_CONTAINER_CONFIG } from '../config.js';
import type { ImageConfig } from '../types.js';

export const MANIFEST_JSON = 'manifest.json';
export const REPOSITORIES = 'repositories';
export const LEGACY_VERSION = '1.0';

/** One image in manifest.json. Paths are relative to the archive root. */
export interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  /** Foreign layers docker keeps out of the archive: diff ID -> descriptor. */
  LayerSources?: Record<string, unknown>;
  Parent?: string;
}

/** Parses manifest.json: an array of entries, every path a safe relative name. */
export function parseDockerManifest(bytes: Uint8Array): DockerArchiveEntry[] {
  let list: unknown;
  try {
    list = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw invalidArgument(`invalid ${MANIFEST_JSON}: malformed JSON: ${(err as Error).message}`);
  }
  const at = new FieldPath(MANIFEST_JSON, '');
  const entries = expectArray(list, at);
  if (entries.length === 0) throw at.error('lists no images');
  return entries.map((e, i) => {
    const eat = at.child(i);
    const obj = expectObject(e, eat);
    const config = manifestPath(expectString(obj.Config, eat.child('Config')), eat.child('Config'));
    const layers = expectStringArray(obj.Layers ?? [], eat.child('Layers')).map((l, j) => manifestPath(l, eat.child('Layers').child(j)));
    const tags = obj.RepoTags === null || obj.RepoTags === undefined ? null : expectStringArray(obj.RepoTags, eat.child('RepoTags'));
    const out: DockerArchiveEntry = { Config: config, RepoTags: tags, Layers: layers };
    if (obj.LayerSources !== undefined && obj.LayerSources !== null) out.LayerSources = expectObject(obj.LayerSources, eat.child('LayerSources'));
    return out;
  });
}

/** archiveName, with the field of manifest.json that held the name in the error. */
function manifestPath(name: string, at?: FieldPath): string {
  try {
    return memberName(name);
  } catch (err) {
    if (at) throw at.error(`"${name.slice(0, 200)}" is not a path inside the archive`);
    throw err;
  }
}

/** The RepoTags spelling of a reference: familiar, with a tag ("busybox:latest", "quay.io/x/y:1"). */
export function repoTag(name: string): string {
  return familiarString(withDefaultTag(referenceWithoutDigest(name)));
}

function referenceWithoutDigest(name: string): Reference {
  const ref = parseNormalizedReference(name);
  if (ref.digest !== undefined && ref.tag === undefined) {
    throw invalidArgument(`cannot name an image "${name}" in a docker archive: it needs a tag, not only a digest`);
  }
  return { registry: ref.registry, repository: ref.repository, ...(ref.tag !== undefined ? { tag: ref.tag } : {}) };
}

/** Whether `tag` (as stored in RepoTags) names the same image as `wanted` (as a user typed it). */
export function sameRepoTag(tag: string, wanted: string): boolean {
  if (tag === wanted) return true;
  try {
    return repoTag(tag) === repoTag(wanted);
  } catch {
    return false;
  }
}

/** The repositories file's key for a RepoTag: familiar repository name and tag apart. */
export function splitRepoTag(tag: string): { repository: string; tag: string } {
  const ref = withDefaultTag(referenceWithoutDigest(tag));
  return { repository: familiarName(ref), tag: ref.tag! };
}

/**
 * A v1 layer ID for the legacy directories. docker load never checks these (it reads
 * manifest.json); they only have to be unique per layer chain and image, and stable.
 */
export function legacyLayerID(parent: string, chainID: Digest, configDigest: Digest | undefined): string {
  return digestOf(`${parent}\n${chainID}\n${configDigest ?? ''}`).slice('sha256:'.length);
}

/** Chain IDs (image-spec config.md): chain[0] = diff[0], chain[n] = sha256(chain[n-1] + " " + diff[n]). */
export function chainIDs(diffIDs: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIDs) out.push(out.length === 0 ? d : digestOf(`${out[out.length - 1]} ${d}`));
  return out;
}

/** The <id>/json of a legacy layer directory; the top layer carries the image's config. */
export function legacyLayerJSON(id: string, parent: string, config: ImageConfig, top: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = { id, ...(parent ? { parent } : {}) };
  if (!top) return { ...base, created: '1970-01-01T00:00:00Z', container_config: EMPTY_CONTAINER_CONFIG, os: config.os };
  const { rootfs: _rootfs, history: _history, ...rest } = config;
  return { ...rest, ...base };
}

/** The parsed repositories file, if any: repository -> tag -> top layer ID. */
export function parseRepositories(bytes: Uint8Array): Record<string, Record<string, string>> {
  const obj = parseJsonObject(bytes, REPOSITORIES);
  const at = new FieldPath(REPOSITORIES, '');
  for (const [repo, tags] of Object.entries(obj)) {
    for (const [tag, id] of Object.entries(expectObject(tags, at.child(repo)))) expectString(id, at.child(repo).child(tag));
  }
  return obj as Record<string, Record<string, string>>;
}
