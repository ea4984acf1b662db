// The Dockerfile instructions that change only the image config (ENV, LABEL, CMD, WORKDIR, ...):
// a build's stages apply them, and so do commit's and import's --change (changes.ts).
import { invalidArgument } from '../internal/errors.js';
import { goDurationNs } from '../internal/go-duration.js';
import type { ContainerConfig } from '../image/index.js';
import type { Instruction } from './parser/instructions.js';

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** What an instruction's words are expanded against, and the one piece of state they share. */
export interface ConfigScope {
  /** One word, variables expanded ($VAR, ${VAR:-default}). */
  expand(word: string): string;
  /** Words that may split further once expanded (EXPOSE, VOLUME in its shell form). */
  expandList(words: string[]): string[];
  /** Set while the Cmd is still the base image's: an ENTRYPOINT then clears it (docker's rule). */
  cmdFromBase: boolean;
}

/** The shell of RUN, CMD and ENTRYPOINT's shell forms: SHELL's, or /bin/sh -c. */
export function shellOf(c: ContainerConfig): string[] {
  return c.Shell?.length ? c.Shell : DEFAULT_SHELL;
}

/** Sets KEY=VALUE in the config's Env, replacing an earlier value. */
export function setEnv(c: ContainerConfig, key: string, value: string): void {
  const env = (c.Env ?? []).filter((e) => !e.startsWith(`${key}=`));
  env.push(`${key}=${value}`);
  c.Env = env;
}

/** Applies an instruction that changes only the config. Returns false for the others (RUN, COPY, ...). */
export function applyConfigInstruction(c: ContainerConfig, inst: Instruction, scope: ConfigScope): boolean {
  switch (inst.kind) {
    case 'env': {
      const pairs = inst.pairs.map((p) => [scope.expand(p.key), scope.expand(p.value)] as const);
      for (const [k, v] of pairs) setEnv(c, k, v);
      return true;
    }
    case 'label': {
      c.Labels = { ...(c.Labels ?? {}) };
      for (const p of inst.pairs) c.Labels[scope.expand(p.key)] = scope.expand(p.value);
      return true;
    }
    case 'workdir': {
      const dir = scope.expand(inst.value);
      c.WorkingDir = dir.startsWith('/') ? normalize(dir) : normalize(`${c.WorkingDir || '/'}/${dir}`);
      return true;
    }
    case 'user':
      c.User = scope.expand(inst.value);
      return true;
    case 'stopsignal':
      c.StopSignal = scope.expand(inst.value);
      return true;
    case 'maintainer':
      return true;
    case 'cmd':
      scope.cmdFromBase = false;
      c.Cmd = inst.command.exec ? inst.command.args : [...shellOf(c), inst.command.command];
      return true;
    case 'entrypoint':
      c.Entrypoint = inst.command.exec ? inst.command.args : [...shellOf(c), inst.command.command];
      if (scope.cmdFromBase) c.Cmd = null;
      return true;
    case 'expose': {
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const w of scope.expandList(inst.words)) for (const p of exposedPorts(w)) c.ExposedPorts[p] = {};
      return true;
    }
    case 'volume': {
      c.Volumes = { ...(c.Volumes ?? {}) };
      const paths = inst.json ? inst.words.map((w) => scope.expand(w)) : scope.expandList(inst.words);
      for (const v of paths) {
        if (v.trim() === '') throw invalidArgument('VOLUME: a volume path must not be empty');
        c.Volumes[v] = {};
      }
      return true;
    }
    case 'shell':
      c.Shell = inst.args;
      return true;
    case 'healthcheck':
      c.Healthcheck = healthcheck(inst);
      return true;
    case 'onbuild':
      c.OnBuild = [...(c.OnBuild ?? []), inst.trigger];
      return true;
    default:
      return false;
  }
}

function normalize(p: string): string {
  const parts: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') parts.pop();
    else parts.push(c);
  }
  return `/${parts.join('/')}`;
}

/** "80" -> 80/tcp, "53/udp", "8000-8002/tcp" -> three ports. */
export function exposedPorts(word: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
  if (!m) throw invalidArgument(`EXPOSE: invalid port "${word}": use PORT[-PORT][/PROTOCOL]`);
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  if (from < 1 || to > 65535 || to < from) throw invalidArgument(`EXPOSE: invalid port range "${word}"`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = from; p <= to; p++) out.push(`${p}/${proto}`);
  return out;
}

/** A HEALTHCHECK option's Go duration ("30s", "1m30s", "500ms") in nanoseconds. */
function parseDuration(text: string, what: string): number {
  const ns = goDurationNs(text);
  if (ns === undefined || ns < 0) throw invalidArgument(`HEALTHCHECK: invalid ${what} "${text}": use a duration like 30s or 1m30s`);
  return ns;
}

function healthcheck(inst: Extract<Instruction, { kind: 'healthcheck' }>) {
  if (inst.test === 'none') return { Test: ['NONE'] };
  const hc: NonNullable<ContainerConfig['Healthcheck']> = {
    Test: inst.test.exec ? ['CMD', ...inst.test.args] : ['CMD-SHELL', inst.test.command],
  };
  if (inst.interval) hc.Interval = parseDuration(inst.interval, 'interval');
  if (inst.timeout) hc.Timeout = parseDuration(inst.timeout, 'timeout');
  if (inst.startPeriod) hc.StartPeriod = parseDuration(inst.startPeriod, 'start period');
  if (inst.startInterval) hc.StartInterval = parseDuration(inst.startInterval, 'start interval');
  if (inst.retries) {
    const n = Number(inst.retries);
    if (!Number.isInteger(n) || n < 0) throw invalidArgument(`HEALTHCHECK: invalid retries "${inst.retries}"`);
    hc.Retries = n;
  }
  return hc;
}
