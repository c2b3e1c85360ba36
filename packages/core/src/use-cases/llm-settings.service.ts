import {
  CorruptedSettingsError,
  DecryptionError,
  ErrorCodes,
  NotConfiguredError,
  PreconditionFailedError,
  ValidationError,
  isLlmSettingsError,
} from '../errors.js';
import { etagOf } from '../etag.js';
import type { Logger } from '../ports/logger.port.js';
import { silentLogger } from '../ports/logger.port.js';
import type { ModelLister } from '../ports/model-lister.port.js';
import type { ProviderProbe } from '../ports/provider-probe.port.js';
import type { SecretCipher } from '../ports/secret-cipher.port.js';
import type { SettingRecord, SettingsStore } from '../ports/settings-store.port.js';
import { catalogueProviderOf } from '../model-catalogue.js';
import { defaultModelFor, getProvider, type LlmProvider } from '../providers.js';
import {
  LlmModelListCandidateSchema,
  LlmModelListQuerySchema,
  LlmSettingsUpdateSchema,
  LlmTestCandidateSchema,
  StoredSettingsSchema,
  type LlmModelList,
  type LlmTestResult,
  type StoredSettings,
} from '../schemas.js';
import { normalizeScope, settingsKeyFor } from '../scopes.js';
import { parseOrThrow } from '../validation.js';
import { Secret } from '../secret.js';
import { defaultSnapshot, snapshotOf, type SettingsSnapshot } from './settings-snapshot.js';
import { SettingsViewCache, type CurrentSettings, type SettingsViewCacheOptions } from './settings-view-cache.js';
import { ModelListCache, type ModelListCacheOptions } from './model-list-cache.js';
import { catalogueList, liveList, reasonMessage } from './model-lists.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
/** Read-modify-write attempts for an update that keeps the stored key, before a conflict is reported. */
const MAX_KEEP_KEY_ATTEMPTS = 5;

export interface LlmSettingsServiceDeps {
  store: SettingsStore;
  cipher: SecretCipher;
  probe: ProviderProbe;
  /** @default silentLogger */
  logger?: Logger;
  /** @default 10000 */
  probeTimeoutMs?: number;
  /**
   * Serve `get` and `resolve` from an in-process cache of each scope's stored token and
   * masked view, which the store's change feed invalidates. Worth it when reads dominate;
   * `true` uses the cache's defaults.
   * @default false
   */
  viewCache?: boolean | SettingsViewCacheOptions;
  /**
   * Lists the models of a stored or candidate key live. Without it every model list is
   * the built-in catalogue, with reason `listing_disabled`.
   * @default undefined
   */
  modelLister?: ModelLister;
  /**
   * Keep each scope's live model list (tied to the stored token, never to the key), which
   * the store's change feed drops; `false` asks the provider every time.
   * @default true (the cache's defaults: 5 minutes)
   */
  modelListCache?: boolean | ModelListCacheOptions;
}

/** Which settings: a scope (tenant, user, workspace), the default scope when omitted. */
export interface ScopeOptions {
  scope?: string;
}

/**
 * A precondition on the stored version, as HTTP's If-Match: `*` (settings must be
 * stored), or entity tags of which one must be the current one.
 */
export type IfMatch = '*' | string | readonly string[];

export interface UpdateOptions extends ScopeOptions {
  ifMatch?: IfMatch;
}

export interface ClearOptions extends ScopeOptions {
  ifMatch?: IfMatch;
}

export interface ListModelsOptions extends ScopeOptions {
  /** `anthropic` or `openai`; the stored provider (the default one when nothing is stored) when omitted. */
  provider?: unknown;
  /** Aborts the provider call; the list is then the catalogue, with reason `timeout`. */
  signal?: AbortSignal;
}

export interface ListCandidateModelsOptions {
  /** Aborts the provider call; the list is then the catalogue, with reason `timeout`. */
  signal?: AbortSignal;
}

export interface TestOptions extends ScopeOptions {
  /** Settings to test instead of the stored ones: `{ provider, api_key, model? }`. Nothing is stored. */
  candidate?: unknown;
  /** Aborts the provider call; the result is then `timeout`. */
  signal?: AbortSignal;
}

