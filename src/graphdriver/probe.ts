// Host facts the driver choice depends on: can overlay mount on this graph root (probed once
// with a real mount, cached in the run root), and what file system backs the graph root.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeJsonAtomic } from '../internal/atomic.js';
import { MNT_DETACH, mount, umount2 } from '../internal/sys.js';
import { randomHex } from '../internal/random.js';
import { processAlive } from '../internal/process.js';

export interface OverlayProbe {
  supported: boolean;
  /** The kernel takes index=off (kept off so one lower may sit under many uppers). */
  indexOff: boolean;
  /** The kernel takes volatile (Linux 5.10: no syncs of the upper dir's file system). */
  volatile?: boolean;
  reason?: string;
  kernel: string;
  root: string;
}

/** statfs f_type magic numbers -> the names docker prints as "Backing Filesystem". */
const FS_NAMES: Record<number, string> = {
  0xef53: 'extfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0x6969: 'nfs',
  0xf2f52010: 'f2fs',
  0x65735546: 'fuse',
  0x73717368: 'squashfs',
  0x858458f6: 'ramfs',
};

export async function backingFilesystem(dir: string): Promise<string> {
  const st = await fs.statfs(dir);
  return FS_NAMES[st.type] ?? `0x${st.type.toString(16)}`;
}

/** The cached probe for this root and kernel, or a fresh one (a real overlay mount in a temp dir). */
export async function probeOverlay(root: string, runroot: string): Promise<OverlayProbe> {
  const cache = path.join(runroot, 'graphdriver', 'overlay-probe.json');
  const kernel = os.release();
  try {
    const cached = JSON.parse(readFileSync(cache, 'utf8')) as OverlayProbe;
    // A cache from before the volatile probe is probed again, once.
    if (cached.kernel === kernel && cached.root === root && (!cached.supported || typeof cached.volatile === 'boolean')) return cached;
  } catch {
    // no cache yet
  }
  const result = await runProbe(root, kernel);
  await fs.mkdir(path.dirname(cache), { recursive: true });
  await writeJsonAtomic(cache, result, { durable: false });
  return result;
}

const PROBE_PREFIX = '.overlay-probe-';

async function runProbe(root: string, kernel: string): Promise<OverlayProbe> {
  await fs.mkdir(root, { recursive: true });
  sweepProbes(root);
  // The PID in the name tells the next probe whether this one's owner still runs.
  const dir = path.join(root, `${PROBE_PREFIX}${process.pid}-${randomHex(4)}`);
  const [l1, l2, upper, work, merged, upper2, work2] = ['l1', 'l2', 'u', 'w', 'm', 'u2', 'w2'].map((n) => path.join(dir, n));
  try {
    for (const d of [l1, l2, upper, work, merged, upper2, work2]) await fs.mkdir(d, { recursive: true });
    await fs.writeFile(path.join(l1, 'f'), 'x');
    const base = `lowerdir=${l2}:${l1},upperdir=${upper},workdir=${work}`;
    for (const [data, indexOff] of [
      [`${base},index=off`, true],
      [base, false],
    ] as const) {
      try {
        mount('overlay', merged, 'overlay', 0, data);
      } catch (err) {
        if (indexOff) continue;
        return { supported: false, indexOff: false, reason: (err as Error).message, kernel, root };
      }
      try {
        await fs.writeFile(path.join(merged, 'f'), 'y');
      } finally {
        umount2(merged, 0);
      }
      // volatile on fresh upper and work dirs (a volatile mount marks its work dir).
      let volatile = true;
      try {
        mount('overlay', merged, 'overlay', 0, `lowerdir=${l2}:${l1},upperdir=${upper2},workdir=${work2}${indexOff ? ',index=off' : ''},volatile`);
      } catch {
        volatile = false;
      }
      if (volatile) umount2(merged, 0);
      return { supported: true, indexOff, volatile, kernel, root };
    }
    return { supported: false, indexOff: false, reason: 'overlay mount failed', kernel, root };
  } catch (err) {
    return { supported: false, indexOff: false, reason: (err as Error).message, kernel, root };
  } finally {
    await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * Removes what probes killed half way left (kill -9 between their mount and unmount leaves the
 * test overlay mounted in the graph root). Such a kill also left no cache, so the next command
 * probes again and comes here. Dirs of a live prober are left alone.
 */
function sweepProbes(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(PROBE_PREFIX)) continue;
    const pid = Number(/^\.overlay-probe-(\d+)-/.exec(name)?.[1]);
    if (processAlive(pid)) continue;
    const dir = path.join(root, name);
    try {
      umount2(path.join(dir, 'm'), MNT_DETACH);
    } catch {}
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {}
  }
}

