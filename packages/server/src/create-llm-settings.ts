import { Container, ContainerModule } from 'inversify';
import type { Knex } from 'knex';
import {
  confirmProviderEndpoint,
  DEFAULT_SCOPE,
  rotateStoredSecrets,
  type ActorOptions,
  type EndpointConfirmation,
  type HistoryOptions,
  type LlmHistoryPage,
  type LlmSettingsService,
  type Logger,
  type MintTokenInput,
  type RotatingSecretCipher,
  type RotationReport,
  type ScopeOptions,
  type SettingsStore,
  type TokenMinter,
  type TokenRevocations,
  type UsageMeter,
  type UsageReadOptions,
  type UsageRow,
} from '@llm-settings/core';
import { createSdkClient, type SdkClient } from '@llm-settings/provider-probe';
import { loadConfig, type ServerConfig } from './config.js';
import { resolveEncryptionKey } from './encryption-key.js';
import { assertSqliteFileExists } from './existing-sqlite-file.js';
import { startHistoryPruning } from './history-pruning.js';
import { createLogger } from './logger.js';
import { mintScopedToken } from './scoped-tokens.js';
import { applicationModules, configModule, startupModule } from './modules.js';
import { TOKENS, type RuntimeConfig } from './tokens.js';

export interface CreateLlmSettingsOptions {
  /**
   * Variables to read the configuration from.
   * @default process.env
   */
  env?: Record<string, string | undefined>;
  /**
   * Configuration already loaded with `loadConfig`; wins over `env`.
   * @default loadConfig(env)
   */
  config?: ServerConfig;
  /**
   * Where logs go; a pino instance fits.
   * @default pino JSON lines on stdout at LOG_LEVEL, with secrets redacted
   */
  logger?: Logger;
  /**
   * Run the storage migrations before returning (true); leave them to a job (false: the start
   * warns naming those pending, and /readyz fails until they have run); or refuse to start
   * while any is pending or the SQLite file is not there, and create neither it nor a key
   * file (`'require'`), as the CLI's maintenance commands do, so that a mistyped or missing
   * DATABASE_URL is not a new, empty database for them to act on.
   * @default true
   */
  migrate?: boolean | 'require';
  /**
   * Prune the history and the usage older than their retention in the background. Off for
   * a one-shot tool (the CLI's commands): its prunes would compete with its own work for
   * the database (SQLite's one connection), and the serving processes prune anyway.
   * @default true
   */
  pruning?: boolean;
}

/** An SDK client for the stored provider and key, and the stored model. */
export type LlmClient = SdkClient & { readonly model: string };

/** The core wired to its adapters, for services that embed it without HTTP. */
export interface LlmSettings {
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  readonly service: LlmSettingsService;
  readonly store: SettingsStore;
  readonly cipher: RotatingSecretCipher;
  /**
   * The official SDK client for the scope's stored provider (`@anthropic-ai/sdk` for the
   * Anthropic dialect, `openai` for every other provider), configured with its key in the
   * provider's own header, the operator's base URL (`<ID>_BASE_URL`) and PROXY_TIMEOUT_MS,
   * with the stored model. Build one per call or per request: settings may change. The
   * client never holds the key (its fetch adds it to each request as it is sent), and the
   * key's echoes are scrubbed from its answers and the errors it throws, as in the pass-through.
   * @throws NotConfiguredError when the scope has no settings; ProviderDisabledError or
   *   EndpointChangedError when they may not be used (see `resolve`).
   * Its calls are counted in the scope's usage, as the pass-through's are.
   */
  client(options?: ScopeOptions): Promise<LlmClient>;
  /**
   * The scope's LLM calls and tokens (pass-through and `client()`), per UTC day, provider
   * and model, from `from` to `to` (`YYYY-MM-DD`, both included), sorted; this process's
   * counts not yet written included.
   * @throws ValidationError for a date that is not `YYYY-MM-DD`, `from` after `to`, or a bad scope.
   */
  usage(options: UsageReadOptions): Promise<UsageRow[]>;
  /**
   * Re-encrypts every stored value under the first ENCRYPTION_KEY, in atomic batches beside
   * concurrent writers, with a `rotate` history entry per scope by `actor` (default
   * `embedded`); interrupted, it is safe to run again.
   */
  rotateKeys(options?: ActorOptions): Promise<RotationReport>;
  /**
   * Binds every stored key of `provider` to the origin of its API root now (after the
   * operator moved it, `<ID>_BASE_URL`), atomically, with a `confirm-endpoint` history
   * entry per rebound scope by `actor` (default `embedded`).
   * @throws ConfigError for an unknown provider.
   */
  confirmEndpoint(provider: string, options?: ActorOptions): Promise<EndpointConfirmation>;
  /**
   * A page of the scope's history of changes, newest first (`limit` 1 to 200, default 50;
   * `before`: the previous page's `next`). Kept for HISTORY_RETENTION_DAYS.
   */
  history(options?: HistoryOptions): Promise<LlmHistoryPage>;
  /**
   * A token granting `can` (`read`, `write`, `test`, `models`, `use`) in `scope` for
   * `ttlSeconds`, signed with the first SETTINGS_TOKEN_SECRET: as `llm-settings mint-token` prints.
   * @throws ConfigError when SETTINGS_TOKEN_SECRET is unset; ValidationError for an invalid
   *   scope, an unknown permission or a lifetime out of range.
   */
  mintToken(input: MintTokenInput): Promise<string>;
  /**
   * Refuses every token of `scope` (minted or the identity provider's) issued before now,
   * in every process sharing the store, once its change feed tells it (within a second):
   * as `llm-settings revoke-tokens` does. A token's issue time is in whole seconds, so one
   * issued in this same second is refused too.
   * @throws ValidationError for an invalid scope.
   */
  revokeTokens(options: { scope: string } & ActorOptions): Promise<{ revokedBefore: Date }>;
  /** Writes the usage counted so far, stops listening for changes and closes the database pool. */
  close(): Promise<void>;
}