/** What the code that calls the LLM needs. */
export interface ResolvedSettings {
  provider: LlmProvider;
  model: string;
  /** Prints as its mask; `apiKey.reveal()` gives the key. */
  apiKey: Secret;
  /** The stored version these settings are. */
  version: number;
}

/** The use cases: read, save, clear, test and resolve the LLM settings of a scope. */
export class LlmSettingsService {
  private readonly store: SettingsStore;
  private readonly cipher: SecretCipher;
  private readonly probe: ProviderProbe;
  private readonly logger: Logger;
  private readonly probeTimeoutMs: number;
  private readonly cache: SettingsViewCache | null;
  private readonly modelLister: ModelLister | null;
  private readonly modelLists: ModelListCache | null;

  constructor(deps: LlmSettingsServiceDeps) {
    this.store = deps.store;
    this.cipher = deps.cipher;
    this.probe = deps.probe;
    this.logger = deps.logger ?? silentLogger;
    this.probeTimeoutMs = deps.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.cache = deps.viewCache ? new SettingsViewCache(this.store, deps.viewCache === true ? {} : deps.viewCache) : null;
    this.modelLister = deps.modelLister ?? null;
    const listCache = deps.modelListCache ?? true;
    this.modelLists = this.modelLister && listCache ? new ModelListCache(this.store, listCache === true ? {} : listCache) : null;
  }

  /** The scope's settings as clients may see them; the defaults when nothing is stored. */
  async get(options: ScopeOptions = {}): Promise<SettingsSnapshot> {
    return (await this.current(normalizeScope(options.scope))).snapshot;
  }

  /**
   * The scope's settings for the code that calls the LLM, the key included as a
   * {@link Secret}. Served from the cached stored token when views are cached (the key
   * is decrypted on every call, never kept in plaintext).
   * @throws NotConfiguredError when nothing is stored; DecryptionError when the stored
   *   settings cannot be decrypted with the configured keys.
   */
  async resolve(options: ScopeOptions = {}): Promise<ResolvedSettings> {
    const scope = normalizeScope(options.scope);
    const { record } = await this.current(scope);
    if (record === null) throw new NotConfiguredError();
    const settings = await this.open(record, scope);
    return { provider: settings.provider, model: settings.model, apiKey: new Secret(settings.api_key), version: record.version };
  }

  /**
   * Saves settings. Without api_key the stored key is kept, which needs the provider
   * to be unchanged; without model the provider's default model is used.
   * @throws PreconditionFailedError when `ifMatch` does not hold.
   */
  async update(input: unknown, options: UpdateOptions = {}): Promise<SettingsSnapshot> {
    const update = parseOrThrow(LlmSettingsUpdateSchema, input, 'settings');
    if (update.model !== undefined) refuseOtherProvidersModel(update.provider, update.model);
    const scope = normalizeScope(options.scope);
    const key = settingsKeyFor(scope);
    const model = update.model ?? defaultModelFor(update.provider);

    // A full replacement depends on nothing stored: it reads and checks the version only
    // when the caller asked for a precondition or when it keeps the stored key.
    const needsVersionCheck = options.ifMatch !== undefined || update.api_key === undefined;
    for (let attempt = 1; ; attempt++) {
      const current = needsVersionCheck ? await this.store.get(key) : null;
      if (!preconditionHolds(current, options.ifMatch)) throw new PreconditionFailedError();
      const apiKey = update.api_key ?? (await this.keptApiKey(current, update.provider, scope));
      const settings: StoredSettings = { provider: update.provider, model, api_key: apiKey, scope };
      const token = await this.cipher.encrypt(JSON.stringify(settings));
      try {
        const written = await this.store.set(key, token, needsVersionCheck ? { expectedVersion: current?.version ?? 0 } : {});
        this.logger.info({ scope, provider: settings.provider, model, version: written.version }, 'llm settings saved');
        return snapshotOf(written, settings);
      } catch (error) {
        if (!isLlmSettingsError(error, ErrorCodes.SETTINGS_CONFLICT)) throw error;
        if (options.ifMatch !== undefined) throw new PreconditionFailedError();
        if (attempt >= MAX_KEEP_KEY_ATTEMPTS) throw error;
      }
    }
  }

  /** Stops following the store's change feed (when caching views or model lists). */
  close(): void {
    this.cache?.close();
    this.modelLists?.close();
  }

