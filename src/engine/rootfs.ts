// A container's root: its graph-driver snapshot mounted on the bundle's rootfs dir with docker's
// init entries in it, and the /etc/hosts, /etc/resolv.conf and /etc/hostname files berth
// provides beside it.
import { closeSync, existsSync, fchmodSync, fchownSync, lchownSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { BerthError } from '../internal/errors.js';
import type { GraphDriver } from '../graphdriver/index.js';
import { readTextOr } from '../internal/read.js';
import { MNT_DETACH, MS_NODEV, MS_NOEXEC, MS_NOSUID, mount, umount2 } from '../internal/sys.js';
import { DEFAULT_SHM_SIZE } from '../runtime/spec/defaults.js';
import { type ContainerRecord, parseExtraHost } from './container.js';
import type { ContainerPaths } from './records.js';

/** Whether `target` is a mount point in this mount namespace. */
export function isMountPoint(target: string): boolean {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  const esc = target.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return info.split('\n').some((l) => l.split(' ')[4] === esc);
}

/** Mounts the snapshot on paths.rootfs unless it already is, with docker's init entries in it. */
export async function mountRootfs(driver: GraphDriver, rec: ContainerRecord, paths: ContainerPaths): Promise<void> {
  if (isMountPoint(paths.rootfs)) return;
  await driver.mount(await driver.mounts(rec.snapshot), paths.rootfs);
  try {
    addInitEntries(paths.rootfs, rec.spec.userns?.hostId);
  } catch (err) {
    await driver.unmount(paths.rootfs).catch(() => {});
    throw BerthError.wrap(err, `cannot prepare the root of container ${rec.name}`);
  }
}

/** docker's marker file at the root of every container. */
export const DOCKERENV = '/.dockerenv';
/** docker's /etc/mtab: a link to the kernel's list of mounts. */
export const MTAB = '/etc/mtab';
export const MTAB_TARGET = '/proc/mounts';

/** The bytes the init entries add to a writable layer (`dir`, an overlay upper): the link's. */
export function initEntriesSize(dir: string): number {
  try {
    return readlinkSync(`${dir}${MTAB}`) === MTAB_TARGET ? MTAB_TARGET.length : 0;
  } catch {
    return 0;
  }
}

/**
 * What docker's init layer puts in every container's root besides mount points: /.dockerenv
 * (an empty file that tools read as "this runs in a container") and /etc/mtab linked to
 * /proc/mounts (over an image's own). Made at a fresh mount, so nothing in the container runs
 * yet; the first time only (a /.dockerenv there says it was done). Nothing is followed out of
 * the root: O_EXCL does not follow a link named .dockerenv, and /etc must be a real directory.
 * Owned by a --userns container's root. diff and commit leave both out (files.ts's isInitEntry).
 */
function addInitEntries(rootfs: string, owner: number | undefined): void {
  let fd: number;
  try {
    fd = openSync(`${rootfs}${DOCKERENV}`, 'wx', 0o755);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  try {
    fchmodSync(fd, 0o755);
    if (owner !== undefined) fchownSync(fd, owner, owner);
  } finally {
    closeSync(fd);
  }
  const etc = `${rootfs}/etc`;
  const etcStat = lstatSync(etc, { throwIfNoEntry: false });
  if (etcStat === undefined) {
    mkdirSync(etc, { mode: 0o755 });
    if (owner !== undefined) lchownSync(etc, owner, owner);
  } else if (!etcStat.isDirectory()) return;
  const mtab = `${rootfs}${MTAB}`;
  const there = lstatSync(mtab, { throwIfNoEntry: false });
  if (there?.isDirectory() || (there?.isSymbolicLink() && readlinkSync(mtab) === MTAB_TARGET)) return;
  if (there) unlinkSync(mtab);
  symlinkSync(MTAB_TARGET, mtab);
  if (owner !== undefined) lchownSync(mtab, owner, owner);
}

/**
 * A shareable-IPC container's /dev/shm: a tmpfs on the host (paths.shm), as docker keeps one, so
 * that the containers joining its IPC get the same one bound. Owned by the container's root.
 */
export function mountShm(rec: ContainerRecord, paths: ContainerPaths): void {
  mkdirSync(paths.shm, { recursive: true, mode: 0o700 });
  unmountShm(paths);
  const owner = rec.spec.userns ? `,uid=${rec.spec.userns.hostId},gid=${rec.spec.userns.hostId}` : '';
  mount('shm', paths.shm, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${rec.spec.shmSize ?? DEFAULT_SHM_SIZE}${owner}`);
}

/** Detaches a shareable container's host-side /dev/shm (containers that bound it keep theirs). */
function unmountShm(paths: ContainerPaths): void {
  // Only a shareable container has the dir: the others' unmounts (every stop and rm) pay one
  // stat, not a failed umount2 and the error it throws.
  if (!existsSync(paths.shm)) return;
  for (let i = 0; i < 8; i++) {
    try {
      umount2(paths.shm, MNT_DETACH);
    } catch {
      // Not mounted (EINVAL) or no such dir (ENOENT): nothing (more) to detach.
      return;
    }
  }
}

/**
 * Unmounts every layer of mounts stacked on the rootfs (a retry after a crash may find several),
 * until the kernel says nothing is mounted there: no reading of mountinfo around each unmount.
 * A shareable container's host-side /dev/shm goes with it.
 */
export async function unmountRootfs(driver: GraphDriver, paths: ContainerPaths): Promise<void> {
  unmountShm(paths);
  for (let i = 0; i < 8; i++) {
    const unmounted = await driver.unmount(paths.rootfs).catch(async () => driver.unmount(paths.rootfs, { detach: true }));
    if (!unmounted) return;
  }
}

/**
 * Without a network of its own a container still resolves its own name and localhost.
 * Small files, read and written by direct calls (a trip through the thread pool each costs
 * more than the I/O).
 */
export async function writeEtcFiles(rec: ContainerRecord, paths: ContainerPaths): Promise<void> {
  const hostname = rec.spec.utsMode === 'host' ? readTextOr('/etc/hostname', 'localhost').trim() : (rec.spec.hostname ?? rec.id.slice(0, 12));
  let hosts: string;
  if (rec.spec.networkMode === 'host') hosts = readTextOr('/etc/hosts', '');
  else {
    hosts = [
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'ff00::0\tip6-mcastprefix',
      'ff02::1\tip6-allnodes',
      'ff02::2\tip6-allrouters',
      `127.0.1.1\t${hostname}`,
      '',
    ].join('\n');
  }
  for (const h of rec.spec.extraHosts ?? []) {
    const { host, ip } = parseExtraHost(h);
    hosts += `${hosts === '' || hosts.endsWith('\n') ? '' : '\n'}${ip}\t${host}\n`;
  }
  // docker drops loopback resolvers for containers with their own network namespace: they would not answer there.
  let resolv = readTextOr('/etc/resolv.conf', '');
  if (rec.spec.networkMode !== 'host') {
    resolv = resolv
      .split('\n')
      .filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l))
      .join('\n');
  }
  if (rec.spec.dns?.length || rec.spec.dnsSearch?.length || rec.spec.dnsOptions?.length) resolv = customResolv(resolv, rec.spec);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.hosts, hosts, { mode: 0o644 });
  writeFileSync(paths.resolvConf, resolv, { mode: 0o644 });
  writeFileSync(paths.hostname, `${hostname}\n`, { mode: 0o644 });
}

/**
 * docker's --dns, --dns-search and --dns-option: each replaces the host's lines of its kind
 * (a search domain "." means none); what the user left alone stays as the host has it.
 */
export function customResolv(hostResolv: string, spec: Pick<ContainerRecord['spec'], 'dns' | 'dnsSearch' | 'dnsOptions'>): string {
  const lines = hostResolv.split('\n').filter((l) => l.trim() !== '');
  const keep = (kind: string, replaced: boolean) => (l: string) => !(replaced && new RegExp(`^\\s*${kind}\\b`).test(l));
  const dns = spec.dns ?? [];
  const search = (spec.dnsSearch ?? []).filter((d) => d !== '.');
  const options = spec.dnsOptions ?? [];
  const out = lines
    .filter(keep('nameserver', dns.length > 0))
    .filter(keep('(search|domain)', (spec.dnsSearch ?? []).length > 0))
    .filter(keep('options', options.length > 0));
  if (search.length) out.push(`search ${search.join(' ')}`);
  for (const ip of dns) out.push(`nameserver ${ip}`);
  if (options.length) out.push(`options ${options.join(' ')}`);
  return `${out.join('\n')}\n`;
}
