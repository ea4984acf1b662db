// Platforms ("linux/arm64/v8"): parsing, normalising the many spellings of one CPU
// (x86_64, aarch64, armhf...), the host's platform, and choosing an index entry for one.
import { endianness } from 'node:os';
import { invalidArgument, notFound } from '../internal/errors.js';
import type { Descriptor, ImageIndex, Platform } from './types.js';

const OS_ALIASES: Record<string, string> = { macos: 'darwin', win32: 'windows' };
const KNOWN_OS = new Set([
  'aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'illumos', 'ios', 'js', 'linux', 'netbsd', 'openbsd', 'plan9', 'solaris', 'wasip1', 'windows',
]);

const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le',
  'ppc', 'ppc64', 'ppc64le', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);

/**
 * The platform in its canonical spelling, as containerd and docker normalise it: arch aliases
 * resolved, variants defaulted (arm means arm/v7) or dropped where they are the only one
 * (arm64/v8 and amd64/v1 are written without a variant).
 */
export function normalizePlatform(p: Platform): Platform {
  const os = OS_ALIASES[p.os.toLowerCase()] ?? p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() ?? '';
  switch (architecture) {
    case 'i386':
    case 'i686':
    case 'x86':
    case 'ia32':
      architecture = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'x64':
    case 'amd64':
      architecture = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      architecture = 'arm64';
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') variant = '';
      else if (/^\d/.test(variant)) variant = `v${variant}`;
      break;
    case 'armhf':
      architecture = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
      break;
    case 'ppc64el':
      architecture = 'ppc64le';
      break;
    case 'mips64el':
      architecture = 'mips64le';
      break;
  }
  const out: Platform = { architecture, os };
  if (variant) out.variant = variant;
  if (p['os.version']) out['os.version'] = p['os.version'];
  if (p['os.features']?.length) out['os.features'] = [...p['os.features']];
  return out;
}

/** "os/arch[/variant]", the form docker and podman take in --platform. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((s) => s).join('/');
}

/**
 * Parses "linux/arm64/v8", "linux/amd64", "windows/amd64", or one component: an OS ("linux")
 * takes the host's architecture, anything else ("arm64") is an architecture on the host's OS.
 */
export function parsePlatform(spec: string, host: Platform = hostPlatform()): Platform {
  if (typeof spec !== 'string' || spec.trim() === '') throw invalidArgument('invalid platform "": empty');
  const parts = spec.trim().split('/');
  if (parts.length > 3 || parts.some((s) => !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s))) {
    throw invalidArgument(`invalid platform "${spec.slice(0, 100)}": expected os/arch[/variant]`);
  }
  if (parts.length === 1) {
    const one = parts[0].toLowerCase();
    if (KNOWN_OS.has(OS_ALIASES[one] ?? one)) {
      return normalizePlatform({ os: one, architecture: host.architecture, ...(host.variant ? { variant: host.variant } : {}) });
    }
    const asArch = normalizePlatform({ os: host.os, architecture: one });
    // containerd's rule for one word (an os/arch pair is taken as written): a known OS or CPU.
    if (!KNOWN_ARCH.has(asArch.architecture)) throw invalidArgument(`error parsing specified platform: "${spec}": unknown operating system or architecture`);
    return asArch;
  }
  const [os, architecture, variant] = parts;
  return normalizePlatform(variant === undefined ? { os, architecture } : { os, architecture, variant });
}

let hostCache: Platform | undefined;

/** The platform this process runs on, from process.platform and process.arch. */
export function hostPlatform(): Platform {
  if (hostCache) return hostCache;
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  let architecture: string = process.arch;
  let variant: string | undefined;
  switch (process.arch) {
    case 'x64':
      architecture = 'amd64';
      break;
    case 'ia32':
      architecture = '386';
      break;
    case 'arm': {
      const v = (process.config.variables as unknown as Record<string, unknown>).arm_version;
      variant = v === undefined ? 'v7' : `v${String(v)}`;
      break;
    }
    case 'ppc64':
      architecture = endianness() === 'LE' ? 'ppc64le' : 'ppc64';
      break;
    case 'mipsel':
      architecture = 'mipsle';
      break;
  }
  hostCache = normalizePlatform(variant ? { os, architecture, variant } : { os, architecture });
  return hostCache;
}

export interface PlatformMatchOptions {
  /**
   * Only the exact platform (after normalisation), never an older variant or a 32-bit
   * fallback: what `--platform` asks for. Default false: what a host can run.
   */
  strict?: boolean;
}

/**
 * The platforms that satisfy `want`, best first: the exact one, then (unless strict) older
 * variants the CPU also runs, in docker's (containerd's) order: arm/v7 then v6 then v5;
 * arm64 then arm/v8..v5; amd64/v3 then v2, v1, then 386.
 */
export function compatiblePlatforms(want: Platform, options: PlatformMatchOptions = {}): Platform[] {
  const w = normalizePlatform(want);
  const out: Platform[] = [w];
  if (options.strict) return out;
  const on = (architecture: string, variant?: string): Platform => (variant ? { os: w.os, architecture, variant } : { os: w.os, architecture });
  const armVersions = (from: number) => {
    for (let n = from; n >= 5; n--) out.push(on('arm', `v${n}`));
  };
  if (w.architecture === 'arm') {
    const n = Number(/^v(\d+)$/.exec(w.variant ?? '')?.[1] ?? 7);
    if (n > 5) armVersions(n - 1);
  } else if (w.architecture === 'arm64') {
    armVersions(8);
  } else if (w.architecture === 'amd64') {
    const n = Number(/^v(\d)$/.exec(w.variant ?? '')?.[1] ?? 1);
    for (let k = n - 1; k >= 1; k--) out.push(on('amd64', k === 1 ? undefined : `v${k}`));
    out.push(on('386'));
  }
  return out;
}

/** Whether `have` is exactly `want` after normalisation (OS version and features ignored). */
export function samePlatform(have: Platform, want: Platform): boolean {
  const a = normalizePlatform(have);
  const b = normalizePlatform(want);
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/**
 * The index entry to use for `want`: exact match first, then compatible variants in order.
 * Entries without a platform (attestations, artifacts) are never chosen. Throws 'not-found'
 * listing what the index offers.
 */
export function selectManifest(
  index: ImageIndex | readonly Descriptor[],
  want: Platform,
  options: PlatformMatchOptions = {},
): Descriptor {
  const entries = Array.isArray(index) ? (index as readonly Descriptor[]) : (index as ImageIndex).manifests;
  const withPlatform = entries.filter((d) => d.platform && typeof d.platform.os === 'string' && typeof d.platform.architecture === 'string');
  for (const candidate of compatiblePlatforms(want, options)) {
    const hit = withPlatform.find((d) => samePlatform(d.platform!, candidate));
    if (hit) return hit;
  }
  const available = [...new Set(withPlatform.map((d) => formatPlatform(normalizePlatform(d.platform!))))].filter((p) => p !== 'unknown/unknown');
  throw notFound(
    `no image for platform ${formatPlatform(normalizePlatform(want))}: the index offers ${available.length ? available.join(', ') : 'no platforms'}`,
    { detail: { wanted: formatPlatform(normalizePlatform(want)), available } },
  );
}

/** Whether an image built for `have` runs on `want` (exact or an older variant it accepts). */
export function platformSatisfies(have: Platform, want: Platform, options: PlatformMatchOptions = {}): boolean {
  return compatiblePlatforms(want, options).some((c) => samePlatform(have, c));
}
