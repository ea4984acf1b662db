// Shared by the runtime end-to-end tests: a busybox-static rootfs in a temp dir, runc found
// the way berth finds it, and a helper that runs one container under conmon to its exit.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type ExitRecord,
  findRuntime,
  generateSpec,
  type LogEntry,
  type MonitoredContainer,
  type OciRuntime,
  readLogs,
  type SpecInput,
  startContainer,
  waitForExit,
} from '../src/runtime/index.js';

export interface Fixture {
  dir: string;
  rootfs: string;
  runRoot: string;
  runtime: OciRuntime;
  skipped: { name: string; reason: string }[];
}

const PROBE_C = `
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static void report(const char *name, long r) { printf("%s=%s\\n", name, r < 0 ? strerror(errno) : "ok"); }
int main(void) {
  report("keyctl", syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, 0));
  report("personality_linux32", syscall(SYS_personality, 0xffffffffUL)); /* query: allowed */
  report("personality_norandom", syscall(SYS_personality, 0x0040000UL)); /* ADDR_NO_RANDOMIZE */
  report("clone3", syscall(SYS_clone3, 0, 0));
  return 0;
}
`;

/** A rootfs with busybox, its applets, users root/app/nobody, groups app and extra (app is a member). */
export async function makeFixture(): Promise<Fixture> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-rt-'));
  // A user-namespaced container's root (a high host uid) must be able to reach the rootfs.
  await fs.chmod(dir, 0o755);
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'home/app', 'root']) {
    await fs.mkdir(path.join(rootfs, d), { recursive: true });
  }
  await fs.copyFile('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  await fs.chmod(path.join(rootfs, 'bin/busybox'), 0o755);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') await fs.symlink('busybox', path.join(rootfs, 'bin', a));
  await fs.writeFile(
    path.join(rootfs, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  await fs.writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1000:\nextra:x:2000:app,other\nnogroup:x:65534:\n');
  await fs.chmod(path.join(rootfs, 'tmp'), 0o1777);
  const src = path.join(dir, 'probe.c');
  await fs.writeFile(src, PROBE_C);
  execFileSync('cc', ['-static', '-O1', '-o', path.join(rootfs, 'bin/sysprobe'), src]);
  const runRoot = path.join(dir, 'run');
  const choice = await findRuntime({ runRoot, candidates: ['runc'] });
  return { dir, rootfs, runRoot, runtime: choice.runtime, skipped: choice.skipped };
}

export interface RunResult {
  id: string;
  exit: ExitRecord;
  logs: LogEntry[];
  stdout: string;
  stderr: string;
  stateDir: string;
}

export function newId(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** Writes a bundle for `input` and starts it under conmon; the caller waits and deletes. */
export async function startIn(
  fx: Fixture,
  input: Omit<SpecInput, 'rootfs'> & { rootfs?: string },
  id = newId(),
): Promise<{ id: string; bundle: string; stateDir: string; started: MonitoredContainer }> {
  const bundle = path.join(fx.dir, 'bundles', id);
  const stateDir = path.join(fx.dir, 'state', id);
  await fs.mkdir(bundle, { recursive: true });
  const spec = generateSpec({ cgroupsPath: `/berth-test/${id}`, ...input, rootfs: input.rootfs ?? fx.rootfs });
  await fs.writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 1));
  const started = await startContainer({ id, bundle, runtime: fx.runtime, stateDir, socketDir: path.join(fx.dir, 's') });
  return { id, bundle, stateDir, started };
}

/** Runs a container to its exit and returns its exit record and log; always deletes it. */
export async function runToExit(fx: Fixture, input: Omit<SpecInput, 'rootfs'> & { rootfs?: string }): Promise<RunResult> {
  const { id, stateDir, started } = await startIn(fx, input);
  try {
    const exit = await waitForExit(stateDir, id, { timeoutMs: 30000 });
    const logs = await readLogs(started.logPath);
    const text = (s: string) =>
      logs
        .filter((l) => l.stream === s)
        .map((l) => l.text)
        .join('');
    return { id, exit, logs, stdout: text('stdout'), stderr: text('stderr'), stateDir };
  } finally {
    await fx.runtime.delete(id, { force: true }).catch(() => {});
  }
}

/** The value printed as "key=value" on a line of out. */
export function field(out: string, key: string): string | undefined {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(out);
  return m?.[1];
}
