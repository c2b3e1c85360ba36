import {
  EndpointChangedError,
  ErrorCodes,
  ProviderDisabledError,
  NotConfiguredError,
  PreconditionFailedError,
  ValidationError,
  isLlmSettingsError,
} from '../errors.js';
import { ABSENT_ETAG } from '../etag.js';
import type { Logger } from '../ports/logger.port.js';
import { silentLogger } from '../ports/logger.port.js';
import type { ModelLister } from '../ports/model-lister.port.js';
import type { ProviderProbe } from '../ports/provider-probe.port.js';
import type { SecretCipher } from '../ports/secret-cipher.port.js';
import type { SettingsStore } from '../ports/settings-store.port.js';
import { DEFAULT_PROVIDER_REGISTRY, providerListOf, type LlmProvider, type ProviderRegistry } from '../providers.js';
import { inputSchemasOf, type InputSchemas, type LlmModelList, type LlmProviderList, type LlmTestResult, type StoredSettings } from '../schemas.js';
import { normalizeScope } from '../scopes.js';
import { parseOrThrow } from '../validation.js';
import { Secret } from '../secret.js';
import type { SettingsSnapshot } from './settings-snapshot.js';
import type { SettingsViewCacheOptions } from './settings-view-cache.js';
import type { ModelListCacheOptions } from './model-list-cache.js';
import { ModelLists } from './model-lists.js';
import { SettingsRepository, type SealedSettings } from './settings-repository.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
/** Read-modify-write attempts for an update that keeps the stored key, before a conflict is reported. */
const MAX_KEEP_KEY_ATTEMPTS = 5;

export interface LlmSettingsServiceDeps {
  store: SettingsStore;
  cipher: SecretCipher;
  probe: ProviderProbe;
  /** @default silentLogger */
  logger?: Logger;
  /**
   * The providers this service knows and accepts (the operator's configuration).
   * @default DEFAULT_PROVIDER_REGISTRY (Anthropic and OpenAI at their public roots)
   */
  providers?: ProviderRegistry;
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
  /** An enabled provider id; the stored provider (the default one when nothing is stored) when omitted. */
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
  private readonly repository: SettingsRepository;
  private readonly probe: ProviderProbe;
  private readonly logger: Logger;
  private readonly probeTimeoutMs: number;
  private readonly modelLists: ModelLists;
  /** The providers known and enabled, for the HTTP adapter's routes and lists. */
  readonly providers: ProviderRegistry;
  private readonly schemas: InputSchemas;

  constructor(deps: LlmSettingsServiceDeps) {
    this.providers = deps.providers ?? DEFAULT_PROVIDER_REGISTRY;
    this.schemas = inputSchemasOf(this.providers);
    this.repository = new SettingsRepository({ store: deps.store, cipher: deps.cipher, providers: this.providers, viewCache: deps.viewCache ?? false });
    this.probe = deps.probe;
    this.logger = deps.logger ?? silentLogger;
    this.probeTimeoutMs = deps.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.modelLists = new ModelLists({
      lister: deps.modelLister ?? null,
      timeoutMs: this.probeTimeoutMs,
      cache: deps.modelListCache ?? true,
      changes: this.repository,
    });
  }

  /** The scope's settings as clients may see them; the defaults when nothing is stored. */
  async get(options: ScopeOptions = {}): Promise<SettingsSnapshot> {
    return (await this.repository.current(normalizeScope(options.scope))).snapshot;
  }

  /**
   * The scope's settings for the code that calls the LLM, the key included as a
   * {@link Secret}. Served from the cached stored token when views are cached (the key
   * is decrypted on every call, never kept in plaintext).
   * @throws NotConfiguredError when nothing is stored; DecryptionError when the stored
   *   settings cannot be decrypted with the configured keys; ProviderDisabledError when
   *   they are for a provider the registry does not enable; EndpointChangedError when
   *   the provider's API root moved to another origin since the key was saved.
   */
  async resolve(options: ScopeOptions = {}): Promise<ResolvedSettings> {
    const { sealed } = await this.repository.current(normalizeScope(options.scope));
    if (sealed === null) throw new NotConfiguredError();
    const settings = await this.repository.open(sealed);
    await this.checkUsable(sealed, settings);
    return { provider: settings.provider, model: settings.model, apiKey: new Secret(settings.api_key), version: sealed.version };
  }

