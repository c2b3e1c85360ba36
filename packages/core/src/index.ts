// The public surface of core: the domain, the ports, the errors, the use cases, and what an
// adapter author needs (change feed, key order, secret hygiene). Caches, the settings
// repository and small helpers stay inside the package.

// Domain
export * from './providers.js';
export * from './provider-error-bodies.js';
export * from './schemas.js';
export * from './model-catalogue.js';
export { DEFAULT_SCOPE, isScopeName } from './scopes.js';
export * from './masking.js';
export { Secret } from './secret.js';
export * from './callers.js';
export * from './loopback.js';

// Errors
export * from './errors.js';

// Ports
export * from './ports/settings-store.port.js';
export * from './ports/secret-cipher.port.js';
export * from './ports/provider-probe.port.js';
export * from './ports/model-lister.port.js';
export * from './ports/logger.port.js';
export * from './ports/token-verifier.port.js';

// Use cases
export {
  DEFAULT_PROBE_TIMEOUT_MS,
  LlmSettingsService,
  type LlmSettingsServiceDeps,
  type ScopeOptions,
  type IfMatch,
  type IfNoneMatch,
  type Preconditions,
  type UpdateOptions,
  type ClearOptions,
  type ActorOptions,
  type HistoryOptions,
  type ListModelsOptions,
  type ListCandidateModelsOptions,
  type TestOptions,
  type ResolvedSettings,
} from './use-cases/llm-settings.service.js';
export type { SettingsSnapshot } from './use-cases/settings-snapshot.js';
export { MAX_INHERITANCE_DEPTH } from './use-cases/inheritance.js';
export type { SettingsViewCacheOptions } from './use-cases/settings-view-cache.js';
export { DEFAULT_MODEL_LIST_CACHE_MAX_BYTES, type ModelListCacheOptions } from './use-cases/model-list-cache.js';
export * from './use-cases/rotate-secrets.js';
export { TokenRevocations, type TokenRevocationsOptions } from './use-cases/token-revocations.js';
export * from './use-cases/confirm-endpoint.js';

// For adapter authors: a store's change feed and list order
export * from './change-feed.js';
export { compareCodePoints } from './key-order.js';

// For adapter authors: keeping secrets out of logs, errors and answers
export * from './redaction.js';
export * from './key-echo.js';
export { escapeLogLine } from './log-line.js';
export * from './ports/usage-store.port.js';
export * from './usage-readers.js';
export * from './use-cases/usage-meter.js';
