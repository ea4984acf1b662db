// `create`: resolve the image or layer, pick the runtime, take a unique name, hold the image
// in the store and prepare the copy-on-write snapshot. Nothing runs until `start`.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { writeJsonAtomic } from '../internal/atomic.js';
import { BerthError, failedPrecondition, invalidArgument } from '../internal/errors.js';
import { checkResources } from '../runtime/cgroups.js';
import { capabilityName, normalizeCapability } from '../runtime/spec/capabilities.js';
import { removeFile, removeTree } from '../internal/remove.js';
import { deleteLockFile } from '../store/lock.js';
import { checkName, type ContainerRecord, type ContainerSpec, logFileWarning, newContainerId, randomName } from './container.js';
import { ContainerHost } from './host.js';
import type { ContainerPaths } from './records.js';
import { checkSignal, containerEvent } from './events.js';
import { resolveJoinTargets } from './joins.js';
import { mergeHealthConfig } from './health.js';
import { writeEtcFiles } from './rootfs.js';
import { resolveSource, type ResolveSourceOptions } from './source.js';
import { dropCreated, removeAnonymousVolumes, resolveVolumes } from './container-volumes.js';
import { commandOf, parseSecurityOpts } from './spec.js';

export interface CreateContainerOptions extends ResolveSourceOptions {
  name?: string;
  /** The caller starts the container right away (`run`), not some time later (`create`). */
  startNow?: boolean;
  /** Told docker's warning for each setting this host cannot apply (dropped from the record). */
  onWarning?: (text: string) => void;
}

