// Media types of the OCI image-spec and of Docker's image manifest v2 schema 2, and the
// questions asked about them (is this a manifest? an index? a layer? compressed how?).
import type { Digest } from '../digest/digest.js';

// OCI image-spec v1.1 (media-types.md, manifest.md, image-index.md, layer.md).
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_LAYER_TAR_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const OCI_LAYER_NONDISTRIBUTABLE_TAR = 'application/vnd.oci.image.layer.nondistributable.v1.tar';
export const OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
export const OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD = 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd';
export const OCI_LAYOUT_HEADER = 'application/vnd.oci.layout.header.v1+json';

/** The empty JSON descriptor target: the two bytes "{}" (image-spec manifest.md "Guidance for an Empty Descriptor"). */
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const OCI_EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' as Digest;
export const OCI_EMPTY_SIZE = 2;
/** base64 of "{}", for a descriptor's `data` field. */
export const OCI_EMPTY_DATA = 'e30=';

// Docker image manifest v2, schema 2 (distribution/docs/spec/manifest-v2-2.md).
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
export const DOCKER_LAYER_FOREIGN_GZIP = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
/** Not in Docker's spec, but containers/image writes it for uncompressed docker layers. */
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
export const DOCKER_LAYER_ZSTD = 'application/vnd.docker.image.rootfs.diff.tar.zstd';
export const DOCKER_PLUGIN_CONFIG = 'application/vnd.docker.plugin.v1+json';

// Schema 1: deprecated, signed with JWS; recognised only to be refused with a clear message.
export const DOCKER_SCHEMA1_MANIFEST = 'application/vnd.docker.distribution.manifest.v1+json';
export const DOCKER_SCHEMA1_SIGNED_MANIFEST = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

export const SCHEMA1_MEDIA_TYPES: readonly string[] = [DOCKER_SCHEMA1_MANIFEST, DOCKER_SCHEMA1_SIGNED_MANIFEST];

/** Media types of image manifests (a config and layers). */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
/** Media types of indexes (lists of manifests). */
export const INDEX_MEDIA_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];
/** Everything a registry stores under /manifests/ that berth understands. */
export const SUPPORTED_MANIFEST_MEDIA_TYPES: readonly string[] = [...MANIFEST_MEDIA_TYPES, ...INDEX_MEDIA_TYPES];

export const LAYER_MEDIA_TYPES: readonly string[] = [
  OCI_LAYER_TAR,
  OCI_LAYER_TAR_GZIP,
  OCI_LAYER_TAR_ZSTD,
  OCI_LAYER_NONDISTRIBUTABLE_TAR,
  OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP,
  OCI_LAYER_NONDISTRIBUTABLE_TAR_ZSTD,
  DOCKER_LAYER_GZIP,
  DOCKER_LAYER_FOREIGN_GZIP,
  DOCKER_LAYER_TAR,
  DOCKER_LAYER_ZSTD,
];

export const CONFIG_MEDIA_TYPES: readonly string[] = [OCI_CONFIG, DOCKER_CONFIG];

export type Compression = 'none' | 'gzip' | 'zstd';

export function isManifestMediaType(mt: string | undefined): boolean {
  return mt !== undefined && MANIFEST_MEDIA_TYPES.includes(mt);
}
export function isIndexMediaType(mt: string | undefined): boolean {
  return mt !== undefined && INDEX_MEDIA_TYPES.includes(mt);
}
export function isSchema1MediaType(mt: string | undefined): boolean {
  return mt !== undefined && SCHEMA1_MEDIA_TYPES.includes(mt);
}
export function isDockerMediaType(mt: string | undefined): boolean {
  return mt?.startsWith('application/vnd.docker.') === true;
}
export function isLayerMediaType(mt: string | undefined): boolean {
  return mt !== undefined && LAYER_MEDIA_TYPES.includes(mt);
}
export function isConfigMediaType(mt: string | undefined): boolean {
  return mt !== undefined && CONFIG_MEDIA_TYPES.includes(mt);
}
/** Non-distributable ("foreign") layers: their blobs may be absent from registries and archives. */
export function isNondistributable(mt: string | undefined): boolean {
  return mt !== undefined && (mt.includes('.nondistributable.') || mt === DOCKER_LAYER_FOREIGN_GZIP);
}

