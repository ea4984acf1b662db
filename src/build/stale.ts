// Names for what a build makes in the graph driver and run root (snapshots, views, bundle
// and temp dirs) carry the builder's PID, so a later build removes what a killed one left.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GraphDriver } from '../graphdriver/index.js';
import { randomHex } from '../internal/random.js';
import { processAlive } from '../internal/process.js';

const PATTERN = /^build-(\d+)-[a-z]+-[0-9a-f]+$/;

/** "build-<pid>-<role>-<random>": a snapshot key and a directory name at once. */
export function buildKey(role: string): string {
  return `build-${process.pid}-${role}-${randomHex(6)}`;
}


/** Unmounts and removes the snapshots and dirs of builds whose process is gone. */
export async function removeStale(driver: GraphDriver, runroot: string): Promise<void> {
  const dir = path.join(runroot, 'build');
  const dead = (name: string) => {
    const m = PATTERN.exec(name);
    return m !== null && !processAlive(Number(m[1]));
  };
  const mounts = fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => m?.startsWith(`${dir}/`) === true);
  for (const m of mounts.sort().reverse()) {
    if (dead(path.relative(dir, m).split('/')[0])) await driver.unmount(m, { detach: true }).catch(() => {});
  }
  for (const s of await driver.list()) if (dead(s.key)) await driver.remove(s.key).catch(() => {});
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (dead(name)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}
