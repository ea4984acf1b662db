// `berth build`: a Containerfile's stages built in dependency order, each instruction run
// against its stage's state, layer steps looked up in the build cache first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Digest } from '../digest/digest.js';
import { BerthError, invalidArgument, isBerthError } from '../internal/errors.js';
import type { GraphDriver } from '../graphdriver/index.js';
import { hostPlatform, type ImageConfig, parseImageConfig, type Platform } from '../image/index.js';
import type { OciRuntime } from '../runtime/index.js';
import { type ImageRecord, type Lease, normalizeName, type Store } from '../store/index.js';
import { pullImage } from '../engine/images/index.js';
import { BuildCache, stepKey } from './cache.js';
import { Committer } from './commit.js';
import { squashLayers } from './squash.js';
import { removeStale } from './stale.js';
import { FileHasher } from './file-hash.js';
import { IgnoreMatcher } from './ignore.js';
import { lexContainerfile } from './parser/lexer.js';
import { type Containerfile, type Instruction, parseContainerfile, parseInstruction, type Stage } from './parser/instructions.js';
import { expandWord } from './parser/shell-lex.js';
import { StageState } from './stage-state.js';
import { StepRunner } from './run-step.js';
import { runCopy, runRun, type StepContext } from './steps.js';

export interface BuildReporter {
  /** "STEP 3/9: COPY . /app" */
  step(n: number, total: number, text: string): void;
  cached(): void;
  /** Free-form progress ("--> abc123"). */
  note(text: string): void;
  /** Where RUN output goes. */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface BuildOptions {
  /** The context directory (files COPY and ADD read). */
  contextDir: string;
  /** The Containerfile's text and the name errors show. */
  containerfile: { text: string; name: string };
  tags?: string[];
  buildArgs?: Map<string, string>;
  target?: string;
  noCache?: boolean;
  pull?: boolean;
  platform?: string;
  labels?: Record<string, string>;
  /** Make the layers this build adds into one. */
  squash?: boolean;
  reporter: BuildReporter;
  signal?: AbortSignal;
}

export interface BuildServices {
  store: Store;
  driver: GraphDriver;
  /** Only needed when the Containerfile has RUN steps. */
  runtime: () => Promise<OciRuntime>;
  /** Graph root (the cache lives there) and run root (bundles). */
  root: string;
  runroot: string;
}

export interface BuildResult {
  id: Digest;
  record: ImageRecord;
}

/** A finished stage: what COPY --from and FROM <stage> use. */
export interface StageResult {
  state: StageState;
  platform: Platform;
}

const PLATFORM_ARGS = (p: Platform) => {
  const spec = `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
  const out: Record<string, string> = {};
  for (const prefix of ['TARGET', 'BUILD']) {
    out[`${prefix}PLATFORM`] = spec;
    out[`${prefix}OS`] = p.os;
    out[`${prefix}ARCH`] = p.architecture;
    out[`${prefix}VARIANT`] = p.variant ?? '';
  }
  return out;
};

export async function build(services: BuildServices, options: BuildOptions): Promise<BuildResult> {
  const file = parseContainerfile(options.containerfile.text, options.containerfile.name);
  const cache = new BuildCache(services.root);
  await cache.open();
  const hasher = new FileHasher(cache.fileHashes);
  hasher.load();
  await removeStale(services.driver, services.runroot);
  const lease = await services.store.lease();
  try {
    const builder = new Builder(services, options, file, cache, hasher, lease);
    const result = await builder.run();
    await hasher.save();
    return result;
  } finally {
    await lease.release();
  }
}

class Builder {
  private readonly results = new Map<number, StageResult>();
  private readonly committer: Committer;
  private readonly platform: Platform;
  private readonly globals = new Map<string, string | undefined>();
  private readonly buildArgs: Map<string, string>;
  private ignore: IgnoreMatcher | undefined;
  private runner: StepRunner | undefined;
  private stepNo = 0;
  private total = 0;

  constructor(
    private readonly services: BuildServices,
    private readonly options: BuildOptions,
    private readonly file: Containerfile,
    private readonly cache: BuildCache,
    private readonly hasher: FileHasher,
    private readonly lease: Lease,
  ) {
    this.committer = new Committer(services.store, lease);
    this.platform = options.platform ? parsePlatform(options.platform) : hostPlatform();
    this.buildArgs = options.buildArgs ?? new Map();
    const platformArgs = PLATFORM_ARGS(this.platform);
    for (const [k, v] of Object.entries(platformArgs)) this.globals.set(k, v);
  }

  async run(): Promise<BuildResult> {
    this.ignore = readIgnore(this.options.contextDir);
    for (const a of this.file.globalArgs) {
      for (const { name, value } of a.args) {
        const v = this.buildArgs.get(name) ?? (value === undefined ? undefined : this.expandGlobal(value, a));
        this.globals.set(name, v);
      }
    }
    const target = this.targetStage();
    const needed = this.neededStages(target);
    this.total = [...needed].reduce((n, i) => n + 1 + this.file.stages[i].instructions.length, 0);
    for (const i of [...needed].sort((a, b) => a - b)) await this.buildStage(this.file.stages[i]);
    const final = this.results.get(target.index)!;
    const labels = this.options.labels ?? {};
    if (Object.keys(labels).length > 0) final.state.config.Labels = { ...(final.state.config.Labels ?? {}), ...labels };
    if (this.options.squash) await squashLayers(final.state, { driver: this.services.driver, committer: this.committer, runroot: this.services.runroot, created: this.createdOf(final.state), signal: this.options.signal });
    const config = final.state.toImageConfig(final.platform, this.createdOf(final.state));
    const record = await this.committer.writeImage(config, final.state.layers, (this.options.tags ?? []).map(normalizeTag));
    return { id: record.id, record };
  }

  /** The newest history time: a fully cached rebuild makes the same config, hence the same ID. */
  private createdOf(state: StageState): string {
    return state.history[state.history.length - 1]?.created ?? new Date(0).toISOString();
  }

  private targetStage(): Stage {
    const t = this.options.target;
    if (t === undefined) return this.file.stages[this.file.stages.length - 1];
    const s = this.file.stages.find((x) => x.name === t.toLowerCase());
    if (!s) throw invalidArgument(`cannot build target "${t}": no stage has that name`);
    return s;
  }

  /** The stages the target depends on (FROM <stage>, COPY --from=<stage>), transitively. */
  private neededStages(target: Stage): Set<number> {
    const need = new Set<number>();
    const visit = (s: Stage) => {
      if (need.has(s.index)) return;
      need.add(s.index);
      const from = this.stageRef(this.expandGlobal(s.from.image, s.from), s.index);
      if (from) visit(from);
      for (const inst of s.instructions) {
        const f = inst.kind === 'copy' ? inst.from : undefined;
        if (f === undefined) continue;
        const ref = this.stageRef(f, s.index);
        if (ref) visit(ref);
      }
    };
    visit(target);
    return need;
  }

  /** A stage named (or numbered) by `ref` before stage `before`, if it is one. */
  stageRef(ref: string, before: number): Stage | undefined {
    const lower = ref.toLowerCase();
    const byName = this.file.stages.find((s) => s.name === lower && s.index < before);
    if (byName) return byName;
    if (/^\d+$/.test(ref)) {
      const s = this.file.stages[Number(ref)];
      if (!s || s.index >= before) throw invalidArgument(`cannot use stage ${ref}: no earlier stage has that index`);
      return s;
    }
    return undefined;
  }

  private expandGlobal(word: string, where: { file: string; line: number }): string {
    try {
      return expandWord(word, (n) => this.globals.get(n), { escapeChar: this.file.escapeChar });
    } catch (err) {
      throw located(err, where);
    }
  }

  private async buildStage(stage: Stage): Promise<void> {
    const from = stage.from;
    this.report(from.text);
    const state = await this.fromState(stage).catch((err: unknown) => {
      throw located(err, from, `${this.stepNo}/${this.total}`);
    });
    const ctx = this.stepContext(stage, state);
    const base = state.base;
    // ONBUILD triggers of the base run first, as if written right after FROM.
    for (const trigger of base.config?.OnBuild ?? []) {
      const raw = lexContainerfile(trigger, `${from.file} (ONBUILD of ${from.image})`).instructions[0];
      if (!raw) continue;
      const inst = parseInstruction({ ...raw, line: from.line }, this.file.escapeChar);
      this.options.reporter.note(`ONBUILD ${inst.text}`);
      await this.execute(inst, state, ctx);
    }
    for (const inst of stage.instructions) {
      this.report(inst.text);
      await this.execute(inst, state, ctx);
    }
    this.results.set(stage.index, { state, platform: ctx.platform });
  }

  private report(text: string): void {
    this.options.reporter.step(++this.stepNo, this.total, text);
  }

  private stepContext(stage: Stage, state: StageState): StepContext {
    void state;
    return {
      store: this.services.store,
      driver: this.services.driver,
      committer: this.committer,
      cache: this.cache,
      hasher: this.hasher,
      lease: this.lease,
      contextDir: this.options.contextDir,
      ignore: this.ignore,
      noCache: this.options.noCache ?? false,
      reporter: this.options.reporter,
      platform: this.platform,
      signal: this.options.signal,
      runroot: this.services.runroot,
      runner: () => this.stepRunner(),
      stageResult: (ref: string) => {
        const s = this.stageRef(ref, stage.index);
        return s ? this.results.get(s.index) : undefined;
      },
      resolveImage: (name: string) => this.resolveImage(name),
    };
  }

  private async stepRunner(): Promise<StepRunner> {
    if (!this.runner) {
      const runtime = await this.services.runtime();
      const dir = path.join(this.services.runroot, 'build');
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.runner = new StepRunner(this.services.driver, runtime, dir);
    }
    return this.runner;
  }

  private async execute(inst: Instruction, state: StageState, ctx: StepContext): Promise<void> {
    try {
      if (inst.kind === 'arg') {
        for (const a of inst.args) state.declareArg(a.name, a.value, this.globals);
        state.cacheKey = stepKey(state.cacheKey, 'arg', state.argsForKey());
        return;
      }
      if (inst.kind === 'from') throw invalidArgument('FROM inside a stage');
      if (state.applyMetadata(inst)) {
        state.history.push({ created: this.createdOf(state), created_by: inst.text, empty_layer: true });
        state.cacheKey = stepKey(state.cacheKey, 'config', JSON.stringify(state.config));
        return;
      }
      if (inst.kind === 'run') await runRun(ctx, state, inst);
      else if (inst.kind === 'copy' || inst.kind === 'add') await runCopy(ctx, state, inst);
      else throw invalidArgument(`unsupported instruction ${inst.kind}`);
    } catch (err) {
      throw located(err, inst, `${this.stepNo}/${this.total}`);
    }
  }

  private async fromState(stage: Stage): Promise<StageState> {
    const name = this.expandGlobal(stage.from.image, stage.from);
    const platform = stage.from.platform ? parsePlatform(this.expandGlobal(stage.from.platform, stage.from)) : this.platform;
    if (name === 'scratch') {
      const empty: ImageConfig = { architecture: platform.architecture, os: platform.os, rootfs: { type: 'layers', diff_ids: [] } };
      return new StageState(empty, [], 'scratch', this.file.escapeChar, this.buildArgs);
    }
    const ref = this.stageRef(name, stage.index);
    if (ref) {
      const prev = this.results.get(ref.index)!;
      const base = prev.state.toImageConfig(prev.platform, this.createdOf(prev.state));
      const s = new StageState(base, prev.state.layers, prev.state.cacheKey, this.file.escapeChar, this.buildArgs);
      return s;
    }
    const { record, config } = await this.resolveImage(name, platform);
    if (!(await this.leaseImage(record))) throw invalidArgument(`cannot use image ${name}: its layers are missing from the store`);
    return new StageState(config, record.layers, record.id, this.file.escapeChar, this.buildArgs);
  }

  private async leaseImage(rec: ImageRecord): Promise<boolean> {
    let parent: Digest | undefined;
    for (const l of rec.layers) {
      if (!(await this.committer.reuse(l, parent))) return false;
      parent = l.chainID;
    }
    return true;
  }

  /** An image from the store, pulled when missing (or always with --pull). */
  private async resolveImage(name: string, platform: Platform = this.platform): Promise<{ record: ImageRecord; config: ImageConfig }> {
    const store = this.services.store;
    let record: ImageRecord | undefined;
    if (!this.options.pull) {
      record = await store.resolveImage(name).catch((err: unknown) => {
        if (isBerthError(err, 'not-found')) return undefined;
        throw err;
      });
    }
    if (!record) {
      this.options.reporter.note(`pulling ${name}`);
      record = (await pullImage(store, name, { platform, signal: this.options.signal })).record;
    }
    const config = parseImageConfig(await store.content.readBlob(record.config.digest));
    return { record, config };
  }
}

/** Prefixes an error with the instruction's file and line (once). */
export function located(err: unknown, where: { file: string; line: number; text?: string }, step?: string): BerthError {
  const prefix = `${where.file}:${where.line}`;
  if (err instanceof BerthError && (err.message.startsWith(prefix) || err.message.startsWith('step '))) return err;
  const what = where.text ? `${prefix}: ${where.text.length > 80 ? `${where.text.slice(0, 77)}...` : where.text}` : prefix;
  return BerthError.wrap(err, step ? `step ${step}: ${what}` : what);
}

function readIgnore(contextDir: string): IgnoreMatcher | undefined {
  for (const name of ['.containerignore', '.dockerignore']) {
    try {
      return IgnoreMatcher.parse(fs.readFileSync(path.join(contextDir, name), 'utf8'));
    } catch {
      // try the next name
    }
  }
  return undefined;
}

export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) throw invalidArgument(`invalid platform "${text}": use OS/ARCH[/VARIANT]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** "app" -> "docker.io/library/app:latest", the store's reading of a name. */
export function normalizeTag(tag: string): string {
  const name = normalizeName(tag);
  if (!name) throw invalidArgument(`invalid tag "${tag}": not an image name`);
  return name;
}
