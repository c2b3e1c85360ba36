import { ContainerModule, type ResolutionContext } from 'inversify';
import type { Knex } from 'knex';
import {
  ConfigError,
  isLlmSettingsError,
  LlmSettingsService,
  TokenRevocations,
  UsageMeter,
  type Logger,
  type ModelLister,
  type ProviderProbe,
  type RotatingSecretCipher,
  type SettingsStore,
  type TokenVerifier,
  type UsageStore,
} from '@llm-settings/core';
import { createFernetCipher } from '@llm-settings/crypto-fernet';
import { createHttpApp, type MetricsOptions } from '@llm-settings/http-koa';
import { createModelLister, createProviderProbe } from '@llm-settings/provider-probe';
import { createKnexFromUrl, createKnexSettingsStore, DEFAULT_SETTINGS_TABLE, migrateSettingsStore, pendingSettingsStoreMigrations } from '@llm-settings/storage-knex';
import { createKnexUsageStore, migrateUsageStore, pendingUsageStoreMigrations } from '@llm-settings/usage-knex';
import { cliCommand } from './cli-command.js';
import { allowedHostsFor } from './config.js';
import { ServerMetrics } from './metrics.js';
import { checkKeysOpenStoredValues } from './key-check.js';
import { tokenMinterFor, tokenVerifierFor } from './scoped-tokens.js';
import { refuseWritesWithoutKeyFile } from './key-file-guard.js';
import { createReadinessCheck, type PendingMigrations } from './readiness.js';
import { TOKENS, type RuntimeConfig } from './tokens.js';

/*
 * The wiring diagram. Each module binds one port to its adapter with a factory:
 *
 *   Config, Logger (configModule, made before the container)
 *   Cipher  ← crypto-fernet  createFernetCipher(ENCRYPTION_KEY)
 *   Knex    ← storage-knex   createKnexFromUrl(DATABASE_URL)
 *   Store   ← storage-knex   createKnexSettingsStore(Knex, Metrics' change-feed reconnects)
 *   ReadyStore ← Store once Knex is migrated and Cipher's keys open its values (startupModule; no key check while settings migrations are left pending)
 *   PendingMigrations ← Knex's storage migrations not yet run, or null when the start ran them (startupModule)
 *   Probe   ← provider-probe createProviderProbe(base URLs, timeout, in-flight limit)
 *   ModelLister ← provider-probe createModelLister(base URLs, timeout, in-flight limit)
 *   Service ← core           LlmSettingsService(ReadyStore, Cipher, Probe, ModelLister), views and model lists cached
 *   UsageStore ← usage-knex  createKnexUsageStore(Knex), its table made with ReadyStore's migration
 *   UsageMeter ← core        UsageMeter(UsageStore): counts pass-through and client() calls per scope, written in batches
 *   TokenMinter   ← auth-jose createJoseTokenMinter(SETTINGS_TOKEN_SECRET), or null (the adapter imported only then)
 *   TokenRevocations ← core TokenRevocations(ReadyStore, Cipher): each scope's revocation time, cached
 *   TokenVerifier ← auth-jose createJoseTokenVerifier(SETTINGS_TOKEN_SECRET, SETTINGS_JWKS_URL …, TokenRevocations, Metrics' token cache reads), or null (likewise)
 *   LlmSettings ← the root, got once (create-llm-settings.ts): Config, Logger, Cipher, Knex, ReadyStore, Service, UsageMeter, TokenMinter, TokenRevocations
 *   HttpApp ← http-koa       createHttpApp(Service, UsageMeter, readiness of Store and PendingMigrations, TokenVerifier), for `serve` only
 *   Metrics ← prom-client    ServerMetrics: counts Probe's and ModelLister's outcomes, Store's and UsageStore's failures, HttpApp's requests
 */

/** Configuration and logging, made before the container. */
export function configModule(config: RuntimeConfig, logger: Logger): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Config).toConstantValue(config);
    bind(TOKENS.Logger).toConstantValue(logger);
  });
}

export const cryptoModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Cipher)
    // Revealed into the cipher's closure only: the adapter keeps no printable copy.
    .toResolvedValue((config: RuntimeConfig) => createFernetCipher({ keys: config.encryptionKeys.reveal() }), [TOKENS.Config])
    .inSingletonScope();
});

