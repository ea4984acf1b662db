// Where remote images come from and go to: registries.conf loaded once, short names resolved
// by the lead's policy, one client pool per operation, and a registry as a ContentSource.
import type { Readable } from 'node:stream';
import { invalidArgument } from '../../internal/errors.js';
import type { ContentSource, Descriptor, ReadOptions } from '../../image/index.js';
import {
  type LoadRegistriesConfOptions,
  loadRegistriesConf,
  type PullCandidate,
  type PushTarget,
  type RegistriesConfig,
  resolvePullCandidates,
  resolvePushTarget,
} from '../../reference/index.js';
import { ClientPool, type Credentials, type Repository } from '../../registry/client/index.js';

/** What every remote operation takes from its caller (the CLI's --tls-verify, --authfile, --creds). */
export interface RemoteOptions {
  /** false: plain HTTP and unverified TLS allowed for every registry (--tls-verify=false). */
  tlsVerify?: boolean;
  /** --authfile. */
  authFile?: string;
  /** --creds user:password, instead of the auth files. */
  credentials?: Credentials;
  /** registries.conf to read instead of the default search ($CONTAINERS_REGISTRIES_CONF wins too). */
  registriesConf?: LoadRegistriesConfOptions;
  /** Already loaded configuration (tests, callers doing several operations). */
  registries?: RegistriesConfig;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export async function registriesFor(options: RemoteOptions): Promise<RegistriesConfig> {
  return options.registries ?? loadRegistriesConf({ ...options.registriesConf, env: options.env ?? options.registriesConf?.env, signal: options.signal });
}

/**
 * The lead's short-name policy: registries.conf decides (aliases, search registries, blocks,
 * mirrors); with no alias and no search registry, a short name means docker.io, as docker reads it.
 */
export function pullCandidates(input: string, config: RegistriesConfig): PullCandidate[] {
  if (config.unqualifiedSearchRegistries.length === 0 && !hasAlias(input, config)) {
    return resolvePullCandidates(input, config, { dockerHub: true });
  }
  return resolvePullCandidates(input, config);
}

function hasAlias(input: string, config: RegistriesConfig): boolean {
  const at = input.indexOf('@');
  let name = at === -1 ? input : input.slice(0, at);
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) name = name.slice(0, colon);
  return config.aliases.has(name);
}

export function pushTarget(input: string, config: RegistriesConfig): PushTarget {
  return resolvePushTarget(input, config);
}

/** A pool whose clients follow --tls-verify, --authfile and --creds. */
export function clientPool(options: RemoteOptions): ClientPool {
  return new ClientPool({
    ...(options.authFile ? { authFile: options.authFile } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
}

/** Whether an endpoint may use plain HTTP: the resolver's word, or --tls-verify=false. */
export function insecureFor(resolved: boolean, options: RemoteOptions): boolean {
  return resolved || options.tlsVerify === false;
}

/** "user:password" -> Credentials (the password may contain colons). */
export function parseCreds(value: string): Credentials {
  const colon = value.indexOf(':');
  if (colon <= 0) throw invalidArgument(`invalid --creds "${value.replace(/:.*/, ':***')}": want USERNAME:PASSWORD`);
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** One repository on a registry, read as a ContentSource so lazy image handles work over it. */
export class RegistrySource implements ContentSource {
  readonly name: string;

  constructor(readonly repository: Repository) {
    this.name = `docker://${repository.displayName}`;
  }

  openBlob(desc: Descriptor, options: ReadOptions = {}): Promise<Readable> {
    return this.repository.getBlob(desc, { signal: options.signal });
  }

  async readManifest(desc: Descriptor, options: ReadOptions = {}): Promise<Uint8Array> {
    const m = await this.repository.getManifest(desc.digest, { signal: options.signal });
    return m.bytes;
  }
}
