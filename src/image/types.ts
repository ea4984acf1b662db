// The JSON documents of the OCI image-spec (and Docker schema 2, which shares their shape):
// descriptor, manifest, index, image config. Field names are the wire names.
import type { Digest } from '../digest/digest.js';

/** Where an image runs (image-index.md "platform"; config.md os/architecture/variant). */
export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  /** Docker manifest lists carry CPU features; OCI reserves the field. */
  features?: string[];
}

/** A reference to content by media type, digest and size (descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** The content itself, base64, for small embedded blobs. */
  data?: string;
  /** Only in index entries. */
  platform?: Platform;
  /** The type of an artifact when the descriptor points at an artifact manifest. */
  artifactType?: string;
}

/** An image manifest (manifest.md) or a Docker schema 2 manifest. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An image index (image-index.md) or a Docker manifest list. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** Docker's HEALTHCHECK, kept in configs written by docker build and buildah --format docker. */
export interface HealthConfig {
  /** ["NONE"], ["CMD", args...], ["CMD-SHELL", command]. */
  Test?: string[];
  /** Durations in nanoseconds. */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The execution parameters of config.md `config`, plus Docker's fields that share the object. */
export interface ContainerConfig {
  User?: string;
  /** Keys are "port/proto"; values are empty objects. */
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  // Docker's extras (not in the OCI spec, but carried through unchanged).
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  Shell?: string[];
  StopTimeout?: number;
  Hostname?: string;
  Domainname?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Image?: string;
  NetworkDisabled?: boolean;
  MacAddress?: string;
}

export interface RootFS {
  type: 'layers';
  /** The digests of the uncompressed layer tars, bottom first. */
  diff_ids: Digest[];
}

export interface History {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  /** True for history entries that made no layer (ENV, CMD, ...). */
  empty_layer?: boolean;
}

/** The image configuration (config.md), with Docker's extra top-level fields. */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ContainerConfig;
  rootfs: RootFS;
  history?: History[];
  // Docker's extras, carried through unchanged.
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
  id?: string;
  parent?: string;
  comment?: string;
  /** Fields berth does not model are kept, so a config survives a round trip. */
  [extra: string]: unknown;
}

/** Well-known annotations (annotations.md). */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_CREATED = 'org.opencontainers.image.created';
export const ANNOTATION_BASE_NAME = 'org.opencontainers.image.base.name';
export const ANNOTATION_BASE_DIGEST = 'org.opencontainers.image.base.digest';
/** containerd and docker 25+ put the full image name in index.json entries with this key. */
export const ANNOTATION_CONTAINERD_IMAGE_NAME = 'io.containerd.image.name';