/**
 * Builds the container from the environment, migrates storage, checks that the keys open
 * the stored values and returns the wired service.
 * @throws ConfigError when values are stored and the keys open none of those checked
 *   (unless ALLOW_UNDECRYPTABLE=1), or the key file is missing while values are stored,
 *   saying how to recover.
 */
export async function createLlmSettings(options: CreateLlmSettingsOptions = {}): Promise<LlmSettings> {
  return (await wireLlmSettings(options)).settings;
}

/**
 * {@link createLlmSettings}, with the container, for the HTTP server to get its app from.
 * `modules` are loaded after the application's, so that they may add bindings (the HTTP
 * app) or rebind an adapter (a test's).
 */
export async function wireLlmSettings(options: CreateLlmSettingsOptions, modules: readonly ContainerModule[] = []): Promise<{ settings: LlmSettings; container: Container }> {
  const baseConfig = options.config ?? loadConfig(options.env ?? process.env);
  const logger = options.logger ?? createLogger({ level: baseConfig.logLevel });
  // A command on an existing deployment needs its database and its key: new ones could only be empty, or fail to open what is stored.
  const existingDeployment = options.migrate === 'require';
  if (existingDeployment) assertSqliteFileExists(baseConfig);
  const key = await resolveEncryptionKey(baseConfig, logger, { generate: !existingDeployment });
  const config: RuntimeConfig = { ...baseConfig, encryptionKeys: key.keys, encryptionKeyFile: key.file ?? null, encryptionKeySource: key.source, pruning: options.pruning ?? true };

  const container = new Container();
  container.load(configModule(config, logger), ...applicationModules, startupModule({ migrate: options.migrate ?? true }), rootModule, ...modules);
  // For a start that fails: unbinding the store closes it, if it was made. Its change feed,
  // started by the first `watch` (the metrics' own), holds a LISTEN connection outside the
  // pool on PostgreSQL, which would keep the process alive.
  container.onDeactivation(TOKENS.Store, (store) => store.close());
  try {
    return { settings: await container.getAsync(TOKENS.LlmSettings), container };
  } catch (error) {
    // The store first: its feed polls through the pool on SQLite.
    await container.unbindAsync(TOKENS.Store);
    await container.unbindAsync(TOKENS.Knex);
    throw error;
  }
}

/** The root object: what an embedder uses, over the adapters resolved once. */
const rootModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.LlmSettings)
    .toResolvedValue(
      (
        config: RuntimeConfig,
        logger: Logger,
        cipher: RotatingSecretCipher,
        knex: Knex,
        store: SettingsStore,
        service: LlmSettingsService,
        minter: TokenMinter | null,
        revocations: TokenRevocations,
        meter: UsageMeter,
      ): LlmSettings => {
        const stopPruning = config.pruning ? startHistoryPruning({ store, retentionDays: config.historyRetentionDays, logger }) : async () => undefined;
        return {
          config,
          logger,
          service,
          store,
          cipher,
          async client(scopeOptions = {}) {
            const { provider, model, apiKey } = await service.resolve(scopeOptions);
            // The Secret itself: the client's fetch reveals it at send time, the client never holds it.
            const usage = { record: meter.record, scope: scopeOptions.scope ?? DEFAULT_SCOPE };
            const sdk = await createSdkClient({ provider, apiKey, providers: config.providers, timeoutMs: config.llmTimeoutMs, usage });
            return { ...sdk, model };
          },
          usage: (usageOptions) => meter.read(usageOptions),
          rotateKeys: (options = {}) => rotateStoredSecrets(store, cipher, options),
          confirmEndpoint: (provider, options = {}) => confirmProviderEndpoint(store, cipher, config.providers, provider, options),
          history: (options = {}) => service.history(options),
          mintToken: (input) => mintScopedToken(minter, input),
          // revoke() refuses options that are no object (a scope name alone would revoke the default scope's tokens).
          revokeTokens: async (options) => ({ revokedBefore: await revocations.revoke((options as Partial<typeof options> | null)?.scope as string, options ?? null) }),
          async close() {
            // First: their last writes need the database.
            await meter.close();
            await stopPruning();
            service.close();
            revocations.close();
            await store.close();
            await knex.destroy();
          },
        };
      },
      [TOKENS.Config, TOKENS.Logger, TOKENS.Cipher, TOKENS.Knex, TOKENS.ReadyStore, TOKENS.Service, TOKENS.TokenMinter, TOKENS.TokenRevocations, TOKENS.UsageMeter],
    )
    .inSingletonScope();
});