  /**
   * Saves settings. Without api_key the stored key is kept, which needs the provider
   * to be unchanged; without model the provider's default model is used.
   * @throws PreconditionFailedError when `ifMatch` does not hold.
   */
  async update(input: unknown, options: UpdateOptions = {}): Promise<SettingsSnapshot> {
    const update = parseOrThrow(this.schemas.update, input, 'settings');
    if (update.model !== undefined) refuseOtherProvidersModel(this.providers, update.provider, update.model);
    const scope = normalizeScope(options.scope);
    const descriptor = this.providers.get(update.provider);
    const model = update.model ?? descriptor.defaultModel;

    // A full replacement depends on nothing stored: it reads and checks the version only
    // when the caller asked for a precondition or when it keeps the stored key.
    // A keyless provider needs no key: without one, its settings hold none.
    const keyless = !descriptor.keyRequired && update.api_key === undefined;
    const needsVersionCheck = options.ifMatch !== undefined || (update.api_key === undefined && !keyless);
    for (let attempt = 1; ; attempt++) {
      const current = needsVersionCheck ? await this.repository.latest(scope) : null;
      if (!preconditionHolds(current, options.ifMatch)) throw new PreconditionFailedError();
      const kept = update.api_key === undefined && !keyless ? await this.keptSettings(current, update.provider) : null;
      // A kept key stays bound to the origin it was saved for: only saving the key binds it anew.
      const origin = kept?.origin ?? this.providers.origin(update.provider);
      const apiKey = update.api_key ?? kept?.api_key ?? '';
      const settings: StoredSettings = { provider: update.provider, model, api_key: apiKey, scope, origin };
      try {
        const written = await this.repository.write(settings, needsVersionCheck ? (current?.version ?? 0) : undefined);
        this.logger.info({ scope, provider: settings.provider, model, version: written.version }, 'llm settings saved');
        return written;
      } catch (error) {
        if (!isLlmSettingsError(error, ErrorCodes.SETTINGS_CONFLICT)) throw error;
        if (options.ifMatch !== undefined) throw new PreconditionFailedError();
        if (attempt >= MAX_KEEP_KEY_ATTEMPTS) throw error;
      }
    }
  }

  /** The enabled providers, in the registry's order: what a settings page offers. */
  listProviders(): LlmProviderList {
    return providerListOf(this.providers);
  }

  /** Stops following the store's change feed (when caching views or model lists). */
  close(): void {
    this.repository.close();
    this.modelLists.close();
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
    const query = parseOrThrow(this.schemas.modelListQuery, { provider: options.provider }, 'model list request');
    const { sealed, snapshot } = await this.repository.current(scope);
    const storedProvider = snapshot.view.provider;
    // Settings of a disabled provider list the default provider's catalogue when no provider is asked for.
    const provider = this.providers.get(query.provider ?? (this.providers.isEnabled(storedProvider) ? storedProvider : this.providers.defaultProvider));
    const stored = sealed === null ? null : await this.repository.open(sealed);
    const storedKey = sealed !== null && stored !== null && stored.provider === provider.id ? { sealed, apiKey: stored.api_key } : null;
    if (storedKey !== null) await this.checkUsable(storedKey.sealed, stored!);
    const list = await this.modelLists.ofStored(provider, storedKey, options.signal);
    this.logger.info({ scope, provider: provider.id, source: list.source, reason: list.reason ?? null, candidate: false }, 'llm models listed');
    return list;
  }

  /**
   * The models a key not yet saved can use: `{ provider, api_key }`. Nothing is stored
   * or cached; a refused key gives the catalogue with the refusal's code as reason.
   */
  async listCandidateModels(candidate: unknown, options: ListCandidateModelsOptions = {}): Promise<LlmModelList> {
    const parsed = parseOrThrow(this.schemas.modelListCandidate, candidate, 'model list request');
    const list = await this.modelLists.ofKey(this.providers.get(parsed.provider), parsed.api_key, options.signal);
    this.logger.info({ provider: parsed.provider, source: list.source, reason: list.reason ?? null, candidate: true }, 'llm models listed');
    return list;
  }

