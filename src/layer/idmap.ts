// A user namespace's one id mapping, as the layer code needs it: container ids 0..size-1 are
// host ids hostId..hostId+size-1 (the same for uids and gids, as `--userns HOSTID:SIZE` sets up).
import { invalidArgument } from '../internal/errors.js';

export interface IdMap {
  hostId: number;
  size: number;
}

/** The id the kernel shows inside a user namespace for a host id it does not map (nobody). */
export const OVERFLOW_ID = 65534;

/** A host id as the container sees it: unmapped ids show as the overflow id, as in the kernel. */
export function toContainerId(hostId: number, map: IdMap): number {
  return hostId >= map.hostId && hostId < map.hostId + map.size ? hostId - map.hostId : OVERFLOW_ID;
}

/** A container id on the host; one outside the mapping is refused (nobody in the container could own it). */
export function toHostId(containerId: number, map: IdMap): number {
  if (!Number.isInteger(containerId) || containerId < 0 || containerId >= map.size) {
    throw invalidArgument(`owner ${containerId} is outside the ${map.size} ids the container's user namespace maps`);
  }
  return map.hostId + containerId;
}
