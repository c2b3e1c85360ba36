import type { ServiceIdentifier } from 'inversify';
import type { Knex } from 'knex';
import type Koa from 'koa';
import type {
  LlmSettingsService,
  Logger,
  ModelLister,
  ProviderProbe,
  RotatingSecretCipher,
  Secret,
  SettingsStore,
  TokenMinter,
  TokenRevocations,
  TokenVerifier,
  UsageMeter,
  UsageStore,
} from '@llm-settings/core';
import type { ServerConfig } from './config.js';
import type { LlmSettings } from './create-llm-settings.js';
import type { KeyFileIdentity } from './key-file.js';
import type { ServerMetrics } from './metrics.js';
import type { PendingMigrations } from './readiness.js';

/** Configuration plus the resolved encryption key list. */
export interface RuntimeConfig extends ServerConfig {
  /** ENCRYPTION_KEY or the key file's keys; prints as its mask. */
  encryptionKeys: Secret;
  /** The key file the keys came from; null when they came from ENCRYPTION_KEY. */
  encryptionKeyFile: KeyFileIdentity | null;
  /** Where the keys came from, for messages: `environment` or the key file's path. */
  encryptionKeySource: string;
  /** Whether history and usage are pruned in the background (`createLlmSettings`' `pruning`). */
  pruning: boolean;
}

/** The container's service identifiers, each typed with what it resolves to. */
export const TOKENS = {
  Config: Symbol.for('llm-settings.Config') as ServiceIdentifier<RuntimeConfig>,
  Logger: Symbol.for('llm-settings.Logger') as ServiceIdentifier<Logger>,
  Cipher: Symbol.for('llm-settings.Cipher') as ServiceIdentifier<RotatingSecretCipher>,
  Knex: Symbol.for('llm-settings.Knex') as ServiceIdentifier<Knex>,
  Store: Symbol.for('llm-settings.Store') as ServiceIdentifier<SettingsStore>,
  /** The store once its storage is migrated and the keys are found to open its values. */
  ReadyStore: Symbol.for('llm-settings.ReadyStore') as ServiceIdentifier<SettingsStore>,
  /** Lists the storage migrations not yet run, or null when the start ran them. */
  PendingMigrations: Symbol.for('llm-settings.PendingMigrations') as ServiceIdentifier<PendingMigrations | null>,
  Probe: Symbol.for('llm-settings.Probe') as ServiceIdentifier<ProviderProbe>,
  ModelLister: Symbol.for('llm-settings.ModelLister') as ServiceIdentifier<ModelLister>,
  Service: Symbol.for('llm-settings.Service') as ServiceIdentifier<LlmSettingsService>,
  /** Null when SETTINGS_TOKEN_SECRET is unset. */
  TokenMinter: Symbol.for('llm-settings.TokenMinter') as ServiceIdentifier<TokenMinter | null>,
  /** Null when neither SETTINGS_TOKEN_SECRET nor an identity provider is configured. */
  TokenVerifier: Symbol.for('llm-settings.TokenVerifier') as ServiceIdentifier<TokenVerifier | null>,
  /** When each scope's tokens were last revoked, kept in the store. */
  TokenRevocations: Symbol.for('llm-settings.TokenRevocations') as ServiceIdentifier<TokenRevocations>,
  Metrics: Symbol.for('llm-settings.Metrics') as ServiceIdentifier<ServerMetrics>,
  HttpApp: Symbol.for('llm-settings.HttpApp') as ServiceIdentifier<Koa>,
  /** The root object: everything wired, which the composition root gets once. */
  LlmSettings: Symbol.for('llm-settings.LlmSettings') as ServiceIdentifier<LlmSettings>,
  UsageStore: Symbol.for('llm-settings.UsageStore') as ServiceIdentifier<UsageStore>,
  UsageMeter: Symbol.for('llm-settings.UsageMeter') as ServiceIdentifier<UsageMeter>,
} as const;
