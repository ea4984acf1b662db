// Parsing and validation of manifests and indexes as they arrive from a client, a registry
// or a file: size limit, JSON shape, media type agreement, every descriptor checked.
import { type Digest, digestOf } from '../digest/digest.js';
import { invalidArgument, unsupported } from '../internal/errors.js';
import { expectMediaType, validateDescriptor } from './descriptor.js';
import { expectArray, expectStringMap, FieldPath, type JsonObject, MAX_MANIFEST_SIZE, parseJsonObject } from './fields.js';
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  isDockerMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isSchema1MediaType,
  OCI_INDEX,
  OCI_MANIFEST,
  bareMediaType,
  DOCKER_SCHEMA1_MANIFEST,
  DOCKER_SCHEMA1_SIGNED_MANIFEST,
} from './mediatype.js';
import type { Descriptor, ImageIndex, ImageManifest } from './types.js';

export { MAX_MANIFEST_SIZE };
export { parseImageConfig } from './config.js';

export interface ParsedManifest {
  /** The manifest's media type: from its own field, else the given content type, else its shape. */
  mediaType: string;
  kind: 'manifest' | 'index';
  manifest?: ImageManifest;
  index?: ImageIndex;
  /** sha256 of the exact bytes. */
  digest: Digest;
  size: number;
  /** What the manifest points at: config and layers, or the child manifests of an index. */
  references: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
  config?: Descriptor;
}

/**
 * Content types that say nothing about the manifest (clients send them, and Go's http sets
 * them by default), so the body and its shape decide instead.
 */
const NEUTRAL_CONTENT_TYPES = new Set(['', 'application/json', 'application/octet-stream', 'text/plain']);

/** Docker lists may hold only image manifests (schema 2, and schema 1 for very old lists). */
const DOCKER_LIST_CHILDREN = new Set([DOCKER_MANIFEST, OCI_MANIFEST, DOCKER_SCHEMA1_MANIFEST, DOCKER_SCHEMA1_SIGNED_MANIFEST]);

/**
 * Parses and validates a manifest or index. Throws 'resource-exhausted' over 4 MiB,
 * 'unsupported' for schema 1 and unknown media types, 'invalid-argument' for everything
 * malformed or contradictory, naming the field.
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  const obj = parseJsonObject(bytes, 'manifest');
  const at = new FieldPath('manifest', '');
  const given = contentType === undefined ? '' : bareMediaType(contentType);
  const declared = obj.mediaType === undefined ? undefined : expectMediaType(obj.mediaType, at.child('mediaType'));

  if (isSchema1MediaType(given) || isSchema1MediaType(declared) || (obj.schemaVersion === 1 && declared === undefined)) {
    throw unsupported('unsupported manifest: Docker image manifest schema 1 is deprecated and not supported; push the image again with a current client');
  }
  const neutral = NEUTRAL_CONTENT_TYPES.has(given);
  if (!neutral && declared !== undefined && declared !== given) {
    throw invalidArgument(`invalid manifest: mediaType: the body says "${declared}" but the content type is "${given}"`);
  }
  const mediaType = declared ?? (neutral ? detectByShape(obj) : given);
  if (!isManifestMediaType(mediaType) && !isIndexMediaType(mediaType)) {
    throw unsupported(`unsupported manifest media type "${mediaType}"`);
  }
  if (isDockerMediaType(mediaType) && declared === undefined) {
    throw at.child('mediaType').error(`required for ${mediaType}`);
  }
  if (obj.schemaVersion === undefined) throw at.child('schemaVersion').error('required');
  if (obj.schemaVersion !== 2) throw at.child('schemaVersion').error(`must be 2, got ${JSON.stringify(obj.schemaVersion)}`);

  const digest = digestOf(bytes);
  const size = bytes.byteLength;
  const common = validateCommon(obj, at);
  if (isManifestMediaType(mediaType)) {
    const manifest = validateImageManifest(obj, mediaType, at);
    return {
      mediaType,
      kind: 'manifest',
      manifest,
      digest,
      size,
      references: [manifest.config, ...manifest.layers],
      config: manifest.config,
      ...common,
    };
  }
  const index = validateImageIndex(obj, mediaType, at);
  return { mediaType, kind: 'index', index, digest, size, references: [...index.manifests], ...common };
}

/** OCI lets `mediaType` be absent; then `manifests` means an index and `config`/`layers` a manifest. */
function detectByShape(obj: JsonObject): string {
  const isIndex = obj.manifests !== undefined;
  const isManifest = obj.config !== undefined || obj.layers !== undefined;
  if (isIndex && isManifest) {
    throw invalidArgument('invalid manifest: has both "manifests" and "config"/"layers", so it is neither an index nor a manifest');
  }
  if (isIndex) return OCI_INDEX;
  if (isManifest) return OCI_MANIFEST;
  throw invalidArgument('invalid manifest: no mediaType, and neither "manifests" nor "config" and "layers"');
}

function validateCommon(obj: JsonObject, at: FieldPath): Pick<ParsedManifest, 'subject' | 'artifactType' | 'annotations'> {
  const out: Pick<ParsedManifest, 'subject' | 'artifactType' | 'annotations'> = {};
  if (obj.subject !== undefined) out.subject = validateDescriptor(obj.subject, at.child('subject'));
  if (obj.artifactType !== undefined) out.artifactType = expectMediaType(obj.artifactType, at.child('artifactType'));
  if (obj.annotations !== undefined) out.annotations = expectStringMap(obj.annotations, at.child('annotations'));
  return out;
}

function validateImageManifest(obj: JsonObject, mediaType: string, at: FieldPath): ImageManifest {
  if (obj.manifests !== undefined) throw at.child('manifests').error(`not allowed in ${mediaType}, which is an image manifest`);
  if (obj.config === undefined) throw at.child('config').error('required');
  validateDescriptor(obj.config, at.child('config'));
  if (obj.layers === undefined) throw at.child('layers').error('required');
  const layers = expectArray(obj.layers, at.child('layers'));
  layers.forEach((l, i) => {
    validateDescriptor(l, at.child('layers').child(i));
  });
  return obj as unknown as ImageManifest;
}

function validateImageIndex(obj: JsonObject, mediaType: string, at: FieldPath): ImageIndex {
  for (const key of ['config', 'layers'] as const) {
    if (obj[key] !== undefined) throw at.child(key).error(`not allowed in ${mediaType}, which is an index`);
  }
  if (obj.manifests === undefined) throw at.child('manifests').error('required');
  const manifests = expectArray(obj.manifests, at.child('manifests'));
  manifests.forEach((m, i) => {
    const d = validateDescriptor(m, at.child('manifests').child(i));
    if (mediaType === DOCKER_MANIFEST_LIST && !DOCKER_LIST_CHILDREN.has(d.mediaType)) {
      throw at
        .child('manifests')
        .child(i)
        .child('mediaType')
        .error(`a Docker manifest list may hold only image manifests, not "${d.mediaType}"`);
    }
  });
  return obj as unknown as ImageIndex;
}

/** The bytes of a manifest or index as berth writes them: compact JSON, fields in spec order. */
export function serializeManifest(m: ImageManifest | ImageIndex): Uint8Array {
  return Buffer.from(JSON.stringify(m));
}