export async function createContainer(host: ContainerHost, given: ContainerSpec, options: CreateContainerOptions = {}): Promise<ContainerRecord> {
  const wanted = options.name === undefined ? undefined : checkName(options.name);
  // The resource settings checked as docker's daemon checks them, before the image is looked up:
  // an invalid one fails the create, one this host cannot apply is dropped with a warning.
  if (given.stopSignal !== undefined) checkSignal(given.stopSignal);
  checkCapabilities('CapAdd', given.capAdd);
  checkCapabilities('CapDrop', given.capDrop);
  parseSecurityOpts(given.securityOpt ?? [], { readProfile: false });
  if (given.workingDir && !given.workingDir.startsWith('/')) {
    throw invalidArgument(`the working directory '${given.workingDir}' is invalid, it needs to be an absolute path`);
  }
  const logWarning = logFileWarning(given.log);
  if (logWarning) options.onWarning?.(logWarning);
  let spec = given;
  // dockerd names a container on the host's network after the host, unless told otherwise.
  if (given.networkMode === 'host' && given.hostname === undefined && given.utsMode !== 'host') spec = { ...spec, hostname: hostname() };
  if (given.resources && Object.keys(given.resources).length > 0) {
    const checked = checkResources(given.resources);
    spec = { ...spec, resources: checked.resources };
    for (const text of checked.warnings) options.onWarning?.(text);
  }
  // Independent reads, side by side; the graph driver opens meanwhile (awaited below, where a
  // failure to open it surfaces).
  host.driver().catch(() => {});
  const [runtime, source] = await Promise.all([chooseRuntime(host, spec.runtime), resolveSource(host, spec.image, options)]);
  await resolveJoinTargets(host, spec);
  const id = newContainerId();
  const rec: ContainerRecord = {
    id,
    name: wanted ?? '',
    created: new Date().toISOString(),
    spec,
    source,
    runtime,
    snapshot: id,
    state: { status: 'created', pid: 0, monitorPid: 0, restartCount: 0 },
  };
  // dockerd refuses at create a container with nothing to run: no command, and none in the image.
  if (commandOf(rec).length === 0) throw invalidArgument('No command specified');
  const paths = host.records.paths(id);
  // The volumes it names exist (made when missing) and stay, under the volume lock, until the
  // record that names them is saved: a concurrent `volume rm` then sees the container using them.
  const volumes = await resolveVolumes(host, spec, source);
  rec.spec = { ...spec, mounts: volumes.mounts };
  // The health check as it will run: the image's, overridden field by field by --health-*.
  const healthcheck = mergeHealthConfig(source.config.healthcheck, spec.healthcheck);
  if (healthcheck) rec.spec.healthcheck = healthcheck;
  let lock: Awaited<ReturnType<typeof host.records.namesLock>>;
  try {
    lock = await host.records.namesLock();
  } catch (err) {
    await volumes.lock?.release();
    await dropCreated(host, volumes.created);
    throw err;
  }
  try {
    await host.records.sweepUnrecorded();
    if (wanted) await host.records.checkNameFree(wanted);
    else {
      const taken = new Set((await host.records.list()).map((r) => r.name));
      let i = 0;
      do rec.name = randomName(i++);
      while (taken.has(rec.name));
    }
    mkdirSync(paths.bundle, { recursive: true, mode: 0o700 });
    if (spec.userns) await openToMappedRoot(host, paths, spec.userns.hostId);
    await host.records.save(rec);
  } catch (err) {
    await fs.rm(paths.dir, { recursive: true, force: true });
    await lock.release();
    await volumes.lock?.release();
    await dropCreated(host, volumes.created);
    throw err;
  }
  await lock.release();
  await volumes.lock?.release();
  // A --rm container that runs does not outlive a reboot (the first command after one finds it
  // stopped and removes it): neither need its hold (kept in the run root, no fsync) nor its
  // snapshot's changes (mounted volatile: no syncs of the graph root's file system, at the
  // unmount either). One only created waits for its start however long, reboots included.
  const untilReboot = spec.autoRemove === true && options.startNow === true;
  // The hold goes beside the snapshot and the /etc files: its fsync (a durable hold) runs on the
  // thread pool while they are made. Nothing mounts the layers before the start, and the hold
  // is in holds.json (renamed into place) before this create returns.
  const refs = { images: source.imageId ? [source.imageId] : [], layers: source.layers };
  const held = host.catalog.hold(ContainerHost.holder(id), refs, { untilReboot });
  // Handled now (its failure is reported through allDone below), not when allDone gets to it.
  held.catch(() => {});
  try {
    const driver = await host.driver();
    // --read-only still gets an (empty) upper dir, as docker's does: the runtime makes the mount
    // points of /etc/hosts and the user's mounts there; the spec mounts the root read-only.
    // In a user namespace the container's root owns its tree only in an id-shifted copy.
    const idMap = spec.userns ? { hostId: spec.userns.hostId, size: spec.userns.size } : undefined;
    const prepared = driver.prepare(rec.snapshot, source.layers, { ...(idMap ? { idMap } : {}), ...(untilReboot ? { volatile: true } : {}) });
    await allDone([held, prepared, writeEtcFiles(rec, paths)]);
  } catch (err) {
    // The hold settles first: the discard's release must come after it, not race it.
    await held.catch(() => {});
    await discardContainer(host, rec).catch(() => {});
    await removeAnonymousVolumes(host, rec).catch(() => {});
    throw BerthError.wrap(err, `cannot create container from ${spec.image}`);
  }
  containerEvent(host.runroot, rec, 'create');
  return rec;
}

/**
 * The runtime sets up a container in a user namespace as its mapped root (host id hostId):
 * that user must reach the bundle's rootfs and the files bind-mounted from the container's
 * dir. The dir and bundle become group hostId with search only (0710), and the dirs above
 * get search for others (o+x: no listing), as docker's remapped roots do.
 */
async function openToMappedRoot(host: ContainerHost, paths: ContainerPaths, hostId: number): Promise<void> {
  for (const dir of [host.root, host.records.dir]) {
    const st = await fs.stat(dir);
    if ((st.mode & 0o001) === 0) await fs.chmod(dir, (st.mode & 0o7777) | 0o001);
  }
  // Above the graph root berth changes nothing: a closed dir there is for the admin to open.
  for (let dir = path.dirname(host.root); ; dir = path.dirname(dir)) {
    const st = await fs.stat(dir);
    if ((st.mode & 0o001) === 0) {
      throw failedPrecondition(`cannot create a container with --userns: ${dir} is closed to other users (no o+x), so the container's root (host id ${hostId}) cannot reach its rootfs under ${host.root}`);
    }
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of [paths.dir, paths.bundle]) {
    await fs.chown(dir, 0, hostId);
    await fs.chmod(dir, 0o710);
  }
}

