// A container's volumes: at create, its -v/--mount volumes, --volumes-from and the image's VOLUMEs
// become named volumes in its record (made when missing, with --mount's volume-opt= options,
// under the volume lock until the record is saved); at start, a volume with a file system has it
// mounted and an empty volume gets a copy of the image's files there; at stop, exit and rm the
// container lets go of the mounts (the last user unmounts); at rm -v and --rm, its anonymous
// volumes go.
import { existsSync } from 'node:fs';
import { invalidArgument, notFound } from '../internal/errors.js';
import { acquireLock, type FileLock } from '../store/lock.js';
import { securePath } from '../runtime/spec/user.js';
import { type ContainerRecord, type ContainerSpec, isActive, type MountRequest, type RootfsSource } from './container.js';
import type { ContainerHost } from './host.js';
import { checkDestination } from './mounts.js';
import { recordEvent } from './events.js';
import { copyUp, volumeMounts } from './volumes.js';

export interface ResolvedVolumes {
  mounts: MountRequest[];
  /** Anonymous volumes made for this container: removed again when its create fails. */
  created: string[];
  /** The volume lock, held until the record naming the volumes is saved; undefined when none. */
  lock?: FileLock;
}

/** docker's --volumes-from CONTAINER[:ro|:rw]. */
function parseVolumesFrom(text: string): { ref: string; mode?: 'ro' | 'rw' } {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { ref: text };
  const mode = text.slice(colon + 1);
  if (mode !== 'ro' && mode !== 'rw') throw invalidArgument(`invalid --volumes-from "${text}": the mode must be ro or rw`);
  return { ref: text.slice(0, colon), mode };
}

/**
 * The container's mounts with every volume named and present: the user's, those of
 * --volumes-from containers (same destinations; not where the user mounts something), then the
 * image's VOLUMEs no mount covers, as anonymous volumes. A VOLUME is normalised as a mount
 * destination is, so "/../../etc" is /etc inside the container (never outside the rootfs).
 */
export async function resolveVolumes(host: ContainerHost, spec: ContainerSpec, source: RootfsSource): Promise<ResolvedVolumes> {
  const own = spec.mounts ?? [];
  const imageVolumes = source.config.volumes ?? [];
  if (volumeMounts(own).length === 0 && imageVolumes.length === 0 && !spec.volumesFrom?.length) return { mounts: own, created: [] };
  const mounts: MountRequest[] = [];
  const dests = new Set<string>();
  const add = (m: MountRequest) => {
    if (dests.has(m.destination)) throw invalidArgument(`duplicate mount point: ${m.destination}`);
    dests.add(m.destination);
    mounts.push(m);
  };
  for (const m of own) add({ ...m });
  const fromOthers: MountRequest[] = [];
  for (const text of spec.volumesFrom ?? []) {
    const { ref, mode } = parseVolumesFrom(text);
    const other = await host.records.resolve(ref);
    for (const m of other.spec.mounts ?? []) {
      if (m.type === 'tmpfs' || dests.has(m.destination)) continue;
      const readonly = mode === undefined ? m.readonly : mode === 'ro';
      fromOthers.push(m.type === 'volume' ? { type: 'volume', name: m.name, destination: m.destination, readonly, nocopy: true } : { ...m, readonly });
    }
  }
  for (const m of fromOthers) if (!dests.has(m.destination)) add(m);
  for (const v of imageVolumes) {
    const dest = checkDestination(v.startsWith('/') ? v : `/${v}`, 'image VOLUME');
    if (!dests.has(dest)) add({ type: 'volume', name: '', destination: dest, readonly: false });
  }
  const lock = await host.volumes.lock();
  const created: string[] = [];
  try {
    for (const m of mounts) {
      if (m.type !== 'volume') continue;
      // One made for a container in a user namespace is its root's, as docker's remapped root owns its volumes.
      const made = host.volumes.createLocked({
        ...(m.name === '' ? {} : { name: m.name }),
        ...(m.labels ? { labels: m.labels } : {}),
        ...(m.driverOptions ? { options: m.driverOptions } : {}),
        ...(spec.userns ? { owner: spec.userns.hostId } : {}),
      });
      if (m.name === '') created.push(made.volume.Name);
      m.name = made.volume.Name;
      delete m.labels;
      delete m.driverOptions;
    }
  } catch (err) {
    for (const name of created) host.volumes.removeLocked(name, [], { force: true });
    await lock.release();
    throw err;
  }
  return { mounts, created, lock };
}

