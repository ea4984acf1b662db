// Finds the OCI runtime to use: --runtime NAME|PATH, else the first of crun, runc that works
// here. "Works" is probed once (a throwaway container) and cached, since crun 1.8 refuses hybrid cgroups.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeJsonAtomic } from '../internal/atomic.js';
import { failedPrecondition, notFound } from '../internal/errors.js';
import { detectCgroups } from './cgroups.js';
import { errorsFromLog } from './errors.js';
import { OciRuntime } from './oci-runtime.js';
import { generateSpec } from './spec/generate.js';
import { randomHex } from '../internal/random.js';

export const DEFAULT_RUNTIMES = ['crun', 'runc'];
const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export interface RuntimeSkip {
  name: string;
  path?: string;
  reason: string;
}

export interface RuntimeChoice {
  runtime: OciRuntime;
  version: string;
  /** Runtimes tried before and why they were passed over ("crun: cgroups in hybrid mode not supported"). */
  skipped: RuntimeSkip[];
}

export interface FindRuntimeOptions {
  /** berth's run root (/run/berth): state dirs go to <runRoot>/<name>, the probe cache beside them. */
  runRoot: string;
  /** `--runtime NAME|PATH`: only this one, and its failure is an error. */
  runtime?: string;
  /** Names tried in order when no runtime is named. */
  candidates?: string[];
}

/** The executable for a name (PATH, then the usual sbin dirs) or a path; undefined when absent. */
export function lookupBinary(nameOrPath: string): string | undefined {
  const isExec = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (nameOrPath.includes('/')) return isExec(nameOrPath) ? path.resolve(nameOrPath) : undefined;
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_DIRS];
  for (const d of dirs) {
    const p = path.join(d, nameOrPath);
    if (isExec(p)) return p;
  }
  return undefined;
}

interface ProbeCache {
  [key: string]: { ok: boolean; reason?: string };
}

/**
 * Whether this runtime can start a container here: runs a container whose command does not
 * exist; "not found" means namespaces and cgroups were set up, anything else is the reason.
 */
export async function probeRuntime(binary: string, workDir: string): Promise<{ ok: boolean; reason?: string }> {
  const dir = path.join(workDir, `.probe-${randomHex(6)}`);
  const id = `berth-probe-${randomHex(6)}`;
  const root = path.join(dir, 'state');
  const logFile = path.join(dir, 'log.json');
  await fs.mkdir(path.join(dir, 'rootfs'), { recursive: true });
  try {
    const spec = generateSpec({
      rootfs: 'rootfs',
      readonlyRootfs: true,
      process: { args: ['/.berth-probe-nonexistent'] },
      seccomp: 'unconfined',
      cgroupsPath: `/berth/${id}`,
      namespaces: { network: 'host' },
    });
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(spec));
    await new Promise<void>((resolve) => {
      const child = spawn(binary, [`--root=${root}`, '--log-format=json', `--log=${logFile}`, 'run', '--bundle', dir, id], {
        stdio: 'ignore',
      });
      child.on('error', () => resolve());
      child.on('close', () => resolve());
    });
    const log = errorsFromLog(await fs.readFile(logFile, 'utf8').catch(() => ''));
    await new Promise<void>((resolve) => {
      const child = spawn(binary, [`--root=${root}`, 'delete', '--force', id], { stdio: 'ignore' });
      child.on('error', () => resolve());
      child.on('close', () => resolve());
    });
    const text = log.join('; ');
    if (/berth-probe-nonexistent/.test(text) && /no such file|not found/i.test(text)) return { ok: true };
    return { ok: false, reason: log[log.length - 1] ?? 'the probe container failed without a message' };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function cachedProbe(binary: string, runRoot: string): Promise<{ ok: boolean; reason?: string }> {
  const st = await fs.stat(binary);
  const layout = detectCgroups();
  const key = `${binary}:${st.size}:${st.mtimeMs}:${layout.mode}`;
  const cacheFile = path.join(runRoot, 'runtime-probe.json');
  let cache: ProbeCache = {};
  try {
    cache = JSON.parse(await fs.readFile(cacheFile, 'utf8')) as ProbeCache;
  } catch {
    cache = {};
  }
  if (cache[key]) return cache[key];
  await fs.mkdir(runRoot, { recursive: true, mode: 0o700 });
  const result = await probeRuntime(binary, runRoot);
  cache[key] = result;
  await writeJsonAtomic(cacheFile, cache, { durable: false }).catch(() => {});
  return result;
}

export async function findRuntime(options: FindRuntimeOptions): Promise<RuntimeChoice> {
  const names = options.runtime ? [options.runtime] : (options.candidates ?? DEFAULT_RUNTIMES);
  const skipped: RuntimeSkip[] = [];
  for (const name of names) {
    const binary = lookupBinary(name);
    if (!binary) {
      skipped.push({ name, reason: 'not installed (not in PATH)' });
      continue;
    }
    const probe = await cachedProbe(binary, options.runRoot);
    if (!probe.ok) {
      skipped.push({ name, path: binary, reason: probe.reason ?? 'does not work on this host' });
      continue;
    }
    const runtimeName = path.basename(binary);
    const runtime = new OciRuntime(binary, { root: path.join(options.runRoot, runtimeName), name: runtimeName });
    return { runtime, version: await runtime.version(), skipped };
  }
  const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  if (options.runtime && skipped[0]?.reason.startsWith('not installed')) {
    throw notFound(`cannot use OCI runtime ${options.runtime}: ${why}`);
  }
  throw failedPrecondition(`cannot find a working OCI runtime: ${why}`, { detail: { skipped } });
}
