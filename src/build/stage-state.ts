// A stage's state while it builds: the image config taking shape, its layers and history,
// and ARG/ENV scoping (ENV wins over ARG; only declared ARGs are visible).
import type { Digest } from '../digest/digest.js';
import type { ContainerConfig, History, ImageConfig } from '../image/index.js';
import type { ImageLayer } from '../store/index.js';
import { applyConfigInstruction, setEnv, shellOf } from './config-edit.js';
import type { Instruction } from './parser/instructions.js';
import { expandWord, expandWords, type Lookup } from './parser/shell-lex.js';

/** Args every build knows without an ARG (not recorded in the image), docker's list. */
export const PROXY_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

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
    setEnv(this.config, key, value);
  }

  /** Applies a metadata-only instruction to the config. Returns false for the others. */
  applyMetadata(inst: Instruction): boolean {
    return applyConfigInstruction(this.config, inst, this);
  }

  /** Set while the Cmd is still the base image's (an ENTRYPOINT then clears it). */
  cmdFromBase = true;

  shell(): string[] {
    return shellOf(this.config);
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
