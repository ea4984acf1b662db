// docker's and podman's defaults for a container's filesystem view: standard mounts, masked
// and read-only /proc and /sys paths, and the device cgroup allowlist.
import type { SpecDeviceRule, SpecMount } from './types.js';

export const SPEC_VERSION = '1.0.2';
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Paths a container cannot read (moby oci/defaults.go, plus powercap of CVE-2020-8694). */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function defaultMounts(options: { privileged: boolean; shmSize: number }): SpecMount[] {
  const sysMode = options.privileged ? 'rw' : 'ro';
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', sysMode] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', sysMode],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${options.shmSize}`],
    },
  ];
}

/**
 * The device cgroup: deny all, then mknod of anything, the standard character devices, and
 * ptys (runc's and docker's allowlist; the devices themselves are created by the runtime).
 */
export function defaultDeviceRules(): SpecDeviceRule[] {
  const c = (major: number, minor: number | undefined, access = 'rwm'): SpecDeviceRule =>
    minor === undefined ? { allow: true, type: 'c', major, access } : { allow: true, type: 'c', major, minor, access };
  return [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
    c(1, 3), // null
    c(1, 5), // zero
    c(1, 7), // full
    c(1, 8), // random
    c(1, 9), // urandom
    c(5, 0), // tty
    c(5, 1), // console
    c(5, 2), // ptmx
    c(136, undefined), // /dev/pts/*
  ];
}

/** Sysctl prefixes a container may set, and the namespace that must be private for each. */
export const NAMESPACED_SYSCTLS: { prefix: string; exact?: boolean; namespace: 'ipc' | 'network' | 'uts' }[] = [
  { prefix: 'kernel.msgmax', exact: true, namespace: 'ipc' },
  { prefix: 'kernel.msgmnb', exact: true, namespace: 'ipc' },
  { prefix: 'kernel.msgmni', exact: true, namespace: 'ipc' },
  { prefix: 'kernel.sem', exact: true, namespace: 'ipc' },
  { prefix: 'kernel.shmall', exact: true, namespace: 'ipc' },
  { prefix: 'kernel.shmmax', exact: true, namespace: 'ipc' },
  { prefix: 'kernel.shmmni', exact: true, namespace: 'ipc' },
  { prefix: 'kernel.shm_rmid_forced', exact: true, namespace: 'ipc' },
  { prefix: 'fs.mqueue.', namespace: 'ipc' },
  { prefix: 'net.', namespace: 'network' },
  { prefix: 'kernel.domainname', exact: true, namespace: 'uts' },
  { prefix: 'kernel.hostname', exact: true, namespace: 'uts' },
];
