// `berth version`: the client's version and the platform it runs on.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../internal/paths.js';
import type { CliContext } from './main.js';

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  if (argv.includes('--format') || argv.some((a) => a.startsWith('--format='))) {
    ctx.out(`${JSON.stringify({ Version: pkg.version, GoVersion: undefined, NodeVersion: process.version, Os: process.platform, Arch: process.arch })}\n`);
    return 0;
  }
  ctx.out(`berth version ${pkg.version}\nnode ${process.version} ${process.platform}/${process.arch}\n`);
  return 0;
}
