// The public face of src/graphdriver: pick and open a driver (overlay when the kernel can
// mount it on the graph root, vfs otherwise), and the types its users handle.
import { invalidArgument } from '../internal/errors.js';
import type { GraphDriver } from './driver.js';
import { OverlayDriver } from './overlay.js';
import { probeOverlay } from './probe.js';
import type { DriverOptions } from './snapshots.js';
import { VfsDriver } from './vfs.js';

export type { DiffSource, DriverInfo, GraphDriver, IdMap, MountSpec, PrepareOptions, SnapshotInfo, SnapshotKind } from './driver.js';
export type { DriverOptions } from './snapshots.js';
export { mergeTree, shiftOwners } from './copy.js';
export { isInUse, MOUNT_DATA_MAX, mountAll, unmountPath } from './mount.js';
export { linkName, OverlayDriver } from './overlay.js';
export { backingFilesystem, probeOverlay, type OverlayProbe } from './probe.js';
export { VfsDriver } from './vfs.js';

export interface OpenDriverOptions extends DriverOptions {
  /** "overlay", "vfs", or "auto" (default; also from $BERTH_STORAGE_DRIVER). */
  driver?: string;
}

/** Opens the driver: creates its dirs and cleans what a killed process left half done. */
export async function openGraphDriver(options: OpenDriverOptions): Promise<GraphDriver> {
  const want = options.driver ?? process.env.BERTH_STORAGE_DRIVER ?? 'auto';
  let driver: OverlayDriver | VfsDriver;
  if (want === 'vfs') driver = new VfsDriver(options);
  else if (want === 'overlay' || want === 'overlay2' || want === 'auto') {
    const probe = await probeOverlay(options.root, options.runroot);
    if (probe.supported) driver = new OverlayDriver(options, probe.indexOff, probe.volatile === true);
    else if (want === 'auto') driver = withReason(new VfsDriver(options), probe.reason ?? 'overlay is not supported');
    else throw invalidArgument(`cannot use the overlay driver on ${options.root}: ${probe.reason}`);
  } else throw invalidArgument(`unknown storage driver "${want}": use overlay or vfs`);
  await driver.open();
  return driver;
}

function withReason(driver: VfsDriver, reason: string): VfsDriver {
  const info = driver.info.bind(driver);
  driver.info = async () => ({ ...(await info()), fallbackReason: reason });
  return driver;
}
