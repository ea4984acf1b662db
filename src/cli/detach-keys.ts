// --detach-keys, shared by attach, start and run: a module of its own so that run, which
// attaches only for an interactive terminal, loads the attach session only then.
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../runtime/attach.js';
import type { FlagSpec, Flags } from './flags.js';

/** What docker's attach and exec -it say on stderr after a detach (and exit 1); its run -it says nothing. */
export const DETACHED = 'read escape sequence';

export const DETACH_KEYS_FLAG: FlagSpec = { name: 'detach-keys', type: 'string', value: 'KEYS', description: `Override the key sequence for detaching a container (default ${DEFAULT_DETACH_KEYS})` };

/** The --detach-keys the verb was given (docker's default without): parsed once, before any work. */
export function detachKeysOf(flags: Flags): Buffer {
  return parseDetachKeys(flags.string('detach-keys') ?? DEFAULT_DETACH_KEYS);
}
