// The public face of src/reference: image references and short-name resolution.
// Other areas import from here, not from the files behind it.
export {
  isFullImageId,
  isRegistryHost,
  NAME_TOTAL_LENGTH_MAX,
  validateRepositoryName,
  validateTag,
} from './grammar.js';
export {
  DEFAULT_REGISTRY,
  familiarName,
  referenceFormatError,
  familiarString,
  familiarText,
  isShortName,
  LEGACY_DEFAULT_REGISTRY,
  normalizeRegistryHost,
  OFFICIAL_NAMESPACE,
  parseCanonicalReference,
  parseNormalizedReference,
} from './normalize.js';
export {
  DEFAULT_TAG,
  fullString,
  nameOnly,
  parseReference,
  preferDigest,
  type Reference,
  referenceName,
  sameReference,
  withDefaultTag,
  withDigest,
  withTag,
} from './reference.js';
export {
  type MirrorEntry,
  type PullFromMirror,
  parseRegistriesConf,
  type RegistriesConfFile,
  type RegistryEntry,
  type ShortNameMode,
} from './registries-conf.js';
export {
  type AliasEntry,
  DEFAULT_SHORT_NAME_MODE,
  emptyRegistriesConfig,
  type LoadRegistriesConfOptions,
  loadRegistriesConf,
  mergeRegistriesConf,
  type RegistriesConfig,
  type RegistriesConfPaths,
  registriesConfigFromText,
  registriesConfPaths,
  SYSTEM_REGISTRIES_CONF,
  SYSTEM_REGISTRIES_CONF_DIR,
} from './registries-load.js';
export {
  findRegistry,
  isLoopbackRegistry,
  type PullCandidate,
  type PullEndpoint,
  type PushTarget,
  prefixMatchLength,
  pullEndpoints,
  type ResolveOptions,
  resolveLocalCandidates,
  resolvePullCandidates,
  resolvePushTarget,
} from './resolver.js';
