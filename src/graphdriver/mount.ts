// Mounting MountSpecs through mount(2) in the native addon, and unmounting, with the one
// trick overlay needs: relative lower dirs resolved against a working directory.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { BerthError, invalidArgument } from '../internal/errors.js';
import { MNT_DETACH, MS_BIND, MS_RDONLY, MS_REC, MS_REMOUNT, mount, umount2 } from '../internal/sys.js';
import type { MountSpec } from './driver.js';

/** mount(2) copies at most one page of option data; longer data is cut off by the kernel. */
export const MOUNT_DATA_MAX = 4095;

/** Mounts each spec on `target` in order (later ones stack on earlier ones). */
export async function mountAll(mounts: MountSpec[], target: string): Promise<void> {
  mkdirSync(target, { recursive: true });
  for (const m of mounts) {
    try {
      mountOne(m, target);
    } catch (err) {
      throw BerthError.wrap(err, `cannot mount ${m.type} on ${target}`);
    }
  }
}

function mountOne(m: MountSpec, target: string): void {
  if (m.type === 'bind') {
    const ro = m.options.includes('ro');
    const flags = MS_BIND | (m.options.includes('rbind') ? MS_REC : 0);
    mount(m.source, target, '', flags, '');
    // The kernel ignores MS_RDONLY on the first bind; read-only takes a remount.
    if (ro) mount('', target, '', MS_BIND | MS_REMOUNT | MS_RDONLY, '');
    return;
  }
  if (m.type !== 'overlay') throw invalidArgument(`cannot mount type ${m.type}: berth mounts overlay and bind only`);
  const ro = m.options.includes('ro');
  const data = m.options.filter((o) => o !== 'ro').join(',');
  if (data.length > MOUNT_DATA_MAX) {
    throw invalidArgument(`cannot mount overlay on ${target}: ${data.length} bytes of options exceed one page`);
  }
  if (m.options.includes('volatile')) clearVolatileMarker(m.options);
  if (!m.workingDir) {
    mount(m.source, target, 'overlay', ro ? MS_RDONLY : 0, data);
    return;
  }
  // Relative lower dirs resolve against the caller's working directory. mount() is
  // synchronous, so no other JavaScript runs while the directory is changed.
  const before = process.cwd();
  process.chdir(m.workingDir);
  try {
    mount(m.source, target, 'overlay', ro ? MS_RDONLY : 0, data);
  } finally {
    process.chdir(before);
  }
}

/**
 * An overlay mounted "volatile" leaves work/incompat/volatile in its workdir, and the kernel then
 * refuses every later mount of that upper dir, as its changes may have been lost in a crash.
 * Only snapshots whose changes are thrown away after a crash are mounted volatile
 * (PrepareOptions.volatile): mounted again, they were cleanly unmounted, so the marker goes.
 */
function clearVolatileMarker(options: string[]): void {
  const work = options.find((o) => o.startsWith('workdir='))?.slice('workdir='.length);
  // Checked first: a first mount has no marker, and rmSync learns that from a thrown ENOENT.
  const marker = work && path.join(work, 'work', 'incompat');
  if (marker && existsSync(marker)) rmSync(marker, { recursive: true, force: true });
}

/**
 * Unmounts `target`; a target that is not mounted is fine (EINVAL), so cleanup can repeat.
 * True when a mount was removed, false when there was none.
 */
export async function unmountPath(target: string, options: { detach?: boolean } = {}): Promise<boolean> {
  try {
    umount2(target, options.detach ? MNT_DETACH : 0);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EINVAL' || code === 'ENOENT') return false;
    throw BerthError.wrap(err, `cannot unmount ${target}`);
  }
}

/**
 * Whether a mount in this process's namespace uses something under `dir`: as its mount
 * point, as the root of a bind (mountinfo field 4, exact when the file system is mounted
 * at /), or in its super options (an overlay's upperdir, workdir or lowerdir).
 */
export async function isInUse(dir: string): Promise<boolean> {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  const under = (p: string) => p === dir || p.startsWith(`${dir}/`);
  for (const line of info.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 5) continue;
    if (under(unescapeField(fields[3])) || under(unescapeField(fields[4]))) return true;
    const sep = fields.indexOf('-');
    const superOptions = sep === -1 ? '' : (fields[sep + 3] ?? '');
    for (const opt of superOptions.split(',')) {
      const eq = opt.indexOf('=');
      if (eq !== -1 && opt.slice(eq + 1).split(':').some((p) => under(unescapeField(p)))) return true;
    }
  }
  return false;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}
