// The filesystem steps: COPY and ADD (context, heredocs, other stages, images, URLs, local
// archives) and RUN, each looked up in the build cache before it is made into a layer.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { detectCompression } from '../archive/index.js';
import { BerthError, corrupt, invalidArgument } from '../internal/errors.js';
import { httpGet } from '../internal/http-get.js';
import type { GraphDriver } from '../graphdriver/index.js';
import type { ImageConfig, Platform } from '../image/index.js';
import { applyLayer } from '../layer/index.js';
import { packLayer } from '../layer/pack.js';
import { resolveUser } from '../runtime/index.js';
import type { ImageRecord, Lease, Store } from '../store/index.js';
import type { BuildReporter, StageResult } from './builder.js';
import { type BuildCache, stepKey } from './cache.js';
import { BUILD_LAYER_PACK, type Committer } from './commit.js';
import { type CopySource, expandSources, planCopy, type SourceRoot } from './copy-plan.js';
import type { FileHasher } from './file-hash.js';
import type { IgnoreMatcher } from './ignore.js';
import type { Instruction } from './parser/instructions.js';
import { expandWord } from './parser/shell-lex.js';
import type { StepRunner } from './run-step.js';
import { StackView } from './stack-view.js';
import type { StageState } from './stage-state.js';
import { buildKey } from './stale.js';

export interface StepContext {
  store: Store;
  driver: GraphDriver;
  committer: Committer;
  cache: BuildCache;
  hasher: FileHasher;
  lease: Lease;
  contextDir: string;
  ignore: IgnoreMatcher | undefined;
  noCache: boolean;
  reporter: BuildReporter;
  platform: Platform;
  signal?: AbortSignal;
  runroot: string;
  runner: () => Promise<StepRunner>;
  stageResult: (ref: string) => StageResult | undefined;
  resolveImage: (name: string) => Promise<{ record: ImageRecord; config: ImageConfig }>;
}

type CopyInst = Extract<Instruction, { kind: 'copy' | 'add' }>;
type RunInst = Extract<Instruction, { kind: 'run' }>;

/** Things to undo after a step: temp dirs, mounted views. */
class Scratch {
  private readonly undo: (() => Promise<unknown>)[] = [];
  constructor(private readonly ctx: StepContext) {}

