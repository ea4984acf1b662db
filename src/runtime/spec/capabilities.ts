// Linux capability names and the set a container gets: docker's default 14, then
// --cap-add / --cap-drop (ALL allowed), or every capability the host can grant when privileged.
import { readFileSync } from 'node:fs';
import { invalidArgument } from '../../internal/errors.js';

/** Every capability in kernel bit order (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40). */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** docker's and podman's default set (moby oci/defaults.go). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/**
 * A capability's name as docker's CLI sends it, unchecked: upper case with CAP_ before it
 * ("chown", "Cap_Chown" -> "CAP_CHOWN"; "foo" -> "CAP_FOO"), "ALL" as it is.
 */
export function capabilityName(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** "chown", "CAP_CHOWN", "Cap_Chown" -> "CAP_CHOWN"; "ALL" stays "ALL"; unknown names throw. */
export function normalizeCapability(name: string): string {
  const full = capabilityName(name);
  if (full === 'ALL') return 'ALL';
  if (!(ALL_CAPABILITIES as readonly string[]).includes(full)) {
    throw invalidArgument(`unknown capability "${name}": not a Linux capability (e.g. NET_ADMIN, SYS_PTRACE)`);
  }
  return full;
}

/** The capabilities this process holds in its bounding set: a container can never get more. */
export function hostCapabilities(statusText?: string): string[] {
  let text = statusText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return [...ALL_CAPABILITIES];
    }
  }
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(text);
  if (!m) return [...ALL_CAPABILITIES];
  const mask = BigInt(`0x${m[1]}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** The kernel bitmask of a set, as /proc/<pid>/status prints CapEff (16 hex digits). */
export function capabilityMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const c of caps) {
    const bit = (ALL_CAPABILITIES as readonly string[]).indexOf(c);
    if (bit < 0) throw invalidArgument(`unknown capability "${c}"`);
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}

export interface CapabilityInput {
  add?: string[];
  drop?: string[];
  privileged?: boolean;
  /** What the host can grant; defaults to this process's bounding set. */
  host?: string[];
}

/** The resulting set in the kernel's bit order, following docker's rules for add/drop and ALL. */
export function resolveCapabilities(input: CapabilityInput = {}): string[] {
  const host = input.host ?? hostCapabilities();
  const everything = ALL_CAPABILITIES.filter((c) => host.includes(c));
  if (input.privileged) return everything;
  const add = (input.add ?? []).map(normalizeCapability);
  const drop = (input.drop ?? []).map(normalizeCapability);
  let set: Set<string>;
  if (drop.includes('ALL')) set = new Set();
  else set = new Set(DEFAULT_CAPABILITIES);
  for (const c of drop) set.delete(c);
  if (add.includes('ALL')) {
    for (const c of everything) if (!drop.includes(c) || add.includes(c)) set.add(c);
  }
  // An explicit add wins over a drop of ALL (docker: --cap-drop ALL --cap-add CHOWN keeps CHOWN).
  for (const c of add) {
    if (c === 'ALL') continue;
    if (!host.includes(c)) throw invalidArgument(`cannot add capability ${c}: the host's bounding set lacks it`);
    set.add(c);
  }
  return ALL_CAPABILITIES.filter((c) => set.has(c) && host.includes(c));
}
