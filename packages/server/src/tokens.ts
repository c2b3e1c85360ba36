import type { ServiceIdentifier } from 'inversify';
import type { Knex } from 'knex';
import type Koa from 'koa';
import type { LlmSettingsService, Logger, ModelLister, ProviderProbe, RotatingSecretCipher, Secret, SettingsStore, UsageMeter, UsageStore } from '@llm-settings/core';
import type { ServerConfig } from './config.js';
import type { KeyFileIdentity } from './key-file.js';
import type { ServerMetrics } from './metrics.js';

/** Configuration plus the resolved encryption key list. */
export interface RuntimeConfig extends ServerConfig {
  /** ENCRYPTION_KEY or the key file's keys; prints as its mask. */
  encryptionKeys: Secret;
  /** The key file the keys came from; null when they came from ENCRYPTION_KEY. */
  encryptionKeyFile: KeyFileIdentity | null;
}

/** The container's service identifiers, each typed with what it resolves to. */
export const TOKENS = {
  Config: Symbol.for('llm-settings.Config') as ServiceIdentifier<RuntimeConfig>,
  Logger: Symbol.for('llm-settings.Logger') as ServiceIdentifier<Logger>,
  Cipher: Symbol.for('llm-settings.Cipher') as ServiceIdentifier<RotatingSecretCipher>,
  Knex: Symbol.for('llm-settings.Knex') as ServiceIdentifier<Knex>,
  Store: Symbol.for('llm-settings.Store') as ServiceIdentifier<SettingsStore>,
  Probe: Symbol.for('llm-settings.Probe') as ServiceIdentifier<ProviderProbe>,
  ModelLister: Symbol.for('llm-settings.ModelLister') as ServiceIdentifier<ModelLister>,
  Service: Symbol.for('llm-settings.Service') as ServiceIdentifier<LlmSettingsService>,
  Metrics: Symbol.for('llm-settings.Metrics') as ServiceIdentifier<ServerMetrics>,
  HttpApp: Symbol.for('llm-settings.HttpApp') as ServiceIdentifier<Koa>,
  UsageStore: Symbol.for('llm-settings.UsageStore') as ServiceIdentifier<UsageStore>,
  UsageMeter: Symbol.for('llm-settings.UsageMeter') as ServiceIdentifier<UsageMeter>,
} as const;
