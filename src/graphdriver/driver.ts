// The graph driver contract (containerd's snapshotter in spirit): prepare a writable or
// read-only snapshot over a stack of unpacked layers and describe its mounts; mount later.
import type { Digest } from '../digest/digest.js';
import type { IdMap } from '../layer/idmap.js';

/** One mount, as mount(8) or an OCI runtime-spec `mounts` entry would take it. */
export interface MountSpec {
  /** "overlay" or "bind". */
  type: string;
  source: string;
  /** mount(8) -o options: "lowerdir=...", "upperdir=...", "workdir=...", "ro", "rbind". */
  options: string[];
  /**
   * Set when the overlay options name lower dirs relative to this directory, because the
   * absolute paths of a deep stack would exceed the one page the kernel accepts as mount
   * data. Mount with this as the working directory (GraphDriver.mount does).
   */
  workingDir?: string;
}

/** active: writable, not yet committed; view: read-only; committed: frozen, no more rw mounts. */
export type SnapshotKind = 'active' | 'view' | 'committed';

/** Container ids 0..size-1 are host ids hostId..hostId+size-1 (a user namespace's one mapping). */
export type { IdMap } from '../layer/idmap.js';

export interface SnapshotInfo {
  key: string;
  kind: SnapshotKind;
  /** Layer chain IDs, bottom first. */
  parents: Digest[];
  createdAt: string;
  /** Set for a snapshot whose tree is its own id-shifted copy of the parents (PrepareOptions.idMap). */
  idMap?: IdMap;
  /** Its changes need not survive a crash (PrepareOptions.volatile). */
  volatile?: boolean;
}

/** What the layer code needs to turn a snapshot's changes into a layer tarball. */
export type DiffSource =
  | {
      /** An overlay upper dir: whiteouts are char 0/0 devices and trusted.overlay.opaque dirs. */
      kind: 'overlay-upper';
      upper: string;
      /** The lower dirs, top first (to tell an opaque dir from a new one, and for hardlinks). */
      lowers: string[];
    }
  | {
      /** A full tree to compare against the merged parents: a directory diff. */
      kind: 'directory';
      /** The merged parents (a temporary copy; `release` removes it). */
      base: string;
      changed: string;
      release(): Promise<void>;
    };

export interface DriverInfo {
  driver: 'overlay' | 'vfs';
  /** The file system under the graph root, in docker's words ("extfs", "xfs", "tmpfs", ...). */
  backingFilesystem: string;
  root: string;
  runroot: string;
  /** Why overlay was not chosen, when it was not. */
  fallbackReason?: string;
  snapshots: number;
}

export interface PrepareOptions {
  /** A read-only view (no upper dir). */
  readonly?: boolean;
  /**
   * For a container in a user namespace: the snapshot holds a merged copy of its parents with
   * every owner shifted into the mapping, so the container's root owns its root. It mounts
   * without the shared layers below, and has no diff (commit and diff refuse it).
   */
  idMap?: IdMap;
  /**
   * The snapshot's changes are thrown away after a crash (a --rm container's: the first command
   * after a reboot removes it): where the kernel can, overlay mounts it with "volatile", which
   * skips every sync of the upper dir's file system, the one at its unmount too. Such a mount
   * leaves a marker that refuses the next mount of the same upper dir; berth's mount removes it,
   * since a volatile snapshot is mounted again only after a clean unmount, never after a crash.
   */
  volatile?: boolean;
  signal?: AbortSignal;
}

/**
 * Lifecycle: prepare(key, parents) creates an active snapshot (or a view) and returns its
 * mounts without mounting; mount/unmount put them on a target; commit freezes an active
 * snapshot; diff hands its changes to the layer code; remove deletes it (refused while
 * mounted). Parents are layer chain IDs, bottom first, found through `lowerPath`.
 */
export interface GraphDriver {
  readonly name: 'overlay' | 'vfs';
  prepare(key: string, parents: Digest[], options?: PrepareOptions): Promise<MountSpec[]>;
  /** The mounts of an existing snapshot. */
  mounts(key: string): Promise<MountSpec[]>;
  mount(mounts: MountSpec[], target: string): Promise<void>;
  /** True when a mount was removed; nothing mounted on target is no error. */
  unmount(target: string, options?: { detach?: boolean }): Promise<boolean>;
  commit(key: string): Promise<void>;
  remove(key: string): Promise<void>;
  diff(key: string): Promise<DiffSource>;
  /**
   * docker's GraphDriver.Data of a snapshot, for inspect: overlay's LowerDir (top first),
   * UpperDir and WorkDir; none for vfs or an id-shifted copy. Only paths: nothing is read.
   */
  data(key: string): Promise<Record<string, string>>;
  stat(key: string): Promise<SnapshotInfo>;
  list(): Promise<SnapshotInfo[]>;
  info(): Promise<DriverInfo>;
  /**
   * Bytes of the snapshot's own tree (overlay: its upper dir; vfs: its whole copy), what its
   * removal frees: the sizes of the files, links and devices in it, a hard-linked file once.
   */
  usage(key: string): Promise<number>;
}
