// Pulling a manifest from ordered candidates (mirrors first, then the primary location, as the
// registries.conf resolver orders them); when all fail, one error lists every attempt and why.
import { BerthError, isBerthError } from '../../internal/errors.js';
import type { Reference } from '../../reference/reference.js';
import { RegistryClient, type RegistryClientOptions } from './client.js';
import type { FetchedManifest, GetManifestOptions } from './manifests.js';
import type { Repository } from './repository.js';
import { Transport } from './transport.js';

export interface CandidateEndpoint {
  /** host[:port][/prefix] of the registry or mirror. */
  location: string;
  /** Plain HTTP and unverified TLS allowed. */
  insecure: boolean;
  mirror: boolean;
}

export interface PullCandidate {
  /** The image as named at this endpoint (a mirror's reference has the mirror's host and prefix). */
  reference: Reference;
  endpoint: CandidateEndpoint;
}

/** One RegistryClient per host, sharing one connection pool, for a whole pull. */
export class ClientPool {
  private readonly clients = new Map<string, RegistryClient>();
  readonly transport: Transport;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.transport = options.transport ?? new Transport(options);
  }

  client(host: string, insecure?: boolean): RegistryClient {
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
  /** Where the manifest came from: pull the blobs from the same place. */
  repository: Repository;
}

function describe(ref: Reference): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/**
 * Tries each candidate in order; the first manifest that arrives verified wins. Cancellation
 * stops at once; any other failure (including a mirror serving corrupt bytes) moves on.
 */
export async function pullManifestFromCandidates(
  candidates: PullCandidate[],
  pool: ClientPool,
  options: GetManifestOptions & { displayName?: string } = {},
): Promise<CandidatePull> {
  const failures: { candidate: PullCandidate; error: BerthError }[] = [];
  for (const candidate of candidates) {
    const ref = candidate.reference;
    const repository = pool.client(ref.registry, candidate.endpoint.insecure).repository(ref.repository, {
      displayName: `${ref.registry}/${ref.repository}`,
    });
    try {
      const manifest = await repository.getManifest(ref.digest ?? ref.tag ?? 'latest', options);
      return { manifest, candidate, repository };
    } catch (err) {
      if (isBerthError(err, 'aborted')) throw err;
      failures.push({ candidate, error: err instanceof BerthError ? err : BerthError.wrap(err, `cannot pull ${describe(ref)}`) });
    }
  }
  const name = options.displayName ?? (candidates[0] ? describe(candidates[candidates.length - 1].reference) : 'image');
  if (failures.length === 0) throw new BerthError('invalid-argument', `cannot pull ${name}: no registry to pull from`);
  if (failures.length === 1) throw failures[0].error;
  const lines = failures.map(({ candidate, error }) => `${describe(candidate.reference)}${candidate.endpoint.mirror ? ' (mirror)' : ''}: ${stripContext(error.message)}`);
  // The primary location's failure says most about the image; mirrors are a cache of it.
  const primary = [...failures].reverse().find((f) => !f.candidate.endpoint.mirror) ?? failures[failures.length - 1];
  throw new BerthError(primary.error.kind, `cannot pull ${name}: tried ${failures.length} locations: ${lines.join('; ')}`, {
    cause: primary.error,
    detail: { attempts: failures.map((f) => ({ reference: describe(f.candidate.reference), mirror: f.candidate.endpoint.mirror, kind: f.error.kind, message: f.error.message })) },
  });
}

/** "cannot pull x:1: manifest unknown" -> "manifest unknown" (the reference is already named). */
function stripContext(message: string): string {
  const m = /^cannot [a-z]+ \S+: (.*)$/s.exec(message);
  return m ? m[1] : message;
}
