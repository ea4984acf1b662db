// What the image verbs share: opening the store from --root/--runroot, and the registry flags
// (--tls-verify, --authfile, --creds) turned into the engine's RemoteOptions.
import type { RemoteOptions } from '../engine/images/index.js';
import { parseCreds } from '../engine/images/index.js';
import { openStore, type Store } from '../store/index.js';
import type { FlagSpec, Flags } from './flags.js';
import type { CliContext } from './main.js';

export function openImageStore(ctx: CliContext): Promise<Store> {
  return openStore({ root: ctx.root, runroot: ctx.runroot });
}

export const REMOTE_FLAGS: FlagSpec[] = [
  { name: 'tls-verify', type: 'bool', description: 'Require HTTPS and verify certificates (default true; loopback registries may use HTTP)' },
  { name: 'authfile', type: 'string', value: 'FILE', description: 'Path of the authentication file' },
  { name: 'creds', type: 'string', value: 'USER:PASS', description: 'Credentials for the registry' },
];

export function remoteOptions(flags: Flags): RemoteOptions {
  const out: RemoteOptions = {};
  if (flags.has('tls-verify')) out.tlsVerify = flags.bool('tls-verify');
  const authFile = flags.string('authfile');
  if (authFile) out.authFile = authFile;
  const creds = flags.string('creds');
  if (creds) out.credentials = parseCreds(creds);
  return out;
}
