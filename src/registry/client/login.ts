// `berth login`'s check: does the registry accept these credentials? Basic auth is tried on
// /v2/ itself; bearer auth asks the realm for a token, only if the realm is the registry's host.
import { unauthorized, unsupported } from '../../internal/errors.js';
import { realmMayReceiveCredentials } from './auth.js';
import { networkHost, RegistryClient, type RegistryClientOptions } from './client.js';
import type { Credentials } from './credentials.js';
import { discardBody } from './transport.js';

export interface LoginResult {
  /** How the registry authenticates: "none" means it needs no login at all. */
  scheme: 'none' | 'basic' | 'bearer';
}

/**
 * Verifies `credentials` against registry `host` (docker.io is reached at registry-1.docker.io)
 * without storing anything; throws 'unauthorized' when refused.
 */
export async function checkLogin(host: string, credentials: Credentials, options: RegistryClientOptions & { signal?: AbortSignal } = {}): Promise<LoginResult> {
  const client = new RegistryClient(networkHost(host), { ...options, credentials });
  const context = `cannot log in to ${host}`;
  try {
    const ping = await client.ping({ signal: options.signal });
    if (ping.scheme === 'none') return ping;
    if (ping.scheme === 'basic') {
      const res = await client.send({ method: 'GET', context, path: '/v2/', retry: false, signal: options.signal });
      await discardBody(res);
      if (res.status === 200) return ping;
      if (res.status === 401 || res.status === 403) throw unauthorized(`${context}: invalid username/password`);
      throw await client.failure(res, context, options.signal);
    }
    const challenge = client.auth.challenge!;
    const realm = new URL(challenge.params.realm);
    if (!realmMayReceiveCredentials(client.host, realm)) {
      throw unsupported(`${context}: its token service ${realm.host} is on another host, and berth sends credentials only to the registry's own host (log in to ${realm.host} as well to allow it)`);
    }
    try {
      await client.auth.fetchToken(challenge, [], credentials, options.signal);
    } catch (err) {
      if ((err as { kind?: string }).kind === 'unauthorized') throw unauthorized(`${context}: invalid username/password`, { cause: err });
      throw err;
    }
    return ping;
  } finally {
    client.close();
  }
}
