// The registry client's public face: everything `berth pull`, `push`, `login`, `logout`,
// `search` and `tags` use. Import from here, not from the modules behind it.
export { Authenticator, realmMayReceiveCredentials } from './auth.js';
export { type BlobSource, blobExists, headBlob, type PushBlobOptions, type PushBlobResult, pushBlob, pushBlobStream } from './blob-push.js';
export { downloadBlob, type GetBlobOptions, getBlob } from './blob-pull.js';
export { type CandidatePull, ClientPool, endpointRepository, pullManifestFromCandidates } from './candidates.js';
export { type Challenge, normalizeScopes, parseChallenges, repositoryScope } from './challenge.js';
export { isLoopbackHost, networkHost, type PingResult, RegistryClient, type RegistryClientOptions, type SendRequest } from './client.js';
export { removeAllCredentials, removeCredentials, saveCredentials } from './credential-store.js';
export { authFileSearchPath, type CredentialOptions, type Credentials, findCredentials, normalizeAuthKey, primaryAuthFile } from './credentials.js';
export { isTransient, parseErrorBody, registryError } from './errors.js';
export { catalog, type ListOptions, listTags, nextLink, type ReferrerDescriptor, type ReferrersOptions, referrers } from './listing.js';
export { checkLogin, type LoginResult } from './login.js';
export { deleteManifest, type FetchedManifest, type GetManifestOptions, getManifest, headManifest, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, type ManifestHead, putManifest } from './manifests.js';
export { RegistrySink, type RegistrySinkOptions, RegistrySource, remoteImage } from './remote.js';
export { type BlobDescriptor, type CallOptions, Repository, type RepositoryOptions } from './repository.js';
export { hostKey, type HttpRequest, type HttpResponse, Transport, type TransportOptions } from './transport.js';
