// Facts about the host a spec depends on: which security modules are enabled, and the
// device nodes under /dev (given to privileged containers and to --device).
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BerthError, errnoText, invalidArgument, notFound } from '../../internal/errors.js';
import type { SpecDevice, SpecDeviceRule } from './types.js';

export interface SecurityModules {
  apparmor: boolean;
  selinux: boolean;
}

/** AppArmor and SELinux count only when the host has them enabled: a label elsewhere fails. */
export function detectSecurityModules(): SecurityModules {
  let apparmor = false;
  if (existsSync('/sys/kernel/security/apparmor')) {
    try {
      apparmor = readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
    } catch {
      apparmor = true;
    }
  }
  return { apparmor, selinux: existsSync('/sys/fs/selinux/enforce') };
}

/**
 * Whether this kernel runs x32 programs, from its build config (/proc/config.gz, else
 * /boot/config-RELEASE): false only when the config says the x32 ABI is not built in.
 * Unknown counts as true. Async and not cheap (~3 ms): callers keep the answer until reboot.
 */
export async function kernelHasX32(release = os.release()): Promise<boolean> {
  let config: string | undefined;
  try {
    const { gunzipSync } = await import('node:zlib');
    config = gunzipSync(await readFile('/proc/config.gz')).toString('latin1');
  } catch {
    config = await readFile(`/boot/config-${release}`, 'latin1').catch(() => undefined);
  }
  // CONFIG_X86_X32 became CONFIG_X86_X32_ABI in Linux 5.18.
  return !(config !== undefined && /^# CONFIG_X86_X32(_ABI)? is not set$/m.test(config) && !/^CONFIG_X86_X32(_ABI)?=y$/m.test(config));
}

/** Whether an AppArmor profile is loaded (docker-default exists only where docker loaded it). */
export function apparmorProfileLoaded(name: string): boolean {
  try {
    return readFileSync('/sys/kernel/security/apparmor/profiles', 'utf8')
      .split('\n')
      .some((l) => l.startsWith(`${name} `));
  } catch {
    return false;
  }
}

// Linux's encoding of dev_t (glibc's gnu_dev_major/minor).
export const major = (rdev: number) => Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
export const minor = (rdev: number) => Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));

function deviceAt(hostPath: string, containerPath: string): SpecDevice | undefined {
  const st = statSync(hostPath);
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : undefined;
  if (!type) return undefined;
  return {
    type,
    path: containerPath,
    major: major(st.rdev),
    minor: minor(st.rdev),
    fileMode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
  };
}

/** dockerd's words for a --device it cannot add: the host's path and why (a system error's text, or "not a device node"). */
export function deviceError(hostPath: string, why: unknown): BerthError {
  const text = `error gathering device information while adding custom device ${JSON.stringify(hostPath)}`;
  return typeof why === 'string' ? invalidArgument(`${text}: ${why}`) : notFound(`${text}: ${errnoText(why)}`);
}

/** `--device HOST[:CONTAINER[:PERMS]]`: the node and its cgroup rule. */
export function deviceFromHost(
  hostPath: string,
  containerPath = hostPath,
  permissions = 'rwm',
): { device: SpecDevice; rule: SpecDeviceRule } {
  if (!/^[rwm]{1,3}$/.test(permissions)) throw invalidArgument(`invalid device permissions "${permissions}": want r, w, m`);
  let dev: SpecDevice | undefined;
  try {
    dev = deviceAt(hostPath, containerPath);
  } catch (err) {
    throw deviceError(hostPath, err);
  }
  if (!dev) throw deviceError(hostPath, 'not a device node');
  const type = dev.type === 'b' ? 'b' : 'c';
  return { device: dev, rule: { allow: true, type, major: dev.major, minor: dev.minor, access: permissions } };
}

/** Every device node under /dev, as docker gives a privileged container (pts, shm, mqueue excluded). */
export function hostDevices(root = '/dev'): SpecDevice[] {
  const out: SpecDevice[] = [];
  const skip = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/ptmx', '/dev/console']);
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = path.join(dir, name);
      if (skip.has(p)) continue;
      let st: import('node:fs').Stats;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        try {
          const d = deviceAt(p, p);
          if (d) out.push(d);
        } catch {
          // vanished while walking
        }
      }
    }
  };
  walk(root);
  return out;
}
