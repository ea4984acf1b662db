// Pulling a manifest from ordered candidates (mirrors first, then the primary location, as
// src/reference's resolver orders them); when all fail, one error lists every attempt and why.
import { BerthError, isBerthError } from '../../internal/errors.js';
import { fullString, type PullCandidate, type PullEndpoint } from '../../reference/index.js';
import { networkHost, RegistryClient, type RegistryClientOptions } from './client.js';
import type { FetchedManifest, GetManifestOptions } from './manifests.js';
import type { Repository } from './repository.js';
import { Transport } from './transport.js';

/** One RegistryClient per host, sharing one connection pool (and token caches), for a whole pull. */
export class ClientPool {
  private readonly clients = new Map<string, RegistryClient>();
  readonly transport: Transport;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.transport = options.transport ?? new Transport(options);
  }

  /** The client for a registry name (docker.io is reached at registry-1.docker.io). */
  client(registry: string, insecure?: boolean): RegistryClient {
    const host = networkHost(registry);
    const key = `${host}|${insecure}`;
    let c = this.clients.get(key);
    if (!c) {
      c = new RegistryClient(host, { ...this.options, insecure, transport: this.transport });
      this.clients.set(key, c);
    }
    return c;
  }

  close(): void {
    this.transport.close();
  }
}

export interface CandidatePull {
  manifest: FetchedManifest;
  candidate: PullCandidate;
  /** The endpoint that answered (a mirror or the primary location). */
  endpoint: PullEndpoint;
  /** Where the manifest came from: pull the blobs from the same place. */
  repository: Repository;
}

/** A repository handle on an endpoint, named in messages as the reference there. */
export function endpointRepository(pool: ClientPool, endpoint: PullEndpoint): Repository {
  const ref = endpoint.reference;
  return pool.client(ref.registry, endpoint.insecure).repository(ref.repository, { displayName: `${ref.registry}/${ref.repository}` });
}

/**
 * Tries every endpoint of every candidate in order (each candidate's mirrors, then its
 * primary location); the first manifest that arrives verified wins. Cancellation stops at
 * once; any other failure (a mirror down, lacking the image, or serving corrupt bytes) moves
 * on. When all fail, one error lists each attempt and why; its kind is that of the last
 * primary location's failure.
 */
export async function pullManifestFromCandidates(
  candidates: readonly PullCandidate[],
  pool: ClientPool,
  options: GetManifestOptions & { displayName?: string } = {},
): Promise<CandidatePull> {
  const failures: { endpoint: PullEndpoint; error: BerthError }[] = [];
  for (const candidate of candidates) {
    for (const endpoint of candidate.endpoints) {
      const ref = endpoint.reference;
      const repository = endpointRepository(pool, endpoint);
      try {
        const manifest = await repository.getManifest(ref.digest ?? ref.tag ?? 'latest', options);
        return { manifest, candidate, endpoint, repository };
      } catch (err) {
        if (isBerthError(err, 'aborted')) throw err;
        failures.push({ endpoint, error: err instanceof BerthError ? err : BerthError.wrap(err, `cannot pull ${fullString(ref)}`) });
      }
    }
  }
  const name = options.displayName ?? candidates.map((c) => fullString(c.reference)).join(' or ');
  if (failures.length === 0) throw new BerthError('invalid-argument', `cannot pull ${name || 'image'}: no registry to pull from`);
  if (failures.length === 1) throw failures[0].error;
  const lines = failures.map(({ endpoint, error }) => `${fullString(endpoint.reference)}${endpoint.mirror ? ' (mirror)' : ''}: ${stripContext(error.message)}`);
  // A primary location's failure says most about the image; mirrors are a cache of it.
  const primary = [...failures].reverse().find((f) => !f.endpoint.mirror) ?? failures[failures.length - 1];
  throw new BerthError(primary.error.kind, `cannot pull ${name}: tried ${failures.length} locations: ${lines.join('; ')}`, {
    cause: primary.error,
    detail: {
      attempts: failures.map((f) => ({ reference: fullString(f.endpoint.reference), mirror: f.endpoint.mirror, kind: f.error.kind, message: f.error.message })),
    },
  });
}

/** "cannot pull x:1: manifest unknown" -> "manifest unknown" (the reference is already named). */
function stripContext(message: string): string {
  const m = /^cannot [a-z]+ \S+: (.*)$/s.exec(message);
  return m ? m[1] : message;
}
