// What a registry says without pulling: search over its catalog, a repository's tags (with
// their manifest digests), and login/logout, which check then store credentials.
import type { Digest } from '../../digest/digest.js';
import { invalidArgument } from '../../internal/errors.js';
import { isLoopbackRegistry, isRegistryHost } from '../../reference/index.js';

/** docker's rule: a first component with a dot or a port, or "localhost", names a registry. */
function looksLikeHost(s: string): boolean {
  return isRegistryHost(s) && (s.includes('.') || s.includes(':') || s === 'localhost');
}
import { catalog, checkLogin, type Credentials, type LoginResult, listTags, removeAllCredentials, removeCredentials, saveCredentials } from '../../registry/client/index.js';
import { runLimited } from './pull.js';
import { clientPool, pullCandidates, type RemoteOptions, registriesFor } from './remote.js';

export interface SearchResult {
  /** "registry/repository". */
  name: string;
  registry: string;
  repository: string;
}

/**
 * `berth search [REGISTRY/]TERM`: repositories in the registry's catalog whose name contains
 * TERM. Without a registry, the unqualified-search registries are searched (docker.io if none).
 */
export async function searchImages(query: string, options: RemoteOptions & { limit?: number } = {}): Promise<SearchResult[]> {
  const slash = query.indexOf('/');
  const first = slash === -1 ? '' : query.slice(0, slash);
  let registries: string[];
  let term: string;
  if (first && looksLikeHost(first)) {
    registries = [first];
    term = query.slice(slash + 1);
  } else {
    const conf = await registriesFor(options);
    registries = conf.unqualifiedSearchRegistries.length > 0 ? [...conf.unqualifiedSearchRegistries] : ['docker.io'];
    term = query;
  }
  const pool = clientPool(options);
  const out: SearchResult[] = [];
  try {
    for (const registry of registries) {
      const client = pool.client(registry, options.tlsVerify === false || isLoopbackRegistry(registry));
      const names = await catalog(client, { signal: options.signal });
      for (const repository of names) {
        if (term === '' || repository.toLowerCase().includes(term.toLowerCase())) out.push({ name: `${registry}/${repository}`, registry, repository });
      }
    }
  } finally {
    pool.close();
  }
  return options.limit ? out.slice(0, options.limit) : out;
}

export interface RemoteTag {
  tag: string;
  digest?: Digest;
  mediaType?: string;
}

/** A remote repository's tags; with `digests`, each tag's manifest digest (HEAD, the registry's word). */
export async function remoteTags(input: string, options: RemoteOptions & { digests?: boolean } = {}): Promise<{ repository: string; tags: RemoteTag[] }> {
  const conf = await registriesFor(options);
  const candidate = pullCandidates(input, conf)[0];
  const endpoint = candidate.endpoints[candidate.endpoints.length - 1];
  const ref = endpoint.reference;
  const pool = clientPool(options);
  try {
    const repo = pool.client(ref.registry, endpoint.insecure || options.tlsVerify === false).repository(ref.repository, {
      displayName: `${candidate.reference.registry}/${candidate.reference.repository}`,
    });
    const tags: RemoteTag[] = (await listTags(repo, { signal: options.signal })).map((tag) => ({ tag }));
    if (options.digests) {
      await runLimited(tags.length, 4, async (i) => {
        const head = await repo.headManifest(tags[i].tag, { signal: options.signal });
        if (head?.digest) tags[i].digest = head.digest;
        if (head?.mediaType) tags[i].mediaType = head.mediaType;
      });
    }
    return { repository: repo.displayName, tags };
  } finally {
    pool.close();
  }
}

/** The auth-file key for what a user typed: "docker.io", "host:port" or "host/namespace". */
export function loginKey(server: string | undefined): string {
  if (!server) return 'docker.io';
  const s = server.replace(/^https?:\/\//, '').replace(/\/+$/, '').replace(/\/v[12]$/, '');
  const host = s.split('/')[0];
  if (!looksLikeHost(host)) throw invalidArgument(`cannot log in to "${server}": not a registry host`);
  return s === 'index.docker.io' || s === 'registry-1.docker.io' ? 'docker.io' : s;
}

/** Checks the credentials with the registry, then stores them; returns the file written. */
export async function login(server: string | undefined, credentials: Credentials, options: RemoteOptions = {}): Promise<{ file: string; result: LoginResult }> {
  const key = loginKey(server);
  const host = key.split('/')[0];
  const result = await checkLogin(host, credentials, {
    insecure: options.tlsVerify === false || isLoopbackRegistry(host),
    ...(options.env ? { env: options.env } : {}),
    signal: options.signal,
  });
  const file = await saveCredentials(key, credentials.username, credentials.password, { ...(options.authFile ? { authFile: options.authFile } : {}), ...(options.env ? { env: options.env } : {}) });
  return { file, result };
}

export async function logout(server: string | undefined, options: RemoteOptions & { all?: boolean } = {}): Promise<boolean> {
  const cred = { ...(options.authFile ? { authFile: options.authFile } : {}), ...(options.env ? { env: options.env } : {}) };
  if (options.all) {
    await removeAllCredentials(cred);
    return true;
  }
  return removeCredentials(loginKey(server), cred);
}