/** Removes anonymous volumes made for a container whose create failed (nothing else names them). */
export async function dropCreated(host: ContainerHost, names: string[]): Promise<void> {
  for (const name of names) await host.volumes.remove(name, () => host.records.list(), { force: true }).catch(() => {});
}

/**
 * Before a start, with the rootfs mounted: each volume must still exist, one with a file system
 * has it mounted (VolumeStore.mountFor; the caller's failure path calls releaseVolumes), and an
 * empty one (not volume-nocopy) gets the image's files at its destination (copyUp, from the
 * destination resolved inside the rootfs), into the mounted file system as docker copies them.
 */
export async function populateVolumes(host: ContainerHost, rec: ContainerRecord, rootfs: string): Promise<void> {
  for (const m of volumeMounts(rec.spec.mounts)) {
    const data = host.volumes.mountpoint(m.name);
    if (!existsSync(data)) throw notFound(`cannot start container ${rec.name}: volume ${m.name} is gone`);
    await host.volumes.mountFor(m.name, rec.id);
    if (!m.nocopy) copyUp(await securePath(rootfs, m.destination), data);
    // docker's event for each volume a starting container mounts.
    recordEvent(host.runroot, 'volume', 'mount', m.name, { container: rec.id, destination: m.destination, driver: 'local', propagation: '', 'read/write': String(!m.readonly) });
  }
}

/**
 * The container no longer uses its volumes' file systems (stopped, exited, being removed, or its
 * start failed): each volume it mounted lets it go, and the last user's release unmounts. Never
 * throws: a mount that stays is reused by the next start and unmounted by volume rm.
 */
export async function releaseVolumes(host: ContainerHost, rec: ContainerRecord): Promise<void> {
  const names = new Set(volumeMounts(rec.spec.mounts).map((m) => m.name));
  for (const name of names) await host.volumes.release(name, rec.id, (other) => stillUses(host, other)).catch(() => {});
}

/**
 * Whether container `id`, listed as a volume's user, still is: it runs or is paused, or a
 * command holds its lock (a start under way, whose record says "running" only once its runtime
 * runs; a stop's cleanup, which then releases the volume itself). Never waits for the lock.
 */
async function stillUses(host: ContainerHost, id: string): Promise<boolean> {
  const rec = await host.records.load(id).catch(() => undefined);
  if (!rec) return false;
  if (isActive(rec.state.status)) return true;
  const lock = await acquireLock(host.records.paths(id).lock, { wait: false }).catch(() => undefined);
  if (!lock) return true;
  await lock.release();
  return false;
}

/**
 * rm -v and --rm: the container's anonymous volumes (named ones stay, as docker's), each unless
 * another container still names it. Called once the container's record is gone.
 */
export async function removeAnonymousVolumes(host: ContainerHost, rec: ContainerRecord): Promise<void> {
  const names = volumeMounts(rec.spec.mounts)
    .map((m) => m.name)
    .filter((n) => host.volumes.get(n)?.Anonymous);
  if (names.length === 0) return;
  const lock = await host.volumes.lock();
  try {
    const records = await host.records.list();
    for (const name of names) {
      try {
        host.volumes.removeLocked(name, records, { force: true });
      } catch {
        // still in use by another container (--volumes-from): it stays, as docker leaves it
      }
    }
  } finally {
    await lock.release();
  }
}