export const storageModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Knex)
    .toResolvedValue(
      (config: RuntimeConfig, logger: Logger) => createKnexFromUrl(config.databaseUrl.reveal(), { logger }),
      [TOKENS.Config, TOKENS.Logger],
    )
    .inSingletonScope()
    // For a start-up that fails: unbinding the pool closes it, if it was made.
    .onDeactivation((knex) => knex.destroy());
  bind(TOKENS.Store)
    .toResolvedValue(
      (knex: Knex, config: RuntimeConfig, metrics: ServerMetrics) => {
        const store = createKnexSettingsStore(knex, config.metrics ? { onRemoteFeedResumed: metrics.changeFeedResumed } : {});
        return config.encryptionKeyFile === null ? store : refuseWritesWithoutKeyFile(store, config.encryptionKeyFile);
      },
      [TOKENS.Knex, TOKENS.Config, TOKENS.Metrics],
    )
    .inSingletonScope();
});

/** The tenants' usage: counted in memory, written to the settings database in batches. */
export const usageModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.UsageStore)
    // After ReadyStore, whose migration makes the usage table.
    .toResolvedValue((knex: Knex, _migrated: SettingsStore) => createKnexUsageStore(knex), [TOKENS.Knex, TOKENS.ReadyStore])
    .inSingletonScope();
  bind(TOKENS.UsageMeter)
    .toResolvedValue(
      (store: UsageStore, config: RuntimeConfig, logger: Logger) =>
        new UsageMeter({ store, logger, flushMs: config.usageFlushMs, retentionDays: config.pruning ? config.usageRetentionDays : null }),
      [TOKENS.UsageStore, TOKENS.Config, TOKENS.Logger],
    )
    .inSingletonScope();
});

/**
 * The store as the service gets it: the storage migrated (unless `migrate` is false, when a
 * warning names the migrations still to run) and the keys checked against the stored
 * values (unless settings migrations are still to run: see {@link prepareStorage}), before
 * anything is served. The cipher is resolved first, so that a bad key fails before any
 * connection is opened.
 */
export function startupModule(options: { migrate: boolean | 'require' }): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ReadyStore)
      .toResolvedValue(
        async (cipher: RotatingSecretCipher, knex: Knex, store: SettingsStore, config: RuntimeConfig, logger: Logger) => {
          const settingsTableReady = await prepareStorage(options.migrate, knex, config, logger);
          if (settingsTableReady) {
            await checkKeysOpenStoredValues({ store, cipher, logger, allowUndecryptable: config.allowUndecryptable, keySource: config.encryptionKeySource });
          }
          return store;
        },
        [TOKENS.Cipher, TOKENS.Knex, TOKENS.Store, TOKENS.Config, TOKENS.Logger],
      )
      .inSingletonScope();
    bind(TOKENS.PendingMigrations)
      .toResolvedValue((knex: Knex) => (options.migrate === false ? () => pendingStorageMigrations(knex) : null), [TOKENS.Knex])
      .inSingletonScope();
  });
}

/**
 * Migrates, refuses or warns, as `migrate` says. False when the settings table is not made
 * yet (`migrate: false` before its job's first run), so the key check has nothing it could
 * sample. It is not run later in this process either: a
 * running server cannot refuse to start, /readyz's `encryption_keys` reports settings its
 * keys cannot open, and the next start, on the migrated database, checks them.
 */
async function prepareStorage(migrate: boolean | 'require', knex: Knex, config: RuntimeConfig, logger: Logger): Promise<boolean> {
  if (migrate === true) {
    await migrateSettingsStore(knex);
    await migrateUsageStore(knex);
    return true;
  }
  if (migrate === 'require') {
    await refusePendingMigrations(knex, config);
    return true;
  }
  return warnOfPendingMigrations(knex, logger);
}

/** The migrations `llm-settings migrate` would run, each named with its store's (`settings/…`, `usage/…`). */
async function pendingStorageMigrations(knex: Knex): Promise<string[]> {
  const settings = await pendingSettingsStoreMigrations(knex);
  const usage = await pendingUsageStoreMigrations(knex);
  return [...settings.map((name) => `settings/${name}`), ...usage.map((name) => `usage/${name}`)];
}

