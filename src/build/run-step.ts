// RUN: a command in a throwaway container over a stage's layers (graph driver snapshot,
// runtime spec, `runc run` in the foreground), its output streamed, its changes a layer.
// Built on src/runtime and src/graphdriver directly: the engine's container API had not landed.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Digest } from '../digest/digest.js';
import { BerthError } from '../internal/errors.js';
import type { GraphDriver } from '../graphdriver/index.js';
import { createLayerFromOverlayUpper, diffDirectories, type LayerBlob } from '../layer/index.js';
import { generateSpec, type OciRuntime, resolveUser } from '../runtime/index.js';
import { BUILD_LAYER_PACK } from './commit.js';
import { buildKey } from './stale.js';

export interface RunStepInput {
  /** Chain IDs of the stage's layers, bottom first. */
  parents: Digest[];
  args: string[];
  env: string[];
  /** USER as written ("", "app", "1000:1000"). */
  user: string;
  cwd: string;
  /** 'host' (default: RUN reaches the network through the host's) or 'none'. */
  network?: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  signal?: AbortSignal;
}

export interface RunStepResult {
  exitCode: number;
  /** The container's changes as a layer (read its stream), present when the command succeeded. */
  blob?: LayerBlob;
  /** Removes the snapshot; call after the blob was read. */
  cleanup(): Promise<void>;
}

/** Host files bound into RUN containers so names resolve, when the image has them. */
const HOST_FILES = ['/etc/resolv.conf', '/etc/hosts'];

export class StepRunner {
  constructor(
    private readonly driver: GraphDriver,
    private readonly runtime: OciRuntime,
    /** A directory for bundles and mount points (under the run root). */
    private readonly workDir: string,
  ) {}

  async run(input: RunStepInput): Promise<RunStepResult> {
    const key = buildKey('run');
    const bundle = path.join(this.workDir, key);
    const rootfs = path.join(bundle, 'rootfs');
    fs.mkdirSync(rootfs, { recursive: true, mode: 0o700 });
    let mounted = false;
    let prepared = false;
    const cleanup = async () => {
      if (mounted) await this.driver.unmount(rootfs).catch(() => {});
      mounted = false;
      if (prepared) await this.driver.remove(key).catch(() => {});
      prepared = false;
      fs.rmSync(bundle, { recursive: true, force: true });
    };
    try {
      const mounts = await this.driver.prepare(key, input.parents, { signal: input.signal });
      prepared = true;
      await this.driver.mount(mounts, rootfs);
      mounted = true;
      const user = await resolveUser(rootfs, input.user);
      // Names resolve in RUN as on the host: its resolv.conf and hosts are bound over the
      // image's, or over empty files placed for the run and taken out of the layer after it.
      const placed: string[] = [];
      const binds = HOST_FILES.filter((f) => {
        if (!fs.existsSync(f)) return false;
        const inside = path.join(rootfs, f);
        if (isFile(inside)) return true;
        if (exists(inside) || !isRealDir(path.dirname(inside))) return false;
        fs.writeFileSync(inside, '', { mode: 0o644 });
        placed.push(f);
        return true;
      });
      const spec = generateSpec({
        rootfs,
        process: { args: input.args, env: input.env, cwd: input.cwd || '/', user, home: user.home },
        namespaces: { network: input.network === 'none' ? 'private' : 'host' },
        mounts: binds.map((f) => ({ type: 'bind' as const, source: f, destination: f, readonly: true })),
      });
      // Mount points the runtime must create (absent in the image) are removed again afterwards.
      const created = spec.mounts
        .map((m) => m.destination)
        .filter((d) => !exists(path.join(rootfs, d)))
        .sort((a, b) => b.length - a.length);
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
      const exitCode = await this.runContainer(key, bundle, input);
      await this.driver.unmount(rootfs);
      mounted = false;
      if (exitCode !== 0) return { exitCode, cleanup };
      const blob = await this.diff(key, created, placed);
      return { exitCode, blob, cleanup };
    } catch (err) {
      await cleanup();
      throw err instanceof BerthError ? err : BerthError.wrap(err, 'cannot run build step');
    }
  }

  private runContainer(id: string, bundle: string, input: RunStepInput): Promise<number> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.runtime.path, [...this.runtime.globalArgs(), 'run', '--bundle', bundle, id], {
        stdio: ['ignore', 'pipe', 'pipe'],
        signal: input.signal,
      });
      child.stdout.on('data', (d: Buffer) => input.stdout.write(d));
      child.stderr.on('data', (d: Buffer) => input.stderr.write(d));
      child.on('error', reject);
      child.on('close', (code, sig) => resolve(code ?? (sig ? 128 + 15 : 1)));
    });
  }

  private async diff(key: string, created: string[], placed: string[]): Promise<LayerBlob> {
    const source = await this.driver.diff(key);
    const changed = source.kind === 'overlay-upper' ? source.upper : source.changed;
    for (const f of placed) {
      const p = path.join(changed, f);
      if (isFile(p) && fs.statSync(p).size === 0) fs.rmSync(p);
    }
    for (const d of created) {
      // Only the empty mount point dirs the runtime made; anything the command wrote stays.
      let rel = d.replace(/^\/+/, '');
      while (rel !== '') {
        try {
          fs.rmdirSync(path.join(changed, rel));
        } catch {
          break;
        }
        rel = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
        if (rel !== '' && !created.includes(`/${rel}`)) break;
      }
    }
    if (source.kind === 'overlay-upper') return createLayerFromOverlayUpper(source.upper, source.lowers, BUILD_LAYER_PACK);
    const blob = diffDirectories(source.base, source.changed, BUILD_LAYER_PACK);
    blob.done.finally(() => source.release()).catch(() => {});
    return blob;
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function isRealDir(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.lstatSync(p).isFile();
  } catch {
    return false;
  }
}