/** The compression a layer media type declares; undefined for a media type that is not a known layer. */
export function layerCompression(mt: string): Compression | undefined {
  if (!isLayerMediaType(mt)) return undefined;
  if (mt.endsWith('+gzip') || mt.endsWith('.gzip')) return 'gzip';
  if (mt.endsWith('+zstd') || mt.endsWith('.zstd')) return 'zstd';
  return 'none';
}

/**
 * The layer media type of the same family (OCI or Docker, distributable or not) with the given
 * compression. Docker has no official uncompressed or zstd type; containers/image's names are used.
 */
export function layerMediaTypeWith(mt: string, compression: Compression): string {
  if (isDockerMediaType(mt)) {
    if (mt === DOCKER_LAYER_FOREIGN_GZIP && compression === 'gzip') return mt;
    return compression === 'gzip' ? DOCKER_LAYER_GZIP : compression === 'zstd' ? DOCKER_LAYER_ZSTD : DOCKER_LAYER_TAR;
  }
  const nondist = isNondistributable(mt);
  const base = nondist ? OCI_LAYER_NONDISTRIBUTABLE_TAR : OCI_LAYER_TAR;
  return compression === 'none' ? base : `${base}+${compression}`;
}

/** The matching media type in the other family, for converting Docker <-> OCI manifests. */
export function toOciMediaType(mt: string): string {
  switch (mt) {
    case DOCKER_MANIFEST:
      return OCI_MANIFEST;
    case DOCKER_MANIFEST_LIST:
      return OCI_INDEX;
    case DOCKER_CONFIG:
      return OCI_CONFIG;
    case DOCKER_LAYER_GZIP:
      return OCI_LAYER_TAR_GZIP;
    case DOCKER_LAYER_TAR:
      return OCI_LAYER_TAR;
    case DOCKER_LAYER_ZSTD:
      return OCI_LAYER_TAR_ZSTD;
    case DOCKER_LAYER_FOREIGN_GZIP:
      return OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP;
    default:
      return mt;
  }
}

export function toDockerMediaType(mt: string): string {
  switch (mt) {
    case OCI_MANIFEST:
      return DOCKER_MANIFEST;
    case OCI_INDEX:
      return DOCKER_MANIFEST_LIST;
    case OCI_CONFIG:
      return DOCKER_CONFIG;
    case OCI_LAYER_TAR_GZIP:
      return DOCKER_LAYER_GZIP;
    case OCI_LAYER_TAR:
      return DOCKER_LAYER_TAR;
    case OCI_LAYER_TAR_ZSTD:
      return DOCKER_LAYER_ZSTD;
    case OCI_LAYER_NONDISTRIBUTABLE_TAR_GZIP:
      return DOCKER_LAYER_FOREIGN_GZIP;
    default:
      return mt;
  }
}

// RFC 6838 section 4.2: restricted-name = first char alphanumeric, then up to 126 of
// alphanumerics and !#$&-^_.+ ; type "/" subtype. Parameters (";charset=...") are not allowed
// in OCI descriptors, so they are not accepted here.
const RESTRICTED_NAME = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}';
const MEDIA_TYPE_GRAMMAR = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);

/** Whether `value` follows the media type grammar of RFC 6838 (no parameters). */
export function isValidMediaType(value: unknown): boolean {
  return typeof value === 'string' && MEDIA_TYPE_GRAMMAR.test(value);
}

/**
 * The bare media type of a Content-Type header: parameters dropped, lower-cased, trimmed.
 * "application/vnd.oci.image.manifest.v1+json; charset=utf-8" -> the manifest type.
 */
export function bareMediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}