/**
 * Refuses a database the settings store's migrations have not all run on, naming it (its
 * password hidden): for a one-shot command on the stored settings, most likely not the
 * database the operator meant.
 */
async function refusePendingMigrations(knex: Knex, config: RuntimeConfig): Promise<void> {
  const pending = await pendingSettingsStoreMigrations(knex);
  if (pending.length === 0) return;
  throw new ConfigError(
    `The database ${String(config.databaseUrl)} is not set up for llm-settings (${pending.length} settings migration(s) not run): ` +
      `check DATABASE_URL, or run ${cliCommand('migrate')} first if this is the right database.`,
  );
}

/**
 * The start goes on: a migration job may still be on its way, and /readyz reports not
 * ready until it has run. Nor does a failed look stop it: the key check that follows reads
 * the store, and fails the start if the database cannot be reached.
 * @returns whether the settings table is there, for the key check: it reads that table alone,
 *   so a later migration still to run (the history table's) leaves it to check the keys.
 */
async function warnOfPendingMigrations(knex: Knex, logger: Logger): Promise<boolean> {
  const pending = await pendingStorageMigrations(knex).catch((error: unknown) => {
    logger.warn({ code: isLlmSettingsError(error) ? error.code : 'Error' }, 'could not tell whether storage migrations are pending: /readyz answers 503 until it can');
    return [];
  });
  if (pending.length === 0) return true;
  // A failed look leaves the check to run, and to fail the start as the store's read.
  const settingsTableReady = await knex.schema.hasTable(DEFAULT_SETTINGS_TABLE).catch(() => true);
  logger.warn(
    { pending_migrations: pending, key_check: settingsTableReady ? 'run' : 'skipped' },
    `the database lacks ${pending.length} storage migration(s) this version needs (${pending.join(', ')}); ${cliCommand('migrate')} runs them. ` +
      'Until then /readyz answers 503 (storage_schema) and requests that need them fail' +
      (settingsTableReady ? '' : '; the start-up check that the keys open the stored values is skipped, the settings table not being made yet: the next start runs it'),
  );
  return settingsTableReady;
}

/**
 * The provider roots, deadline and in-flight limit of the probe and of the model lister:
 * listing models is a provider call of the same kind. Each gets its own limit.
 */
const providerCallOptions = (config: RuntimeConfig, logger: Logger) => ({
  timeoutMs: config.probeTimeoutMs,
  maxInFlight: config.probeMaxInFlight,
  providers: config.providers,
  logger,
});

export const probeModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Probe)
    .toResolvedValue((config: RuntimeConfig, logger: Logger) => createProviderProbe(providerCallOptions(config, logger)), [TOKENS.Config, TOKENS.Logger])
    .inSingletonScope();
  bind(TOKENS.ModelLister)
    .toResolvedValue((config: RuntimeConfig, logger: Logger) => createModelLister(providerCallOptions(config, logger)), [TOKENS.Config, TOKENS.Logger])
    .inSingletonScope();
});

export const serviceModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Service)
    .toResolvedValue(
      (config: RuntimeConfig, store: SettingsStore, cipher: RotatingSecretCipher, probe: ProviderProbe, modelLister: ModelLister, logger: Logger, metrics: ServerMetrics) =>
        // Reads are served from masked views, and live model lists kept a few minutes (within
        // a byte budget), both dropped by the store's change feed.
        new LlmSettingsService({
          store,
          cipher,
          probe,
          modelLister,
          logger,
          providers: config.providers,
          probeTimeoutMs: config.probeTimeoutMs,
          viewCache: config.metrics ? { onRead: metrics.viewCacheRead } : true,
          modelListCache: { maxBytes: config.modelListCacheMaxBytes },
        }),
      [TOKENS.Config, TOKENS.ReadyStore, TOKENS.Cipher, TOKENS.Probe, TOKENS.ModelLister, TOKENS.Logger, TOKENS.Metrics],
    )
    .inSingletonScope();
});