  /**
   * Removes the scope's settings. Clearing what is not there is not an error, and still
   * goes through the store: its change event drops a cached view that a concurrent
   * delete, whose own event is still on its way, made stale.
   * @throws PreconditionFailedError when `ifMatch` does not hold.
   */
  async clear(options: ClearOptions = {}): Promise<void> {
    const scope = normalizeScope(options.scope);
    if (options.ifMatch === undefined) {
      await this.repository.delete(scope);
    } else {
      const current = await this.repository.latest(scope);
      if (!preconditionHolds(current, options.ifMatch)) throw new PreconditionFailedError();
      try {
        await this.repository.delete(scope, current?.version ?? 0);
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
    const target: ProbeTarget = stored ? await this.resolveTarget(scope) : this.candidateTarget(options.candidate);
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

  private async resolveTarget(scope: string): Promise<ProbeTarget> {
    const { provider, model, apiKey } = await this.resolve({ scope });
    return { provider, model, api_key: apiKey.reveal() };
  }

  private candidateTarget(candidate: unknown): ProbeTarget {
    const parsed = parseOrThrow(this.schemas.testCandidate, candidate, 'test request');
    return {
      provider: parsed.provider,
      api_key: parsed.api_key,
      model: parsed.model ?? this.providers.get(parsed.provider).defaultModel,
    };
  }

  /**
   * Refuses settings that may not be used as stored: for a disabled provider, or bound to
   * another origin than the provider's API root now. A value saved before keys were bound
   * is bound on this first read, to the origin configured now.
   */
  private async checkUsable(sealed: SealedSettings, settings: StoredSettings): Promise<void> {
    if (!this.providers.isEnabled(settings.provider)) throw new ProviderDisabledError(settings.provider);
    const origin = this.providers.origin(settings.provider);
    if (settings.origin === undefined) return this.bind(sealed, settings, origin);
    // A keyless provider's settings hold no key to protect.
    if (settings.origin !== origin && settings.api_key !== '') throw new EndpointChangedError(settings.provider, settings.origin, origin);
  }

  private async bind(sealed: SealedSettings, settings: StoredSettings, origin: string): Promise<void> {
    try {
      await this.repository.write({ ...settings, origin }, sealed.version);
      this.logger.info({ scope: settings.scope, provider: settings.provider, origin }, 'llm settings bound to their endpoint');
    } catch (error) {
      // Written meanwhile: the newer value carries its own origin.
      if (!isLlmSettingsError(error, ErrorCodes.SETTINGS_CONFLICT)) throw error;
    }
  }

  private async keptSettings(current: SealedSettings | null, provider: string): Promise<StoredSettings> {
    if (current === null) {
      throw new ValidationError(
        'Invalid settings: api_key is required because no key is stored yet',
        [{ path: 'api_key', message: 'api_key is required because no key is stored yet' }],
        ErrorCodes.VALIDATION_API_KEY_REQUIRED,
      );
    }
    const stored = await this.repository.open(current);
    if (stored.provider !== provider) {
      throw new ValidationError(
        'Invalid settings: api_key is required when the provider changes',
        [{ path: 'api_key', message: 'api_key is required when the provider changes' }],
        ErrorCodes.VALIDATION_API_KEY_REQUIRED,
      );
    }
    return stored;
  }
}

/**
 * A model the catalogue lists for another enabled provider, and not for this one, is a
 * mistake, not a gateway's name: refused with a hint naming the provider it belongs to.
 * The message quotes the catalogue's id, never the input.
 */
function refuseOtherProvidersModel(providers: ProviderRegistry, provider: LlmProvider, model: string): void {
  const owner = providers.otherOwnerOf(provider, model);
  if (owner === null) return;
  const message = `model ${model} is one of ${providers.get(owner).displayName}'s models; set provider to ${owner}, or choose one of ${providers.get(provider).displayName}'s models`;
  throw new ValidationError(`Invalid settings: ${message}`, [{ path: 'model', message }], ErrorCodes.SETTINGS_MODEL_PROVIDER_MISMATCH);
}

/** What a probe needs: the stored settings without their scope. */
type ProbeTarget = Pick<StoredSettings, 'provider' | 'api_key' | 'model'>;

/** If-Match as RFC 9110 evaluates it: `*` needs stored settings, a list any tag equal to the current one. */
function preconditionHolds(current: SealedSettings | null, ifMatch: IfMatch | undefined): boolean {
  if (ifMatch === undefined) return true;
  if (ifMatch === '*') return current !== null;
  const tag = current?.etag ?? ABSENT_ETAG;
  return typeof ifMatch === 'string' ? tag === ifMatch : ifMatch.includes(tag);
}
