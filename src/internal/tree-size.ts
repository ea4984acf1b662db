// The bytes a directory tree holds, as docker's directory.Size counts them: what system df,
// ps -s and inspect -s report for a container's writable layer and for a volume.
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { BerthError } from './errors.js';

/**
 * The bytes (st_size) of the non-directory entries under `dir`, each inode once (hard links);
 * 0 for a dir that does not exist. Entries that vanish during the walk (a running container
 * writes) are skipped. A directory that cannot be read for another reason is an error, or
 * counts nothing with `skipUnreadable`.
 */
export function treeSize(dir: string, options: { skipUnreadable?: boolean } = {}): number {
  const seen = new Set<string>();
  let total = 0;
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (options.skipUnreadable || code === 'ENOENT' || code === 'ENOTDIR') return;
      throw BerthError.wrap(err, `cannot measure ${d}`);
    }
    for (const name of names) {
      const p = path.join(d, name);
      let st: Stats;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        walk(p);
        continue;
      }
      if (st.nlink > 1) {
        const id = `${st.dev}:${st.ino}`;
        if (seen.has(id)) continue;
        seen.add(id);
      }
      total += st.size;
    }
  };
  walk(dir);
  return total;
}