/** Scoped tokens: each secret revealed into the adapter's closure only. */
export const tokenModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.TokenMinter).toResolvedValue((config: RuntimeConfig) => tokenMinterFor(config), [TOKENS.Config]).inSingletonScope();
  bind(TOKENS.TokenRevocations)
    .toResolvedValue((store: SettingsStore, cipher: RotatingSecretCipher) => new TokenRevocations(store, cipher), [TOKENS.ReadyStore, TOKENS.Cipher])
    .inSingletonScope();
  bind(TOKENS.TokenVerifier)
    .toResolvedValue(
      (config: RuntimeConfig, logger: Logger, revocations: TokenRevocations, metrics: ServerMetrics) =>
        tokenVerifierFor(config, logger, revocations.revokedBefore, config.metrics ? metrics.tokenCacheRead : null),
      [TOKENS.Config, TOKENS.Logger, TOKENS.TokenRevocations, TOKENS.Metrics],
    )
    .inSingletonScope();
});

/**
 * The HTTP app, for `serve`: it logs one line per request with the logger, like every
 * other line, and passes LLM calls on to the providers the probe tests against.
 */
export const httpModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.HttpApp)
    .toResolvedValue(
      (
        config: RuntimeConfig,
        service: LlmSettingsService,
        store: SettingsStore,
        logger: Logger,
        metrics: ServerMetrics,
        tokenVerifier: TokenVerifier | null,
        usage: UsageMeter,
        pendingMigrations: PendingMigrations | null,
      ) =>
        createHttpApp({
          service,
          logger,
          usage,
          // Revealed into the token check only, which keeps its digest.
          ...(config.apiToken ? { apiToken: config.apiToken.reveal() } : {}),
          tokenVerifier,
          readiness: createReadinessCheck({ store, service, keyFile: config.encryptionKeyFile, pendingMigrations }),
          allowedHosts: allowedHostsFor(config),
          corsOrigins: config.corsOrigins,
          settingsUi: config.settingsUi,
          providers: config.providers,
          llm: {
            timeoutMs: config.llmTimeoutMs,
            maxBodyBytes: config.proxyMaxBodyBytes,
            bodyTimeoutMs: config.proxyBodyTimeoutMs,
            maxInFlight: config.proxyMaxInFlight,
            maxInFlightPerScope: config.proxyMaxInFlightPerScope,
            allowedBetas: config.proxyAllowedBetas,
          },
          ...(config.metrics ? { metrics: httpMetricsOptions(config, metrics) } : {}),
        }),
      [TOKENS.Config, TOKENS.Service, TOKENS.Store, TOKENS.Logger, TOKENS.Metrics, TOKENS.TokenVerifier, TOKENS.UsageMeter, TOKENS.PendingMigrations],
    )
    .inSingletonScope();
});

/**
 * The operator's metrics (METRICS, on by default): the probe's and the model lister's
 * outcomes and the settings and usage stores' failures counted as they happen; the HTTP app adds its
 * requests and serves them.
 */
export const metricsModule = new ContainerModule(({ bind, onActivation }) => {
  bind(TOKENS.Metrics).toConstantValue(new ServerMetrics());
  const enabled = (context: ResolutionContext) => context.get(TOKENS.Config).metrics;
  onActivation(TOKENS.Probe, (context, probe) => (enabled(context) ? context.get(TOKENS.Metrics).observeProbe(probe) : probe));
  onActivation(TOKENS.ModelLister, (context, lister) => (enabled(context) ? context.get(TOKENS.Metrics).observeModelLister(lister) : lister));
  onActivation(TOKENS.Store, (context, store) => (enabled(context) ? context.get(TOKENS.Metrics).observeStore(store) : store));
  onActivation(TOKENS.UsageStore, (context, store) => (enabled(context) ? context.get(TOKENS.Metrics).observeUsageStore(store) : store));
});

/** Every module but configuration and start-up, in the order they depend on each other. */
export const applicationModules = [cryptoModule, storageModule, usageModule, probeModule, serviceModule, tokenModule, metricsModule];

/** /metrics for a serving process: with its process metrics, and METRICS_TOKEN revealed into the token check only. */
function httpMetricsOptions(config: RuntimeConfig, metrics: ServerMetrics): MetricsOptions {
  metrics.collectProcessMetrics();
  return {
    observer: metrics.observer,
    scrape: () => metrics.scrape(),
    ...(config.metricsToken ? { token: config.metricsToken.reveal() } : {}),
  };
}
