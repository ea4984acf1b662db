// Resource limits (ulimits) for the container's process: docker's names, the host's hard
// limits read from /proc/self/limits, and defaults clamped so a spec never asks for more.
import { readFileSync } from 'node:fs';
import { invalidArgument } from '../../internal/errors.js';
import type { SpecRlimit } from './types.js';

/** `--ulimit` names -> RLIMIT_* and the row title in /proc/<pid>/limits. */
export const RLIMITS: Record<string, { type: string; title: string }> = {
  core: { type: 'RLIMIT_CORE', title: 'Max core file size' },
  cpu: { type: 'RLIMIT_CPU', title: 'Max cpu time' },
  data: { type: 'RLIMIT_DATA', title: 'Max data size' },
  fsize: { type: 'RLIMIT_FSIZE', title: 'Max file size' },
  locks: { type: 'RLIMIT_LOCKS', title: 'Max file locks' },
  memlock: { type: 'RLIMIT_MEMLOCK', title: 'Max locked memory' },
  msgqueue: { type: 'RLIMIT_MSGQUEUE', title: 'Max msgqueue size' },
  nice: { type: 'RLIMIT_NICE', title: 'Max nice priority' },
  nofile: { type: 'RLIMIT_NOFILE', title: 'Max open files' },
  nproc: { type: 'RLIMIT_NPROC', title: 'Max processes' },
  rss: { type: 'RLIMIT_RSS', title: 'Max resident set' },
  rtprio: { type: 'RLIMIT_RTPRIO', title: 'Max realtime priority' },
  rttime: { type: 'RLIMIT_RTTIME', title: 'Max realtime timeout' },
  sigpending: { type: 'RLIMIT_SIGPENDING', title: 'Max pending signals' },
  stack: { type: 'RLIMIT_STACK', title: 'Max stack size' },
  as: { type: 'RLIMIT_AS', title: 'Max address space' },
};

/** The largest value the spec can carry: RLIM_INFINITY. */
export const RLIM_INFINITY = 2 ** 64 - 1;

/** docker's default open-file limit (dockerd's systemd unit, podman's default). */
export const DEFAULT_NOFILE = 1048576;

export interface HostLimit {
  soft: number;
  hard: number;
}

/** Parses /proc/<pid>/limits; "unlimited" becomes RLIM_INFINITY. Keyed by RLIMIT_* type. */
export function parseProcLimits(text: string): Record<string, HostLimit> {
  const out: Record<string, HostLimit> = {};
  const byTitle = new Map(Object.values(RLIMITS).map((r) => [r.title, r.type]));
  for (const line of text.split('\n')) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (!m) continue;
    const type = byTitle.get(m[1].trim());
    if (!type) continue;
    const num = (v: string) => (v === 'unlimited' ? RLIM_INFINITY : Number(v));
    out[type] = { soft: num(m[2]), hard: num(m[3]) };
  }
  return out;
}

let hostCache: Record<string, HostLimit> | undefined;

/** This process's limits; runc (as root without CAP_SYS_RESOURCE) cannot go above the hard ones. */
export function hostLimits(): Record<string, HostLimit> {
  if (!hostCache) {
    try {
      hostCache = parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
    } catch {
      hostCache = {};
    }
  }
  return hostCache;
}

/** Parses docker's `--ulimit name=soft[:hard]` (value -1 = unlimited). */
export function parseUlimit(text: string): SpecRlimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(text.trim());
  if (!m) throw invalidArgument(`invalid ulimit "${text}": want NAME=SOFT[:HARD]`);
  const def = RLIMITS[m[1]];
  if (!def) throw invalidArgument(`invalid ulimit "${text}": unknown limit "${m[1]}"`);
  const val = (v: string) => (Number(v) === -1 ? RLIM_INFINITY : Number(v));
  const soft = val(m[2]);
  const hard = m[3] === undefined ? soft : val(m[3]);
  if (soft < 0 || hard < 0) throw invalidArgument(`invalid ulimit "${text}": negative value`);
  if (soft > hard) throw invalidArgument(`invalid ulimit "${text}": soft limit ${m[2]} is above hard limit ${m[3]}`);
  return { type: def.type, soft, hard };
}

/**
 * The rlimits of a container: the defaults (RLIMIT_NOFILE 1048576) clamped to the host's hard
 * limits, then the caller's own, which must fit under the host's hard limits too.
 */
export function resolveRlimits(
  requested: SpecRlimit[] = [],
  host: Record<string, HostLimit> = hostLimits(),
): SpecRlimit[] {
  const out = new Map<string, SpecRlimit>();
  const nofileHard = host.RLIMIT_NOFILE?.hard ?? DEFAULT_NOFILE;
  const nofile = Math.min(DEFAULT_NOFILE, nofileHard);
  out.set('RLIMIT_NOFILE', { type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile });
  for (const r of requested) {
    const limit = host[r.type];
    if (limit && r.hard > limit.hard) {
      throw invalidArgument(
        `cannot set ${r.type} to ${r.hard}: the host's hard limit is ${limit.hard === RLIM_INFINITY ? 'unlimited' : limit.hard}`,
      );
    }
    out.set(r.type, { ...r });
  }
  return [...out.values()];
}
