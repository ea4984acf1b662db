// A stage's state while it builds: the image config taking shape, its layers and history,
// and ARG/ENV scoping (ENV wins over ARG; only declared ARGs are visible).
import type { Digest } from '../digest/digest.js';
import { invalidArgument } from '../internal/errors.js';
import type { ContainerConfig, History, ImageConfig } from '../image/index.js';
import type { ImageLayer } from '../store/index.js';
import type { Instruction } from './parser/instructions.js';
import { expandWord, expandWords, type Lookup } from './parser/shell-lex.js';

/** Args every build knows without an ARG (not recorded in the image), docker's list. */
export const PROXY_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

export const DEFAULT_SHELL = ['/bin/sh', '-c'];
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class StageState {
  config: ContainerConfig;
  layers: ImageLayer[];
  diffIDs: Digest[];
  history: History[];
  /** Declared ARGs with their current values (undefined: declared without a value). */
  readonly args = new Map<string, string | undefined>();
  /** The chained cache key of the stage so far. */
  cacheKey: string;
  /** Layers and history entries that came with the base image (what --squash keeps). */
  readonly baseLayerCount: number;
  readonly baseHistoryCount: number;

  constructor(
    readonly base: ImageConfig,
    baseLayers: ImageLayer[],
    baseKey: string,
    private readonly escapeChar: string,
    /** --build-arg values. */
    private readonly buildArgs: Map<string, string>,
  ) {
    const c = base.config ?? {};
    this.config = structuredClone({ ...c, OnBuild: null });
    if (this.config.OnBuild === null) delete this.config.OnBuild;
    // buildkit and buildah give every stage a PATH when its base has none (FROM scratch too).
    if (!(this.config.Env ?? []).some((e) => e.startsWith('PATH='))) this.config.Env = [DEFAULT_PATH, ...(this.config.Env ?? [])];
    this.layers = [...baseLayers];
    this.baseLayerCount = baseLayers.length;
    this.baseHistoryCount = (base.history ?? []).length;
    this.diffIDs = [...base.rootfs.diff_ids];
    this.history = [...(base.history ?? [])];
    this.cacheKey = baseKey;
  }

  get topChain(): Digest | undefined {
    return this.layers[this.layers.length - 1]?.chainID;
  }

  get chains(): Digest[] {
    return this.layers.map((l) => l.chainID);
  }

  envValue(name: string): string | undefined {
    const prefix = `${name}=`;
    const env = this.config.Env ?? [];
    let e: string | undefined;
    for (const x of env) if (x.startsWith(prefix)) e = x;
    return e?.slice(prefix.length);
  }

  /** ENV first, then declared ARGs, for expanding instruction words. */
  readonly lookup: Lookup = (name) => this.envValue(name) ?? this.args.get(name);

  expand(word: string): string {
    return expandWord(word, this.lookup, { escapeChar: this.escapeChar });
  }

  expandList(text: string[]): string[] {
    return text.flatMap((w) => expandWords(w, this.lookup, { escapeChar: this.escapeChar }));
  }

  /** The environment of a RUN: the image's Env plus ARG values the Env does not override. */
  runEnv(): string[] {
    const env = [...(this.config.Env ?? [])];
    for (const [k, v] of this.args) if (v !== undefined && this.envValue(k) === undefined) env.push(`${k}=${v}`);
    for (const k of PROXY_ARGS) {
      const v = this.buildArgs.get(k);
      if (v !== undefined && !env.some((e) => e.startsWith(`${k}=`))) env.push(`${k}=${v}`);
    }
    return env;
  }

  /** The ARGs that change a RUN's result, for its cache key (docker: "|N K=V ..."). */
  argsForKey(): string {
    return [...this.args].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).sort().join('\n');
  }

  /** ARG in a stage: --build-arg wins, then the default given here, then a global default. */
  declareArg(name: string, defaultValue: string | undefined, globals: Map<string, string | undefined>): void {
    const value = this.buildArgs.get(name) ?? (defaultValue !== undefined ? this.expand(defaultValue) : globals.get(name));
    this.args.set(name, value);
  }

  setEnv(key: string, value: string): void {
    const env = (this.config.Env ?? []).filter((e) => !e.startsWith(`${key}=`));
    env.push(`${key}=${value}`);
    this.config.Env = env;
  }

  /** Applies a metadata-only instruction to the config. Returns false for the others. */
  applyMetadata(inst: Instruction): boolean {
    const c = this.config;
    switch (inst.kind) {
      case 'env': {
        const pairs = inst.pairs.map((p) => [this.expand(p.key), this.expand(p.value)] as const);
        for (const [k, v] of pairs) this.setEnv(k, v);
        return true;
      }
      case 'label': {
        c.Labels = { ...(c.Labels ?? {}) };
        for (const p of inst.pairs) c.Labels[this.expand(p.key)] = this.expand(p.value);
        return true;
      }
      case 'workdir': {
        const dir = this.expand(inst.value);
        c.WorkingDir = dir.startsWith('/') ? normalize(dir) : normalize(`${c.WorkingDir || '/'}/${dir}`);
        return true;
      }
      case 'user':
        c.User = this.expand(inst.value);
        return true;
      case 'stopsignal':
        c.StopSignal = this.expand(inst.value);
        return true;
      case 'maintainer':
        return true;
      case 'cmd':
        this.cmdFromBase = false;
        c.Cmd = inst.command.exec ? inst.command.args : [...this.shell(), inst.command.command];
        return true;
      case 'entrypoint':
        c.Entrypoint = inst.command.exec ? inst.command.args : [...this.shell(), inst.command.command];
        // docker: ENTRYPOINT resets a CMD inherited from the base image.
        if (this.cmdFromBase) c.Cmd = null;
        return true;
      case 'expose': {
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const w of this.expandList(inst.words)) for (const p of exposedPorts(w)) c.ExposedPorts[p] = {};
        return true;
      }
      case 'volume': {
        c.Volumes = { ...(c.Volumes ?? {}) };
        const paths = inst.json ? inst.words.map((w) => this.expand(w)) : this.expandList(inst.words);
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
        c.Healthcheck = healthcheck(inst, this.shell());
        return true;
      case 'onbuild':
        c.OnBuild = [...(c.OnBuild ?? []), inst.trigger];
        return true;
      default:
        return false;
    }
  }

  /** Set while the Cmd is still the base image's (an ENTRYPOINT then clears it). */
  cmdFromBase = true;

  shell(): string[] {
    return this.config.Shell?.length ? this.config.Shell : DEFAULT_SHELL;
  }

  toImageConfig(platform: { architecture: string; os: string; variant?: string }, created: string): ImageConfig {
    const out: ImageConfig = {
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: this.config,
      rootfs: { type: 'layers', diff_ids: this.diffIDs },
      history: this.history,
    };
    if (this.base.author) out.author = this.base.author;
    return out;
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

/** Go duration ("30s", "1m30s", "500ms") -> nanoseconds. */
export function parseDuration(text: string, what: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * unit[m[2]];
    end = re.lastIndex;
  }
  if (text === '' || end !== text.length) throw invalidArgument(`HEALTHCHECK: invalid ${what} "${text}": use a duration like 30s or 1m30s`);
  return Math.round(total);
}

function healthcheck(inst: Extract<Instruction, { kind: 'healthcheck' }>, shell: string[]) {
  if (inst.test === 'none') return { Test: ['NONE'] };
  const hc: NonNullable<ContainerConfig['Healthcheck']> = {
    Test: inst.test.exec ? ['CMD', ...inst.test.args] : ['CMD-SHELL', inst.test.command],
  };
  void shell;
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