/**
 * Removes what create made: the snapshot, the hold, the dirs, and last the container's lock
 * file (the run root would collect one per container), which the caller holds (rm's last
 * step, a --rm run's finish) or nobody knows of yet (a create that failed). runtimeDeleted:
 * the runtime's delete of the container, under way (rm -f): awaited before the record goes.
 */
export async function discardContainer(host: ContainerHost, rec: ContainerRecord, runtimeDeleted?: Promise<unknown>): Promise<void> {
  const paths = host.records.paths(rec.id);
  const driver = await host.driver();
  const { unmountRootfs } = await import('./rootfs.js');
  await unmountRootfs(driver, paths);
  // Its share of its volumes' file systems (rm -f of a running one, a --rm run's end).
  if (rec.spec.mounts?.some((m) => m.type === 'volume')) await (await import('./container-volumes.js')).releaseVolumes(host, rec);
  // Once unmounted, nothing uses the image's layers: the rest is independent, but the record's
  // dir goes last (after the runtime's delete, when one is under way), so a crash half way
  // leaves a record for the next rm to finish. The release goes first: its flushes wait on the
  // disk in the thread pool while the removals, direct calls on a few small files, run here.
  if (rec.state.status === 'removing') containerEvent(host.runroot, rec, 'destroy');
  removeSocketLinks(paths);
  await allDone([
    host.catalog.release(ContainerHost.holder(rec.id)),
    driver.remove(rec.snapshot).catch((err: unknown) => {
      if (!(err instanceof BerthError && err.kind === 'not-found')) throw err;
    }),
    (async () => removeTree(paths.stateDir))(),
    ...(runtimeDeleted ? [runtimeDeleted] : []),
  ]);
  removeTree(paths.dir);
  deleteLockFile(paths.lock);
}

/**
 * The links in the shared socket dir that conmon made for the container and its `exec -it`
 * sessions (exec-attached.ts). conmon removes its own at a normal end, but one that ends with the
 * container, as rm -f kills it, finds its dir gone and exits before that: they would pile up.
 */
function removeSocketLinks(paths: ContainerPaths): void {
  removeFile(path.join(paths.socketDir, paths.id));
  let sessions: string[] = [];
  try {
    sessions = readdirSync(path.join(paths.stateDir, 'exec'));
  } catch {}
  for (const name of sessions) removeFile(path.join(paths.socketDir, name));
}

/** Waits for every one (none is left running behind a failure), then throws the first failure. */
async function allDone(work: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * The runtime for a new container: findRuntime's choice (it probes each candidate once per
 * boot), remembered in the run root so a create spawns no runtime just to ask its version.
 */
async function chooseRuntime(host: ContainerHost, wanted: string | undefined): Promise<{ path: string; name: string }> {
  const file = path.join(host.runroot, 'engine-runtimes.json');
  const candidates = host.options.runtimes ?? (await host.config()).runtimes;
  const key = `${wanted ?? ''}|${(candidates ?? []).join(',')}`;
  let cache: Record<string, { path: string; name: string }> = {};
  try {
    cache = JSON.parse(readFileSync(file, 'utf8')) as typeof cache;
  } catch {}
  const hit = cache[key];
  if (hit && existsSync(hit.path)) return hit;
  const { findRuntime } = await import('../runtime/detect.js');
  const choice = await findRuntime({ runRoot: host.runroot, runtime: wanted, ...(candidates ? { candidates } : {}) });
  cache[key] = { path: choice.runtime.path, name: choice.runtime.name };
  await writeJsonAtomic(file, cache, { durable: false }).catch(() => {});
  return cache[key];
}

/**
 * dockerd's check of --cap-add and --cap-drop, in its words: docker's CLI sends each name upper
 * case with CAP_ before it ("foo" -> "CAP_FOO"), and the daemon names the list it refused.
 */
function checkCapabilities(list: 'CapAdd' | 'CapDrop', names: readonly string[] | undefined): void {
  for (const name of names ?? []) {
    try {
      normalizeCapability(name);
    } catch {
      throw invalidArgument(`invalid ${list}: unknown capability: "${capabilityName(name)}"`);
    }
  }
}
