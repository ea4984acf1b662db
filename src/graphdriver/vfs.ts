// The vfs driver, for hosts without overlay: each snapshot is a full copy of its merged
// parents, mounted by bind. Slow and large, but it works on any file system.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Digest } from '../digest/digest.js';
import { mergeTree, shiftOwners } from './copy.js';
import type { DiffSource, GraphDriver, IdMap, MountSpec, SnapshotInfo } from './driver.js';
import { type DriverOptions, refuseShifted, SnapshotDirs } from './snapshots.js';

export class VfsDriver extends SnapshotDirs implements GraphDriver {
  readonly name = 'vfs' as const;

  constructor(options: DriverOptions) {
    super(options);
  }

  protected async populate(dir: string, parents: Digest[], _readonly: boolean, signal?: AbortSignal, idMap?: IdMap): Promise<void> {
    const tree = path.join(dir, 'fs');
    await fs.mkdir(tree, { mode: 0o755 });
    for (const p of parents) await mergeTree(this.lowerPath(p), tree, { signal });
    if (idMap) await shiftOwners(tree, idMap, { signal });
  }

  protected async mountsOf(key: string, info: SnapshotInfo): Promise<MountSpec[]> {
    return [{ type: 'bind', source: path.join(this.dir(key), 'fs'), options: ['rbind', info.kind === 'active' ? 'rw' : 'ro'] }];
  }

  protected ownTree(key: string): string {
    return path.join(this.dir(key), 'fs');
  }

  /** docker's vfs driver shows no data either. */
  async data(): Promise<Record<string, string>> {
    return {};
  }

  /** The snapshot's tree against a fresh merge of its parents (removed by `release`). */
  async diff(key: string): Promise<DiffSource> {
    const info = await this.stat(key);
    refuseShifted(info, 'diff');
    const base = this.tempPath(`diff-${key}`);
    await fs.mkdir(base, { mode: 0o755 });
    try {
      for (const p of info.parents) await mergeTree(this.lowerPath(p), base);
    } catch (err) {
      await fs.rm(base, { recursive: true, force: true });
      throw err;
    }
    return {
      kind: 'directory',
      base,
      changed: path.join(this.dir(key), 'fs'),
      release: () => fs.rm(base, { recursive: true, force: true }),
    };
  }
}
