// berth logout [SERVER]: remove stored credentials for a registry (or all with --all).
import { logout } from '../engine/images/index.js';
import { parseVerb, type VerbSpec } from './flags.js';

import type { CliContext } from './main.js';

export const SPEC: VerbSpec = {
  usage: 'berth logout [OPTIONS] [SERVER]',
  summary: 'Log out of a registry',
  maxArgs: 1,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove the credentials of every registry' },
    { name: 'authfile', type: 'string', value: 'FILE', description: 'Path of the authentication file' },
  ],
};

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  const all = flags.bool('all');
  const authFile = flags.string('authfile');
  // docker's: the same line, and no failure, whether or not credentials were stored.
  await logout(flags.args[0], { all, ...(authFile ? { authFile } : {}) });
  ctx.out(all ? 'Removed login credentials for all registries\n' : `Removing login credentials for ${flags.args[0] ?? 'docker.io'}\n`);
  return 0;
}
