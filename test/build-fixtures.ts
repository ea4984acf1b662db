// Test fixtures for the builder: a busybox-static rootfs imported as a local image (no
// network), temp stores, and a runner for the berth CLI with its own roots.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Committer } from '../src/build/commit.js';
import { hostPlatform, type ImageConfig, OCI_LAYER_TAR_GZIP } from '../src/image/index.js';
import { createLayerFromDirectory } from '../src/layer/index.js';
import { type ImageRecord, openStore, type Store } from '../src/store/index.js';

export interface TestRoots {
  dir: string;
  root: string;
  runroot: string;
  cleanup(): void;
}

export function tempRoots(prefix = 'berth-build-'): TestRoots {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const root = path.join(dir, 'root');
  const runroot = path.join(dir, 'run');
  return {
    dir,
    root,
    runroot,
    cleanup() {
      // Views or RUN rootfs left mounted by a failed test would make rm fail: detach them first.
      const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m?.startsWith(dir));
      for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** A busybox-static rootfs: /bin/busybox with its applets as symlinks, /etc/passwd and /etc/group. */
export function busyboxRootfs(dir: string): string {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true, mode: 0o1777 });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.copyFileSync('/bin/busybox', path.join(dir, 'bin/busybox'));
  fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') fs.symlinkSync('busybox', path.join(dir, 'bin', a));
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\napp:x:1000:\n');
  for (const d of [dir, path.join(dir, 'bin'), path.join(dir, 'etc')]) fs.utimesSync(d, 1_600_000_000, 1_600_000_000);
  return dir;
}

/** Imports a directory as a one-layer image named `name` into the store. */
export async function importRootfs(
  store: Store,
  dir: string,
  name: string,
  config: ImageConfig['config'] = {},
  options: { exactConfig?: boolean } = {},
): Promise<ImageRecord> {
  return store.withLease(async (lease) => {
    const committer = new Committer(store, lease);
    const layer = await committer.commitBlob(createLayerFromDirectory(dir), undefined, { mediaType: OCI_LAYER_TAR_GZIP });
    const p = hostPlatform();
    const image: ImageConfig = {
      created: '2020-09-13T12:26:40Z',
      architecture: p.architecture,
      os: p.os,
      config: options.exactConfig ? config : { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], ...config },
      rootfs: { type: 'layers', diff_ids: [layer.diffID] },
      history: [{ created: '2020-09-13T12:26:40Z', created_by: 'berth test: busybox-static rootfs' }],
    };
    return committer.writeImage(image, [layer], [name]);
  });
}

export async function storeWithBusybox(roots: TestRoots): Promise<Store> {
  const store = await openStore({ root: roots.root, runroot: roots.runroot });
  const rootfs = busyboxRootfs(path.join(roots.dir, 'busybox-rootfs'));
  await importRootfs(store, rootfs, 'docker.io/library/busybox:latest');
  return store;
}

/** Runs bin/berth with the roots; returns its exit code and output. */
export function berth(roots: TestRoots, args: string[], options: { input?: string | Buffer; cwd?: string } = {}) {
  // The CLI of this very build output (dist/ in CI, .out/<name>/ when run by hand).
  const main = new URL('../src/cli/main.js', import.meta.url).href;
  const code = `import(${JSON.stringify(main)}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`;
  const r = spawnSync(process.execPath, ['-e', code, '--', '--root', roots.root, '--runroot', roots.runroot, ...args], {
    input: options.input,
    cwd: options.cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Writes files (path -> content) under dir. */
export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}
