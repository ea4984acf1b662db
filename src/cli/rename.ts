// berth rename: give a container a new (unique) name.
import { renameContainer } from '../engine/lifecycle.js';
import { invalidArgument } from '../internal/errors.js';
import { parseVerb, type VerbSpec } from './flags.js';
import { containerHost } from './container-common.js';
import { reportError } from './cli.js';
import type { CliContext } from './main.js';

const SPEC: VerbSpec = { usage: 'berth rename CONTAINER NEW_NAME', summary: 'Rename a container', minArgs: 2, maxArgs: 2, flags: [] };

export async function run(argv: string[], ctx: CliContext): Promise<number> {
  const flags = parseVerb(SPEC, argv, ctx);
  if (!flags) return 0;
  // docker's CLI check, before anything is looked up.
  if (flags.args[0].trim() === '' || flags.args[1].trim() === '') throw invalidArgument('Neither old nor new names may be empty');
  try {
    await renameContainer(containerHost(ctx), flags.args[0], flags.args[1]);
  } catch (err) {
    // docker's CLI says the daemon's error, then its own line.
    reportError(err, ctx);
    throw invalidArgument(`failed to rename container named ${flags.args[0]}`);
  }
  return 0;
}
