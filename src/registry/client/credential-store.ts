// Writes for `berth login` and `berth logout`: the containers auth.json entry for a registry
// (or host/namespace), replaced atomically with mode 0600 so no reader sees half a file.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '../../internal/atomic.js';
import { BerthError, invalidArgument } from '../../internal/errors.js';
import { type AuthFileContent, type CredentialOptions, normalizeAuthKey, primaryAuthFile, readAuthFile } from './credentials.js';

function checkKey(key: string): string {
  const k = normalizeAuthKey(key);
  if (k === '' || /\s/.test(k) || k.startsWith('/')) throw invalidArgument(`invalid registry "${key}": expected host[:port][/namespace]`);
  return k;
}

async function writeAuthFile(file: string, content: AuthFileContent): Promise<void> {
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw BerthError.wrap(err, `cannot write credentials to ${file}`);
  }
  await writeFileAtomic(file, `${JSON.stringify(content, null, '\t')}\n`, { mode: 0o600 });
}

/**
 * Stores user:password for `registry` (host[:port] or host/namespace) in the auth file that
 * logins write (see primaryAuthFile), keeping every other entry and field of the file.
 * Returns the file written.
 */
export async function saveCredentials(registry: string, username: string, password: string, options: CredentialOptions = {}): Promise<string> {
  const key = checkKey(registry);
  if (username.includes(':')) throw invalidArgument(`cannot log in to ${key}: a username cannot contain ":"`);
  const file = primaryAuthFile(options);
  const content = (await readAuthFile(file)) ?? {};
  const auths = { ...(content.auths ?? {}) };
  for (const k of Object.keys(auths)) if (k !== key && normalizeAuthKey(k) === key) delete auths[k];
  auths[key] = { auth: Buffer.from(`${username}:${password}`, 'utf8').toString('base64') };
  await writeAuthFile(file, { ...content, auths });
  return file;
}

/** Removes the entry for `registry` (every spelling of it); false when there was none. */
export async function removeCredentials(registry: string, options: CredentialOptions = {}): Promise<boolean> {
  const key = checkKey(registry);
  const file = primaryAuthFile(options);
  const content = await readAuthFile(file);
  if (!content?.auths) return false;
  const auths = { ...content.auths };
  let removed = false;
  for (const k of Object.keys(auths)) {
    if (normalizeAuthKey(k) === key) {
      delete auths[k];
      removed = true;
    }
  }
  if (removed) await writeAuthFile(file, { ...content, auths });
  return removed;
}

/** Removes every entry (`logout --all`). */
export async function removeAllCredentials(options: CredentialOptions = {}): Promise<void> {
  const file = primaryAuthFile(options);
  const content = await readAuthFile(file);
  if (!content) return;
  await writeAuthFile(file, { ...content, auths: {} });
}
