// Every path of the local store, from one pure function set: the graph root holds content,
// layers and records; the run root holds locks and leases that die with the machine.
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { type Digest, digestAlgorithm, digestHex } from '../digest/digest.js';

export class StoreLayout {
  constructor(
    /** Graph root: blobs, ingest, layers, image records. */
    readonly root: string,
    /** Run root: locks and leases. */
    readonly runroot: string,
  ) {}

  get blobsDir(): string {
    return path.join(this.root, 'blobs');
  }
  blobPath(d: Digest): string {
    return path.join(this.root, 'blobs', digestAlgorithm(d), digestHex(d));
  }
  get ingestDir(): string {
    return path.join(this.root, 'ingest');
  }
  /** One directory per ingest ref; the ref is hashed so any string is a safe key. */
  ingestPath(ref: string): string {
    return path.join(this.ingestDir, refKey(ref));
  }
  get layersDir(): string {
    return path.join(this.root, 'layers');
  }
  /** layers/<chain-id hex>/: metadata (layer.json) and the unpacked tree (diff/). */
  layerPath(chainID: Digest): string {
    return path.join(this.layersDir, digestHex(chainID));
  }
  layerDiffPath(chainID: Digest): string {
    return path.join(this.layerPath(chainID), 'diff');
  }
  layerMetaPath(chainID: Digest): string {
    return path.join(this.layerPath(chainID), 'layer.json');
  }
  get imagesFile(): string {
    return path.join(this.root, 'images.json');
  }
  get holdsFile(): string {
    return path.join(this.root, 'holds.json');
  }
  /** Holds that end with the boot (HoldOptions.untilReboot), in the run root. */
  get bootHoldsFile(): string {
    return path.join(this.runroot, 'holds.json');
  }
  get locksDir(): string {
    return path.join(this.runroot, 'locks');
  }
  /** Guards images.json, both holds.json, leases' contents and every decision to delete. */
  get metadataLock(): string {
    return path.join(this.locksDir, 'store.lock');
  }
  ingestLock(ref: string): string {
    return path.join(this.locksDir, `ingest-${refKey(ref)}.lock`);
  }
  layerLock(chainID: Digest): string {
    return path.join(this.locksDir, `layer-${digestHex(chainID)}.lock`);
  }
  get leasesDir(): string {
    return path.join(this.runroot, 'leases');
  }
  leasePath(id: string): string {
    return path.join(this.leasesDir, id);
  }
}

/** A fixed-length file name for an arbitrary ref string. */
export function refKey(ref: string): string {
  return createHash('sha256').update(ref).digest('hex');
}