  tempDir(): string {
    const dir = path.join(this.ctx.runroot, 'build', buildKey('tmp'));
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.undo.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** Mounts a read-only view of a layer stack (COPY --from) and returns its directory. */
  async view(chains: ImageRecord['layers'][number]['chainID'][]): Promise<string> {
    const key = buildKey('view');
    const mounts = await this.ctx.driver.prepare(key, chains, { readonly: true });
    this.undo.push(() => this.ctx.driver.remove(key));
    const target = this.tempDir();
    await this.ctx.driver.mount(mounts, target);
    this.undo.push(() => this.ctx.driver.unmount(target));
    return target;
  }

  async release(): Promise<void> {
    for (const u of this.undo.reverse()) await u().catch(() => {});
  }
}

export async function runCopy(ctx: StepContext, state: StageState, inst: CopyInst): Promise<void> {
  const scratch = new Scratch(ctx);
  try {
    const words = inst.words.map((w) => (w.startsWith('<<') && inst.heredocs.length ? w : state.expand(w)));
    const destWord = words[words.length - 1];
    const view = new StackView(ctx.store, state.chains);
    const sources = await collectSources(ctx, state, inst, words.slice(0, -1), scratch);
    const dest = destination(destWord, state.config.WorkingDir, view);
    const chown = inst.chown === undefined ? undefined : resolveChown(state.expand(inst.chown), view, scratch);
    const chmod = inst.chmod === undefined ? undefined : parseChmod(state.expand(inst.chmod));
    const plan = planCopy(sources, {
      dest,
      chown,
      chmod,
      isDirInImage: (abs) => view.isDir(abs),
      statInImage: (abs) => view.stat(abs),
      hasher: ctx.hasher,
    });
    const key = stepKey(state.cacheKey, inst.kind, dest, JSON.stringify(chown ?? null), String(chmod ?? ''), plan.hash);
    await commitStep(ctx, state, key, inst.text, () => packLayer(plan.items, { ...BUILD_LAYER_PACK, signal: ctx.signal }));
  } finally {
    await scratch.release();
  }
}

async function collectSources(ctx: StepContext, state: StageState, inst: CopyInst, words: string[], scratch: Scratch): Promise<CopySource[]> {
  const out: CopySource[] = [];
  let from: SourceRoot | undefined;
  if (inst.from !== undefined) {
    const ref = state.expand(inst.from);
    const stage = ctx.stageResult(ref);
    const chains = stage ? stage.state.chains : (await ctx.resolveImage(ref)).record.layers.map((l) => l.chainID);
    from = { root: await scratch.view(chains), keepOwners: true, label: stage ? `stage ${ref}` : `image ${ref}` };
  }
  const context: SourceRoot = from ?? { root: ctx.contextDir, ignore: ctx.ignore, keepOwners: false, label: 'the build context' };
  for (const w of words) {
    const doc = w.startsWith('<<') ? inst.heredocs.find((h) => h.name === w.replace(/^<<-?["']?|["']$/g, '')) : undefined;
    if (doc) {
      const dir = scratch.tempDir();
      const content = doc.expand ? expandWord(doc.content, state.lookup, { keepQuotes: true }) : doc.content;
      fs.writeFileSync(path.join(dir, doc.name), content, { mode: 0o644 });
      out.push({ src: { root: dir, keepOwners: false, label: `heredoc ${doc.name}` }, rel: doc.name });
      continue;
    }
    if (inst.kind === 'add' && /^https?:\/\//i.test(w)) {
      const dir = scratch.tempDir();
      const name = await fetchURL(w, dir, inst.checksum === undefined ? undefined : state.expand(inst.checksum), ctx.signal);
      out.push({ src: { root: dir, keepOwners: false, label: w }, rel: name });
      continue;
    }
    if (inst.kind === 'add' && inst.checksum !== undefined) throw invalidArgument('--checksum is only for URL sources');
    for (const rel of expandSources(context, [w])) {
      if (inst.kind === 'add' && !from) {
        const extracted = await extractArchive(path.join(ctx.contextDir, rel), context, rel, scratch, ctx.signal);
        if (extracted) {
          out.push({ src: { root: extracted, keepOwners: true, label: rel }, rel: '' });
          continue;
        }
      }
      out.push({ src: context, rel });
    }
  }
  return out;
}

/** The absolute destination: relative to WORKDIR, parent symlinks resolved inside the image. */
function destination(word: string, workdir: string | undefined, view: StackView): string {
  const trailing = word.endsWith('/') || word === '.' || word.endsWith('/.');
  const abs = word.startsWith('/') ? word : path.posix.join(workdir || '/', word);
  const norm = path.posix.normalize(abs);
  if (norm === '/') return '/';
  const parent = view.resolve(path.posix.dirname(norm));
  const full = path.posix.join(parent, path.posix.basename(norm));
  return trailing ? `${full}/` : full;
}

/** --chown=USER[:GROUP]; names looked up in the image's /etc/passwd and /etc/group. */
function resolveChown(spec: string, view: StackView, scratch: Scratch): { uid: number; gid: number } {
  const [user, group] = spec.split(':');
  const numeric = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);
  const uid = numeric(user);
  let gid = group === undefined ? undefined : numeric(group);
  if (uid === undefined || (group !== undefined && gid === undefined)) {
    const root = scratch.tempDir();
    fs.mkdirSync(path.join(root, 'etc'));
    for (const f of ['passwd', 'group']) {
      const data = view.read(`/etc/${f}`);
      if (data) fs.writeFileSync(path.join(root, 'etc', f), data);
    }
    // resolveUser reads the files through its own confined open; the temp root holds copies.
    return resolveUserSync(root, spec);
  }
  gid ??= uid;
  return { uid, gid };
}

function resolveUserSync(root: string, spec: string): { uid: number; gid: number } {
  const passwd = readLines(path.join(root, 'etc/passwd'));
  const groups = readLines(path.join(root, 'etc/group'));
  const [user, group] = spec.split(':');
  const entry = /^\d+$/.test(user) ? passwd.find((p) => p[2] === user) : passwd.find((p) => p[0] === user);
  if (!entry && !/^\d+$/.test(user)) throw invalidArgument(`cannot resolve --chown=${spec}: no user ${user} in the image's /etc/passwd`);
  const uid = entry ? Number(entry[2]) : Number(user);
  let gid = uid;
  if (group !== undefined) {
    const g = /^\d+$/.test(group) ? undefined : groups.find((x) => x[0] === group);
    if (!g && !/^\d+$/.test(group)) throw invalidArgument(`cannot resolve --chown=${spec}: no group ${group} in the image's /etc/group`);
    gid = g ? Number(g[2]) : Number(group);
  } else if (entry) gid = Number(entry[3]);
  return { uid, gid };
}

void resolveUser;

function readLines(file: string): string[][] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

function parseChmod(text: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw invalidArgument(`invalid --chmod=${text}: use octal permissions like 755`);
  return Number.parseInt(text, 8);
}

/**
 * ADD of a local tar (plain, gzip, zstd, and xz and bzip2 as docker's builder takes them): its
 * entries, extracted to a temp dir; undefined for other files.
 */
async function extractArchive(file: string, context: SourceRoot, rel: string, scratch: Scratch, signal?: AbortSignal): Promise<string | undefined> {
  void context;
  void rel;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!st.isFile() || st.size < 4) return undefined;
  const buf = Buffer.alloc(512);
  const fd = fs.openSync(file, 'r');
  let head: Buffer;
  try {
    head = buf.subarray(0, fs.readSync(fd, buf, 0, 512, 0));
  } finally {
    fs.closeSync(fd);
  }
  const kind = detectCompression(head);
  const isTar = head.length >= 262 && head.subarray(257, 262).toString() === 'ustar';
  if (kind === 'none' && !isTar) return undefined;
  const dir = scratch.tempDir();
  try {
    let input: Readable = fs.createReadStream(file);
    if (kind === 'xz' || kind === 'bzip2') {
      const { decompressTarball } = await import('../engine/images/archive.js');
      input = await decompressTarball(input, rel, signal);
    }
    await applyLayer(input, dir, { mode: 'merge', signal });
  } catch (err) {
    if (kind !== 'none') throw BerthError.wrap(err, `cannot extract ${rel}`);
    return undefined;
  }
  return dir;
}

/** ADD <url>: fetched into `dir`, checked against --checksum when given. */
async function fetchURL(url: string, dir: string, checksum: string | undefined, signal?: AbortSignal): Promise<string> {
  const res = await httpGet(url, { signal });
  const name = path.posix.basename(new URL(url).pathname) || 'index.html';
  const file = path.join(dir, name);
  const hash = createHash('sha256');
  res.on('data', (c: Buffer) => hash.update(c));
  await pipeline(res, fs.createWriteStream(file, { mode: 0o600 }));
  const got = `sha256:${hash.digest('hex')}`;
  if (checksum !== undefined && checksum !== got) {
    throw corrupt(`cannot add ${url}: its content has digest ${got}, but --checksum says ${checksum}`);
  }
  const modified = res.headers['last-modified'];
  if (modified) {
    const t = new Date(modified);
    if (!Number.isNaN(t.getTime())) fs.utimesSync(file, t, t);
  }
  return name;
}

/** A layer step: a cache hit reuses the layer; a miss makes it with `make` and records it. */
async function commitStep(
  ctx: StepContext,
  state: StageState,
  key: string,
  createdBy: string,
  make: () => import('../layer/index.js').LayerBlob | Promise<import('../layer/index.js').LayerBlob>,
): Promise<void> {
  const parent = state.topChain;
  if (!ctx.noCache) {
    const hit = await ctx.cache.get(key);
    if (hit && (await ctx.committer.reuse(hit.layer, parent))) {
      ctx.reporter.cached();
      addLayer(state, hit.layer, key, createdBy, hit.createdAt);
      return;
    }
  }
  const layer = await ctx.committer.commitBlob(await make(), parent, { signal: ctx.signal });
  await ctx.cache.put(key, layer);
  const entry = await ctx.cache.get(key);
  addLayer(state, layer, key, createdBy, entry?.createdAt ?? new Date().toISOString());
}

function addLayer(state: StageState, layer: import('../store/index.js').ImageLayer, key: string, createdBy: string, created: string): void {
  state.layers.push(layer);
  state.diffIDs.push(layer.diffID);
  state.history.push({ created, created_by: createdBy });
  state.cacheKey = key;
}

export async function runRun(ctx: StepContext, state: StageState, inst: RunInst): Promise<void> {
  const shell = state.shell();
  let args: string[];
  if (inst.command.exec) args = inst.command.args;
  else if (inst.heredocs.length === 1 && inst.command.command.trim().replace(/^<<-?["']?|["']$/g, '') === inst.heredocs[0].name) {
    args = [...shell, inst.heredocs[0].content];
  } else if (inst.heredocs.length > 0) {
    const bodies = inst.heredocs.map((h) => `${h.content}${h.name}\n`).join('');
    args = [...shell, `${inst.command.command}\n${bodies}`];
  } else args = [...shell, inst.command.command];
  const env = state.runEnv();
  const user = state.config.User ?? '';
  const cwd = state.config.WorkingDir || '/';
  const network = inst.network ?? 'host';
  const key = stepKey(state.cacheKey, 'run', JSON.stringify(args), env.join('\n'), user, cwd, network);
  const createdBy = `RUN ${args.join(' ')}`;
  let cleanup: (() => Promise<void>) | undefined;
  try {
    await commitStep(ctx, state, key, createdBy, async () => {
      const runner = await ctx.runner();
      const result = await runner.run({
        parents: state.chains,
        args,
        env,
        user,
        cwd,
        network,
        stdout: ctx.reporter.stdout,
        stderr: ctx.reporter.stderr,
        signal: ctx.signal,
      });
      cleanup = result.cleanup;
      if (result.exitCode !== 0 || !result.blob) {
        throw new BerthError('failed-precondition', `the command ${JSON.stringify(args)} exited with code ${result.exitCode}`, {
          detail: { exitCode: result.exitCode },
        });
      }
      return result.blob;
    });
  } finally {
    await cleanup?.();
  }
}