  /**
   * The models to choose from for a provider of the scope: the stored key's own list when
   * a key for that provider is stored and the provider lists them, otherwise the built-in
   * catalogue with the reason. A key stored for one provider is never sent to the other.
   * @throws ValidationError for an unknown provider; DecryptionError or
   *   CorruptedSettingsError when the stored settings cannot be opened.
   */
  async listModels(options: ListModelsOptions = {}): Promise<LlmModelList> {
    const scope = normalizeScope(options.scope);
    const query = parseOrThrow(LlmModelListQuerySchema, { provider: options.provider }, 'model list request');
    const current = await this.current(scope);
    const provider = query.provider ?? current.snapshot.view.provider;
    const stored = current.record === null ? null : await this.open(current.record, scope);
    let list: LlmModelList;
    if (stored === null || stored.provider !== provider) {
      list = catalogueList(provider, 'no_stored_key', reasonMessage(provider, 'no_stored_key'));
    } else {
      const key = settingsKeyFor(scope);
      const token = current.record!.value;
      const cached = this.modelLists?.get(key, token) ?? null;
      if (cached !== null) {
        list = liveList(provider, cached);
      } else {
        list = await this.listWith(provider, stored.api_key, options.signal);
        if (list.source === 'live') this.modelLists?.set(key, token, listedModels(list));
      }
    }
    this.logger.info({ scope, provider, source: list.source, reason: list.reason ?? null, candidate: false }, 'llm models listed');
    return list;
  }

  /**
   * The models a key not yet saved can use: `{ provider, api_key }`. Nothing is stored
   * or cached; a refused key gives the catalogue with the refusal's code as reason.
   */
  async listCandidateModels(candidate: unknown, options: ListCandidateModelsOptions = {}): Promise<LlmModelList> {
    const parsed = parseOrThrow(LlmModelListCandidateSchema, candidate, 'model list request');
    const list = await this.listWith(parsed.provider, parsed.api_key, options.signal);
    this.logger.info({ provider: parsed.provider, source: list.source, reason: list.reason ?? null, candidate: true }, 'llm models listed');
    return list;
  }

  private async listWith(provider: LlmProvider, apiKey: string, signal: AbortSignal | undefined): Promise<LlmModelList> {
    if (this.modelLister === null) return catalogueList(provider, 'listing_disabled', reasonMessage(provider, 'listing_disabled'));
    const outcome = await this.modelLister.listModels({ provider, apiKey, timeoutMs: this.probeTimeoutMs, ...(signal ? { signal } : {}) });
    return outcome.code === 'ok' ? liveList(provider, outcome.models) : catalogueList(provider, outcome.code, outcome.message);
  }

  /**
   * Removes the scope's settings. Clearing what is not there is not an error, and still
   * goes through the store: its change event drops a cached view that a concurrent
   * delete, whose own event is still on its way, made stale.
   * @throws PreconditionFailedError when `ifMatch` does not hold.
   */
  async clear(options: ClearOptions = {}): Promise<void> {
    const scope = normalizeScope(options.scope);
    const key = settingsKeyFor(scope);
    if (options.ifMatch === undefined) {
      await this.store.delete(key);
    } else {
      const current = await this.store.get(key);
      if (!preconditionHolds(current, options.ifMatch)) throw new PreconditionFailedError();
      try {
        await this.store.delete(key, { expectedVersion: current?.version ?? 0 });
      } catch (error) {
        if (isLlmSettingsError(error, ErrorCodes.SETTINGS_CONFLICT)) throw new PreconditionFailedError();
        throw error;
      }
    }
    this.logger.info({ scope }, 'llm settings cleared');
  }

