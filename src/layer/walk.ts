// Depth-first walks of a directory tree in sorted order, parents before children: the one
// order every layer berth writes uses, so the same tree always gives the same tar.
import type { BigIntStats } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { aborted } from '../internal/errors.js';
import { sortNames } from './headers.js';

export interface WalkedFile {
  /** Path relative to the root, "/"-separated, never "" (the root itself is not walked). */
  rel: string;
  /** Path on disk. */
  full: string;
  st: BigIntStats;
}

/**
 * Yields every file under `root`. `descend` may veto walking into a directory (its entry is
 * still yielded first). Synchronous fs calls: one small syscall each, cheaper than promises.
 */
export function* walkTree(
  root: string,
  signal?: AbortSignal,
  descend: (file: WalkedFile) => boolean = () => true,
): Generator<WalkedFile> {
  const stack: { dir: string; rel: string; names: string[]; next: number }[] = [];
  stack.push({ dir: root, rel: '', names: sortNames(fs.readdirSync(root)), next: 0 });
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next >= top.names.length) {
      stack.pop();
      continue;
    }
    if (signal?.aborted) throw aborted(`cannot walk ${root}: aborted`);
    const name = top.names[top.next++];
    const full = path.join(top.dir, name);
    const rel = top.rel === '' ? name : `${top.rel}/${name}`;
    const st = fs.lstatSync(full, { bigint: true });
    const file = { rel, full, st };
    yield file;
    if (st.isDirectory() && descend(file)) {
      stack.push({ dir: full, rel, names: sortNames(fs.readdirSync(full)), next: 0 });
    }
  }
}
