// Where berth's own files are: the project root (for the native addon and package.json),
// found from this module's location so any build output directory works. import.meta.dirname,
// not a file: URL: converting one loads Node's URL machinery (~0.4 ms of every command that
// loads the addon).
import { existsSync } from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/** The directory holding berth's package.json. */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = import.meta.dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'native', 'binding.gyp'))) return (cached = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`berth: cannot find the project root above ${import.meta.dirname}`);
    dir = up;
  }
}