  /**
   * Tests settings with one call to the provider: the candidate when given, otherwise
   * the stored settings. Never stores anything.
   * @throws NotConfiguredError when testing stored settings and none are stored.
   */
  async test(options: TestOptions = {}): Promise<LlmTestResult> {
    const scope = normalizeScope(options.scope);
    const stored = options.candidate === undefined;
    const target: ProbeTarget = stored ? await this.resolveTarget(scope) : candidateTarget(options.candidate);
    const outcome = await this.probe.probe({
      provider: target.provider,
      apiKey: target.api_key,
      model: target.model,
      timeoutMs: this.probeTimeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const latency = outcome.latencyMs === null ? null : Math.max(0, Math.round(outcome.latencyMs));
    this.logger.info({ scope, provider: target.provider, model: target.model, code: outcome.code, latency_ms: latency, stored }, 'llm settings tested');
    return { success: outcome.code === 'ok', message: outcome.message, latency_ms: latency, code: outcome.code };
  }

  /** The stored record of a scope and its snapshot, from the cache when views are cached. */
  private current(scope: string): Promise<CurrentSettings> {
    const key = settingsKeyFor(scope);
    const load = async (): Promise<CurrentSettings> => {
      const record = await this.store.get(key);
      return { record, snapshot: record === null ? defaultSnapshot() : snapshotOf(record, await this.open(record, scope)) };
    };
    return this.cache ? this.cache.read(key, load) : load();
  }

  private async resolveTarget(scope: string): Promise<ProbeTarget> {
    const { provider, model, apiKey } = await this.resolve({ scope });
    return { provider, model, api_key: apiKey.reveal() };
  }

  private async keptApiKey(current: SettingRecord | null, provider: string, scope: string): Promise<string> {
    if (current === null) {
      throw new ValidationError(
        'Invalid settings: api_key is required because no key is stored yet',
        [{ path: 'api_key', message: 'api_key is required because no key is stored yet' }],
        ErrorCodes.VALIDATION_API_KEY_REQUIRED,
      );
    }
    const stored = await this.open(current, scope);
    if (stored.provider !== provider) {
      throw new ValidationError(
        'Invalid settings: api_key is required when the provider changes',
        [{ path: 'api_key', message: 'api_key is required when the provider changes' }],
        ErrorCodes.VALIDATION_API_KEY_REQUIRED,
      );
    }
    return stored.api_key;
  }

  /** Decrypts and checks a stored record; a token written for another scope is refused. */
  private async open(record: SettingRecord, scope: string): Promise<StoredSettings> {
    let plaintext: string;
    try {
      plaintext = await this.cipher.decrypt(record.value);
    } catch (error) {
      if (!isLlmSettingsError(error, ErrorCodes.CRYPTO_UNDECRYPTABLE)) throw error;
      throw new DecryptionError(
        'The stored settings cannot be decrypted: the configured encryption key does not match the one they were saved with. ' +
          'Configure the old key again (several keys may be listed), or save new settings to replace them.',
        { cause: error },
      );
    }
    const parsed = StoredSettingsSchema.safeParse(safeJsonParse(plaintext));
    if (!parsed.success || parsed.data.scope !== scope) throw new CorruptedSettingsError();
    return parsed.data;
  }
}

/**
 * A model the catalogue lists for the other provider is a mistake, not a gateway's name:
 * refused with a hint naming the provider it belongs to. The message quotes the
 * catalogue's id, never the input.
 */
function refuseOtherProvidersModel(provider: LlmProvider, model: string): void {
  const owner = catalogueProviderOf(model);
  if (owner === null || owner === provider) return;
  const message = `model ${model} is one of ${getProvider(owner).displayName}'s models; set provider to ${owner}, or choose one of ${getProvider(provider).displayName}'s models`;
  throw new ValidationError(`Invalid settings: ${message}`, [{ path: 'model', message }], ErrorCodes.SETTINGS_MODEL_PROVIDER_MISMATCH);
}

/** The listed models back from a live list, to cache them as the lister gave them. */
function listedModels(list: LlmModelList) {
  return list.models.map((m) => ({ id: m.id, displayName: m.display_name }));
}

/** What a probe needs: the stored settings without their scope. */
type ProbeTarget = Pick<StoredSettings, 'provider' | 'api_key' | 'model'>;

function candidateTarget(candidate: unknown): ProbeTarget {
  const parsed = parseOrThrow(LlmTestCandidateSchema, candidate, 'test request');
  return {
    provider: parsed.provider,
    api_key: parsed.api_key,
    model: parsed.model ?? defaultModelFor(parsed.provider),
  };
}

/** If-Match as RFC 9110 evaluates it: `*` needs a stored record, a list any tag equal to the current one. */
function preconditionHolds(current: SettingRecord | null, ifMatch: IfMatch | undefined): boolean {
  if (ifMatch === undefined) return true;
  if (ifMatch === '*') return current !== null;
  const tag = etagOf(current);
  return typeof ifMatch === 'string' ? tag === ifMatch : ifMatch.includes(tag);
}

function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
