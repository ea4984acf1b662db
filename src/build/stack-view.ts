// Read-only looks into a stage's filesystem without mounting it: a path's metadata from the
// top-most unpacked layer that has it (overlay-lower form: a 0/0 char device is a whiteout).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Digest } from '../digest/digest.js';
import type { Store } from '../store/index.js';

const MAX_LINKS = 40;

export class StackView {
  private readonly dirs: string[];

  /** `chains`: the stage's layer chain IDs, bottom first. */
  constructor(store: Store, chains: Digest[]) {
    this.dirs = chains.map((c) => store.layers.diffPath(c)).reverse();
  }

  /** lstat of an absolute path in the image; undefined when absent or whited out. */
  lstat(abs: string): { st: fs.Stats; host: string } | undefined {
    const rel = abs.replace(/^\/+/, '');
    if (rel === '') return this.dirs.length ? { st: fs.lstatSync(this.dirs[0]), host: this.dirs[0] } : undefined;
    for (const d of this.dirs) {
      const host = path.join(d, rel);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(host);
      } catch {
        continue;
      }
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      return { st, host };
    }
    return undefined;
  }

  /** The path with symlinks in every component resolved inside the image (so "/" never leaves it). */
  resolve(abs: string): string {
    const pending = abs.split('/').filter((c) => c && c !== '.');
    const done: string[] = [];
    let links = 0;
    while (pending.length) {
      const c = pending.shift()!;
      if (c === '..') {
        done.pop();
        continue;
      }
      const found = this.lstat(`/${[...done, c].join('/')}`);
      if (found?.st.isSymbolicLink() && links++ < MAX_LINKS) {
        const target = fs.readlinkSync(found.host);
        if (target.startsWith('/')) done.length = 0;
        pending.unshift(...target.split('/').filter((x) => x && x !== '.'));
        continue;
      }
      done.push(c);
    }
    return `/${done.join('/')}`;
  }

  stat(abs: string): fs.Stats | undefined {
    return this.lstat(this.resolve(abs))?.st;
  }

  isDir(abs: string): boolean {
    return this.stat(abs)?.isDirectory() ?? false;
  }

  /** A file's content, when it is a regular file (for /etc/passwd and /etc/group). */
  read(abs: string): Buffer | undefined {
    const found = this.lstat(this.resolve(abs));
    return found?.st.isFile() ? fs.readFileSync(found.host) : undefined;
  }
}
