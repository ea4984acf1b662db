// Turns a seccomp profile in docker's format into the runtime-spec's linux.seccomp for one
// container: keeps the rules whose capability, architecture and kernel conditions hold.
import * as os from 'node:os';
import { invalidArgument } from '../../internal/errors.js';
import { DEFAULT_SECCOMP_PROFILE } from './seccomp-default.js';
import type { DockerSeccompProfile, DockerSeccompRule, SpecSeccomp, SpecSeccompSyscall } from './types.js';

/** Node's process.arch -> Go's GOARCH, the words docker profiles use in includes/excludes.arches. */
const GOARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  s390x: 's390x',
  ppc64: 'ppc64le',
  riscv64: 'riscv64',
  mips64el: 'mips64le',
};

/** GOARCH -> libseccomp's native architecture name, the key into a profile's archMap. */
const SCMP_ARCH: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
  arm: 'SCMP_ARCH_ARM',
  '386': 'SCMP_ARCH_X86',
  s390x: 'SCMP_ARCH_S390X',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  mips64le: 'SCMP_ARCH_MIPSEL64',
};

export interface SeccompContext {
  /** The container's bounding capabilities, with CAP_ prefix. */
  capabilities: string[];
  /** GOARCH word (amd64, arm64, ...); defaults to this host's. */
  arch?: string;
  /** Kernel release like "6.1.0"; defaults to this host's. */
  kernel?: string;
  /**
   * Whether the kernel runs x32 programs (kernelHasX32 in host.ts); default true. Without
   * them SCMP_ARCH_X32 leaves the filter: libseccomp then kills a caller of an x32 syscall
   * number instead of filtering it, stricter than a filter for an ABI the kernel refuses
   * anyway, and runc compiles the profile for one ABI less (~5 ms of every start).
   */
  x32?: boolean;
}

export function hostGoArch(): string {
  return GOARCH[process.arch] ?? process.arch;
}

/** Parses and checks a profile given as JSON text (`--security-opt seccomp=FILE`). */
export function parseSeccompProfile(text: string, source = 'seccomp profile'): DockerSeccompProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`cannot read ${source}: not JSON: ${(err as Error).message}`);
  }
  const p = value as DockerSeccompProfile;
  if (typeof p !== 'object' || p === null || typeof p.defaultAction !== 'string') {
    throw invalidArgument(`cannot read ${source}: "defaultAction" is missing`);
  }
  if (p.syscalls !== undefined && p.syscalls !== null && !Array.isArray(p.syscalls)) {
    throw invalidArgument(`cannot read ${source}: "syscalls" must be a list`);
  }
  for (const [i, rule] of (p.syscalls ?? []).entries()) {
    if (typeof rule?.action !== 'string') throw invalidArgument(`cannot read ${source}: syscalls[${i}] has no "action"`);
    const names = rule.names ?? (rule.name ? [rule.name] : []);
    if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string')) {
      throw invalidArgument(`cannot read ${source}: syscalls[${i}] has no "names"`);
    }
  }
  if (p.archMap && p.architectures && p.architectures.length > 0) {
    throw invalidArgument(`cannot read ${source}: "architectures" and "archMap" cannot both be set`);
  }
  return p;
}

function kernelAtLeast(release: string, min: string): boolean {
  const nums = (v: string) => v.split(/[^0-9]+/).filter(Boolean).slice(0, 3).map(Number);
  const a = nums(release);
  const b = nums(min);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

function ruleApplies(rule: DockerSeccompRule, caps: Set<string>, arch: string, kernel: string): boolean {
  const inc = rule.includes;
  if (inc) {
    if (inc.arches?.length && !inc.arches.includes(arch)) return false;
    if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) return false;
    if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
  }
  const exc = rule.excludes;
  if (exc) {
    if (exc.arches?.includes(arch)) return false;
    if (exc.caps?.some((c) => caps.has(c))) return false;
    if (exc.minKernel && kernelAtLeast(kernel, exc.minKernel)) return false;
  }
  return true;
}

/** The linux.seccomp section for a container with these capabilities. */
export function seccompForContainer(
  profile: DockerSeccompProfile = DEFAULT_SECCOMP_PROFILE,
  context: SeccompContext,
): SpecSeccomp {
  const arch = context.arch ?? hostGoArch();
  const kernel = context.kernel ?? os.release();
  const caps = new Set(context.capabilities);
  const out: SpecSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.architectures?.length) {
    out.architectures = [...profile.architectures];
  } else if (profile.archMap) {
    const native = SCMP_ARCH[arch];
    const entry = profile.archMap.find((m) => m.architecture === native);
    if (entry) out.architectures = [entry.architecture, ...(entry.subArchitectures ?? [])];
  }
  if (context.x32 === false && out.architectures) out.architectures = out.architectures.filter((a) => a !== 'SCMP_ARCH_X32');
  if (profile.flags?.length) out.flags = [...profile.flags];
  const syscalls: SpecSeccompSyscall[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (!ruleApplies(rule, caps, arch, kernel)) continue;
    const s: SpecSeccompSyscall = { names: rule.names ?? [rule.name as string], action: rule.action };
    if (rule.errnoRet !== undefined) s.errnoRet = rule.errnoRet;
    if (rule.args?.length) s.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(s);
  }
  out.syscalls = syscalls;
  return out;
}
