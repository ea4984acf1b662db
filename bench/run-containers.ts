// Benchmark: `run --rm IMAGE /bin/true` and `run -d` + `rm -f` side by side for berth, podman
// (runc, cgroupfs), docker (dockerd 20.10) and plain `runc run` on a prepared bundle; medians by
// hyperfine. Beside the pair, its floor for any Node CLI on runc: runc's create, start and
// delete on the same bundle (and run --detach and delete, as berth calls runc), and two starts
// of an empty Node script.
// Run: node dist/bench/run-containers.js [RUNS]   (as root; each peer gets its own temp roots)
// BENCH_ROUNDS rounds (default 3), each a hyperfine of every command with RUNS runs, the
// commands' order rotated from round to round: this host's speed drifts within minutes, and a
// command always timed right after another would carry that drift into the ratios. Reported:
// the median of each command's round medians, and the ratios of those.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectRoot } from '../src/internal/paths.js';

const RUNS = Number(process.argv[2] ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// The CLI as users start it: bin/berth (the launcher, which keeps NODE_EXTRA_CA_CERTS out of
// node's start-up) running this build's dist/.
const BERTH_BIN = path.join(projectRoot(), 'bin', 'berth');

interface Row {
  name: string;
  command: string;
  /** The median of the round medians. */
  median?: number;
  /** Each round's median, in round order. */
  rounds?: number[];
  note?: string;
}

function sh(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout ?? '';
}

/** hyperfine's median (ms) of each command, run one after another without a shell. */
async function hyperfineOnce(dir: string, live: Row[]): Promise<number[]> {
  const out = path.join(dir, `hf-${Date.now()}.json`);
  const args = ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', out, ...live.map((r) => r.command)];
  const r = spawnSync('hyperfine', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`hyperfine failed: ${r.stderr}`);
  const json = JSON.parse(await fs.readFile(out, 'utf8')) as { results: { median: number }[] };
  return json.results.map((res) => res.median * 1000);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** ROUNDS hyperfine runs of the rows, the order rotated each round; each row's median of its round medians. */
async function hyperfine(dir: string, rows: Row[]): Promise<void> {
  const live = rows.filter((r) => !r.note);
  if (!live.length) return;
  const perRow = live.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    const order = live.map((_, i) => (i + round) % live.length);
    const medians = await hyperfineOnce(
      dir,
      order.map((i) => live[i]),
    );
    order.forEach((i, k) => {
      perRow[i].push(medians[k]);
    });
  }
  live.forEach((row, i) => {
    row.rounds = perRow[i];
    row.median = median(perRow[i]);
  });
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-bench-run-'));
  let dockerd: ReturnType<typeof spawn> | undefined;
  try {
    // One rootfs tarball for every engine: busybox-static with its applets.
    const rootfs = path.join(dir, 'rootfs');
    for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) await fs.mkdir(path.join(rootfs, d), { recursive: true });
    await fs.copyFile('/bin/busybox', path.join(rootfs, 'bin/busybox'));
    await fs.chmod(path.join(rootfs, 'bin/busybox'), 0o755);
    for (const a of ['sh', 'true', 'sleep', 'echo']) await fs.symlink('busybox', path.join(rootfs, 'bin', a));
    await fs.writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    const tarball = path.join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', rootfs, '-cf', tarball, '.']);

    const b = ['--root', path.join(dir, 'berth/root'), '--runroot', path.join(dir, 'berth/run')];
    const berth = (args: string[]) => sh(BERTH_BIN, [...b, ...args]);
    berth(['import', tarball, 'bench/busybox:latest']);
    berth(['run', '--rm', 'bench/busybox', '/bin/true']);
    const berthCmd = `${BERTH_BIN} ${b.join(' ')}`;

    const p = ['--root', path.join(dir, 'podman/root'), '--runroot', path.join(dir, 'podman/run'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--storage-driver', 'overlay'];
    let podmanNote: string | undefined;
    try {
      sh('podman', [...p, 'import', tarball, 'localhost/bench/busybox:latest']);
      sh('podman', [...p, 'run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', 'localhost/bench/busybox', '/bin/true']);
    } catch (err) {
      podmanNote = `podman failed: ${(err as Error).message.split('\n')[0]}`;
    }
    const podmanCmd = `podman ${p.join(' ')}`;

    let dockerNote: string | undefined;
    const sock = path.join(dir, 'docker.sock');
    const dockerCmd = `/usr/bin/docker -H unix://${sock}`;
    if (existsSync('/usr/sbin/dockerd')) {
      dockerd = spawn('/usr/sbin/dockerd', ['--data-root', path.join(dir, 'docker/data'), '--exec-root', path.join(dir, 'docker/exec'), '--pidfile', path.join(dir, 'docker/pid'), '-H', `unix://${sock}`, '--iptables=false', '--bridge=none', '--ip-masq=false'], { stdio: 'ignore' });
      const end = Date.now() + 30_000;
      while (Date.now() < end && spawnSync('/usr/bin/docker', ['-H', `unix://${sock}`, 'version'], { stdio: 'ignore' }).status !== 0) await new Promise((r) => setTimeout(r, 200));
      try {
        sh('/usr/bin/docker', ['-H', `unix://${sock}`, 'import', tarball, 'bench/busybox:latest']);
        sh('/usr/bin/docker', ['-H', `unix://${sock}`, 'run', '--rm', '--network', 'none', 'bench/busybox', '/bin/true']);
      } catch (err) {
        dockerNote = `docker failed: ${(err as Error).message.split('\n')[0]}`;
      }
    } else dockerNote = 'dockerd not installed';

    // Plain runc on a prepared bundle, twice: with the config.json berth wrote for a real
    // container of this image (the fair baseline: the same seccomp profile, mounts, cgroups),
    // and with runc's own default spec (no seccomp: what the runtime alone costs).
    const ctr = berth(['create', 'bench/busybox', '/bin/true']).trim();
    berth(['start', ctr]);
    const berthSpec = JSON.parse(await fs.readFile(path.join(dir, 'berth/root/containers', ctr, 'bundle/config.json'), 'utf8')) as {
      process: { args: string[] };
      root: { path: string };
      mounts: { type: string; source: string }[];
      linux: { cgroupsPath?: string };
    };
    berth(['rm', '-f', ctr]);
    const bundles = { berth: path.join(dir, 'runc-bundle-berth'), runc: path.join(dir, 'runc-bundle-default') };
    for (const b of Object.values(bundles)) {
      await fs.mkdir(b);
      await fs.cp(rootfs, path.join(b, 'rootfs'), { recursive: true, verbatimSymlinks: true });
    }
    for (const m of berthSpec.mounts.filter((m) => m.type === 'bind')) {
      const copy = path.join(bundles.berth, path.basename(m.source));
      await fs.writeFile(copy, '');
      m.source = copy;
    }
    berthSpec.root.path = 'rootfs';
    berthSpec.linux.cgroupsPath = '/berth-bench/plain';
    await fs.writeFile(path.join(bundles.berth, 'config.json'), JSON.stringify(berthSpec));
    sh('runc', ['spec', '--bundle', bundles.runc]);
    const runcSpec = JSON.parse(await fs.readFile(path.join(bundles.runc, 'config.json'), 'utf8')) as { process: { args: string[]; terminal: boolean } };
    runcSpec.process.args = ['/bin/true'];
    runcSpec.process.terminal = false;
    await fs.writeFile(path.join(bundles.runc, 'config.json'), JSON.stringify(runcSpec));
    const runcCmd = (b: string) => `runc --root ${path.join(dir, 'runc-state')} run --bundle ${b} bench-plain`;

    const runRm: Row[] = [
      { name: 'plain runc run (berth\'s spec)', command: runcCmd(bundles.berth) },
      { name: 'plain runc run (runc\'s default spec)', command: runcCmd(bundles.runc) },
      { name: 'berth run --rm', command: `${berthCmd} run --rm bench/busybox /bin/true` },
      { name: 'podman run --rm', command: `${podmanCmd} run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 localhost/bench/busybox /bin/true`, ...(podmanNote ? { note: podmanNote } : {}) },
      { name: 'docker run --rm', command: `${dockerCmd} run --rm --network none bench/busybox /bin/true`, ...(dockerNote ? { note: dockerNote } : {}) },
    ];
    await hyperfine(dir, runRm);

    // run -d then rm -f, as one shell line per engine (the shell's own cost is the same for all).
    // podman's rm -f first waits out a 10 s stop timeout; --time 0 makes it kill at once, as docker and berth do.
    const pair = (cli: string, extra: string, rm = 'rm -f') => `sh -c 'id=$(${cli} run -d ${extra} sleep 1000) && ${cli} ${rm} $id >/dev/null'`;
    // The floor under any engine's pair that runs runc (no monitor, no image, no records): the
    // runtime's create, start and, once the init is dead (a zombie counts), delete, on the
    // prepared bundle; and what a Node CLI pays twice before and after any work of its own.
    const state = path.join(dir, 'runc-state');
    await fs.writeFile(path.join(dir, 'runc-cycle.sh'), [
      'set -e',
      `runc --root ${state} create --bundle ${bundles.berth} --pid-file ${dir}/cycle.pid bench-cycle </dev/null >/dev/null`,
      `runc --root ${state} start bench-cycle`,
      `p=$(cat ${dir}/cycle.pid); kill -9 $p`,
      'while [ -e /proc/$p ] && ! grep -q "^[0-9]* (.*) [ZX]" /proc/$p/stat 2>/dev/null; do :; done',
      `runc --root ${state} delete --force bench-cycle`,
      '',
    ].join('\n'));
    // The same with one runtime process for create and start, as berth's run -d calls runc
    // (native/monitor/run-detached.c): the floor under berth's own pair.
    await fs.writeFile(path.join(dir, 'runc-run-detached.sh'), [
      'set -e',
      `runc --root ${state} run --detach --bundle ${bundles.berth} --pid-file ${dir}/cycle2.pid bench-cycle2 </dev/null >/dev/null 2>&1`,
      `p=$(cat ${dir}/cycle2.pid); kill -9 $p`,
      'while [ -e /proc/$p ] && ! grep -q "^[0-9]* (.*) [ZX]" /proc/$p/stat 2>/dev/null; do :; done',
      `runc --root ${state} delete --force bench-cycle2`,
      '',
    ].join('\n'));
    berthSpec.process.args = ['sleep', '1000'];
    await fs.writeFile(path.join(bundles.berth, 'config.json'), JSON.stringify(berthSpec));
    const detached: Row[] = [
      { name: 'plain runc create + start + delete', command: `sh ${path.join(dir, 'runc-cycle.sh')}` },
      { name: 'plain runc run --detach + delete', command: `sh ${path.join(dir, 'runc-run-detached.sh')}` },
      { name: 'node start and exit (empty script)', command: `env -u NODE_EXTRA_CA_CERTS ${process.execPath} -e 0` },
      { name: 'berth run -d + rm -f', command: pair(berthCmd, 'bench/busybox') },
      { name: 'podman run -d + rm -f', command: pair(`${podmanCmd}`, '--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 localhost/bench/busybox', 'rm -f --time 0'), ...(podmanNote ? { note: podmanNote } : {}) },
      { name: 'docker run -d + rm -f', command: pair(dockerCmd, '--network none bench/busybox'), ...(dockerNote ? { note: dockerNote } : {}) },
    ];
    await hyperfine(dir, detached);

    const runc = sh('runc', ['--version']).split('\n')[0];
    console.log(`container run bench (${runc}; ${ROUNDS} rounds of hyperfine -N, ${RUNS} runs each after 3 warm-ups; median of the round medians, then each round's)`);
    for (const r of [...runRm, ...detached]) {
      const rounds = r.rounds ? `  (${r.rounds.map((m) => m.toFixed(1)).join(', ')})` : '';
      console.log(`  ${r.name.padEnd(40)} ${r.median !== undefined ? `${r.median.toFixed(1)} ms${rounds}` : r.note}`);
    }
    const get = (n: string) => [...runRm, ...detached].find((r) => r.name === n)?.median;
    const [berthRm, podmanRm, runcRm] = [get('berth run --rm'), get('podman run --rm'), get("plain runc run (berth's spec)")];
    const [berthD, podmanD] = [get('berth run -d + rm -f'), get('podman run -d + rm -f')];
    const perRound = (a: string, b: string) => {
      const [x, y] = [[...runRm, ...detached].find((r) => r.name === a)?.rounds, [...runRm, ...detached].find((r) => r.name === b)?.rounds];
      return x && y ? ` (rounds: ${x.map((v, i) => (v / y[i]).toFixed(2)).join(', ')})` : '';
    };
    if (berthRm && podmanRm) console.log(`  berth/podman (run --rm): ${(berthRm / podmanRm).toFixed(2)}${perRound('berth run --rm', 'podman run --rm')} (aim < 0.5)`);
    if (berthD && podmanD) console.log(`  berth/podman (run -d + rm -f): ${(berthD / podmanD).toFixed(2)}${perRound('berth run -d + rm -f', 'podman run -d + rm -f')} (aim < 0.5)`);
    if (berthRm && runcRm) console.log(`  berth - plain runc with berth's spec (run --rm): ${(berthRm - runcRm).toFixed(1)} ms (aim < 60 ms)`);
    const [cycle, runDetached, nodeStart] = [get('plain runc create + start + delete'), get('plain runc run --detach + delete'), get('node start and exit (empty script)')];
    if (runcRm && nodeStart && berthRm && podmanRm) {
      // A Node CLI that ran runc and did nothing else: Node's start and runc's own run.
      const floor = runcRm + nodeStart;
      console.log(`  floor of run --rm for a Node CLI on runc (runc run + 1 node start): ${floor.toFixed(1)} ms = ${(floor / podmanRm).toFixed(2)} of podman's; berth is ${(berthRm - floor).toFixed(1)} ms above it`);
    }
    if (cycle && nodeStart && berthD && podmanD) {
      const floor = cycle + 2 * nodeStart;
      console.log(`  floor of run -d + rm -f for a Node CLI on runc (runc's cycle + 2 node starts): ${floor.toFixed(1)} ms = ${(floor / podmanD).toFixed(2)} of podman's; berth is ${(berthD - floor).toFixed(1)} ms above it`);
    }
    if (runDetached && nodeStart && berthD && podmanD) {
      const floor = runDetached + 2 * nodeStart;
      console.log(`  the same with runc's run --detach (how berth calls it): ${floor.toFixed(1)} ms = ${(floor / podmanD).toFixed(2)} of podman's; berth is ${(berthD - floor).toFixed(1)} ms above it`);
    }
    console.log(`  commands:\n${[...runRm, ...detached].map((r) => `    ${r.command}`).join('\n')}`);
  } finally {
    if (dockerd?.pid) {
      dockerd.kill('SIGTERM');
      await new Promise((r) => dockerd?.on('close', r));
    }
    spawnSync('podman', ['--root', path.join(dir, 'podman/root'), '--runroot', path.join(dir, 'podman/run'), '--storage-driver', 'overlay', 'rm', '-af'], { stdio: 'ignore' });
    spawnSync('podman', ['--root', path.join(dir, 'podman/root'), '--runroot', path.join(dir, 'podman/run'), '--storage-driver', 'overlay', 'system', 'reset', '-f'], { stdio: 'ignore' });
    const mounts = (await fs.readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(dir));
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

await main();
