// Benchmark: plain `runc run` of /bin/true on a prepared bundle vs berth's runtime path
// (spec generation + conmon create + start + exit file), medians over N runs.
// Run: node dist/bench/runtime-runc.js [N]   (as root; busybox-static at /bin/busybox)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRuntime, generateSpec, startContainer, waitForExit } from '../src/runtime/index.js';

const N = Number(process.argv[2] ?? 20);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-bench-rt-'));
  try {
    const rootfs = path.join(dir, 'rootfs');
    for (const d of ['bin', 'proc', 'sys', 'dev', 'etc']) await fs.mkdir(path.join(rootfs, d), { recursive: true });
    await fs.copyFile('/bin/busybox', path.join(rootfs, 'bin/busybox'));
    await fs.chmod(path.join(rootfs, 'bin/busybox'), 0o755);
    await fs.symlink('busybox', path.join(rootfs, 'bin/true'));
    const { runtime } = await findRuntime({ runRoot: path.join(dir, 'run'), candidates: ['runc'] });
    const input = (id: string) => ({ rootfs, readonlyRootfs: true, process: { args: ['/bin/true'] }, cgroupsPath: `/berth-bench/${id}` });

    // Plain runc: the bundle is ready beforehand, as a runc user would have it.
    const plainBundle = path.join(dir, 'plain');
    await fs.mkdir(plainBundle);
    await fs.writeFile(path.join(plainBundle, 'config.json'), JSON.stringify(generateSpec(input('plain'))));
    const plain: number[] = [];
    for (let i = 0; i < N; i++) {
      const id = `p${randomBytes(4).toString('hex')}`;
      const t0 = process.hrtime.bigint();
      const r = spawnSync(runtime.path, [`--root=${path.join(dir, 'plainroot')}`, 'run', '--bundle', plainBundle, id], { stdio: 'ignore' });
      plain.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 0) throw new Error(`runc run failed with ${r.status}`);
    }

    // berth: generate the spec, write the bundle, create under conmon, start, wait for the exit file.
    const berth: number[] = [];
    for (let i = 0; i < N; i++) {
      const id = `b${randomBytes(4).toString('hex')}`;
      const t0 = process.hrtime.bigint();
      const bundle = path.join(dir, 'bundles', id);
      await fs.mkdir(bundle, { recursive: true });
      await fs.writeFile(path.join(bundle, 'config.json'), JSON.stringify(generateSpec(input(id))));
      const stateDir = path.join(dir, 'state', id);
      await startContainer({ id, bundle, runtime, stateDir, socketDir: path.join(dir, 's') });
      const exit = await waitForExit(stateDir, id, { timeoutMs: 10000 });
      berth.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (exit.exitCode !== 0) throw new Error(`berth run exited ${exit.exitCode}`);
      await runtime.delete(id, { force: true });
    }

    const runcVersion = execFileSync(runtime.path, ['--version'], { encoding: 'utf8' }).split('\n')[0];
    console.log(`runtime bench (${runcVersion}, N=${N}, /bin/true, default seccomp and caps)`);
    console.log(`  plain runc run:                           median ${median(plain).toFixed(1)} ms`);
    console.log(`  berth spec + conmon create/start + exit:  median ${median(berth).toFixed(1)} ms`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

await main();
