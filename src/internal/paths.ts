// Where berth's own files are: the project root (for the native addon and package.json),
// found from this module's location so any build output directory works.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The directory holding berth's package.json. */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'native', 'binding.gyp'))) return (cached = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('berth: cannot find the project root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}
