// Shared by the engine's end-to-end tests: a temp graph root and run root holding a busybox
// image made here (no network), and the berth CLI of this build run as a child process.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeImage } from '../src/image/index.js';
import { createLayerFromDirectory } from '../src/layer/index.js';
import { openStore } from '../src/store/index.js';

/**
 * The CLI as bin/berth runs it: launch.cjs picks the verb's bundle (dist/cli/verbs/VERB.cjs) and
 * its code cache, so these tests exercise what users run, bundle rewrites included; conmon's exit
 * command re-runs the same file, so cleanup uses the build under test too.
 */
export const BERTH = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'launch.cjs');

export interface EngineFixture {
  dir: string;
  root: string;
  runroot: string;
  /** The 2-layer busybox image's name ("test/busybox:latest"): layer 1 busybox, layer 2 adds /hello. */
  image: string;
  /** Chain ID of the bottom layer, which no image tags. */
  baseLayer: string;
}

const PROBE_C = `
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  long r = syscall(SYS_keyctl, 1, 0);
  printf("keyctl=%s\\n", r < 0 ? strerror(errno) : "ok");
  return 0;
}
`;

async function busyboxTree(dir: string): Promise<void> {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'home/app', 'root', 'var']) await fs.mkdir(path.join(dir, d), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(dir, 'bin/busybox'));
  await fs.chmod(path.join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') await fs.symlink('busybox', path.join(dir, 'bin', a));
  await fs.writeFile(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await fs.writeFile(path.join(dir, 'etc/group'), 'root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n');
  await fs.chmod(path.join(dir, 'tmp'), 0o1777);
  await fs.chown(path.join(dir, 'home/app'), 1000, 1000);
  const src = path.join(path.dirname(dir), 'probe.c');
  await fs.writeFile(src, PROBE_C);
  execFileSync('cc', ['-static', '-O1', '-o', path.join(dir, 'bin/sysprobe'), src]);
}

export async function makeEngineFixture(): Promise<EngineFixture> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-e-'));
  const root = path.join(dir, 'root');
  const runroot = path.join(dir, 'run');
  const tree = path.join(dir, 'tree');
  const tree2 = path.join(dir, 'tree2');
  await busyboxTree(tree);
  await fs.mkdir(tree2);
  await fs.writeFile(path.join(tree2, 'hello'), 'hello from layer 2\n');
  const store = await openStore({ root, runroot });
  const written = await store.withLease((lease) =>
    writeImage(
      store.sink(lease, { repository: 'docker.io/test/busybox' }),
      [{ tar: () => createLayerFromDirectory(tree, { compression: 'none' }).stream }, { tar: () => createLayerFromDirectory(tree2, { compression: 'none' }).stream }],
      {
        tag: 'latest',
        created: '2024-01-01T00:00:00Z',
        config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'IMAGE_VAR=from-image'] } },
      },
    ),
  );
  await fs.rm(tree2, { recursive: true, force: true });
  return { dir, root, runroot, image: 'test/busybox', baseLayer: written.diffIDs[0] };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `berth --root R --runroot RR ...args` to its end. */
export function berth(fx: EngineFixture, args: string[], options: { input?: string; timeoutMs?: number; env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BERTH, '--root', fx.root, '--runroot', fx.runroot, ...args], {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`berth ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** berth that must succeed; its stdout, trimmed. */
export async function ok(fx: EngineFixture, args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await berth(fx, args, options);
  if (r.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Removes every container (runtime state, mounts, cgroups via rm -f) and the temp dirs. */
export async function cleanupFixture(fx: EngineFixture): Promise<void> {
  const ids = await fs.readdir(path.join(fx.root, 'containers')).catch(() => [] as string[]);
  for (const id of ids) await berth(fx, ['rm', '-f', id]).catch(() => {});
  // Anything rm could not undo: runtime state and mounts under the temp dirs.
  for (const rt of ['runc', 'crun']) {
    const state = path.join(fx.runroot, rt);
    for (const id of await fs.readdir(state).catch(() => [] as string[])) {
      if (/^[0-9a-f]{64}$/.test(id)) spawnSync(rt, [`--root=${state}`, 'delete', '--force', id], { stdio: 'ignore' });
    }
  }
  const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(fx.dir));
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  await fs.rm(fx.dir, { recursive: true, force: true });
}

/** Mount points under the fixture (what must be gone after rm). */
/**
 * runc and conmon processes of this fixture's containers still alive (their command lines name
 * its run root), but not an exit command's `container cleanup`.
 */
export function runtimeProcesses(fx: EngineFixture): string[] {
  const found: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let argv: string;
    try {
      argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (argv.includes(fx.runroot) && /\b(runc|conmon)\b/.test(argv) && !/\bcontainer cleanup\b/.test(argv)) found.push(`${p}: ${argv.slice(0, 200)}`);
  }
  return found;
}

export async function mountsUnder(fx: EngineFixture): Promise<string[]> {
  return (await fs.readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m?.startsWith(fx.dir) ?? false);
}

/**
 * Another image over the same busybox layer, with the given container config (hostile values
 * too: Volumes among them); `extraLayer`, a directory made into a second layer on top.
 */
export async function makeImage(fx: EngineFixture, name: string, config: Record<string, unknown>, extraLayer?: string): Promise<void> {
  const store = await openStore({ root: fx.root, runroot: fx.runroot });
  const slash = name.lastIndexOf(':');
  const layers = [{ tar: () => createLayerFromDirectory(path.join(fx.dir, 'tree'), { compression: 'none' }).stream }];
  if (extraLayer) layers.push({ tar: () => createLayerFromDirectory(extraLayer, { compression: 'none' }).stream });
  await store.withLease((lease) =>
    writeImage(store.sink(lease, { repository: `docker.io/${name.slice(0, slash)}` }), layers, {
      tag: name.slice(slash + 1),
      created: '2024-01-01T00:00:00Z',
      config: { architecture: 'amd64', os: 'linux', config },
    }),
  );
}
