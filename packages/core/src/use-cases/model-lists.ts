import type { ListedModel, ModelLister } from '../ports/model-lister.port.js';
import type { ProviderDescriptor } from '../providers.js';
import type { LlmModelList, ModelListReason } from '../schemas.js';
import { ModelListCache, type ModelListCacheOptions } from './model-list-cache.js';
import type { ScopeChangeListener, SealedSettings } from './settings-repository.js';

export interface ModelListsOptions {
  /** Lists a key's models live; null: every list is the built-in catalogue, reason `listing_disabled`. */
  lister: ModelLister | null;
  /** How long a provider call may take. */
  timeoutMs: number;
  /** Keep each scope's live list (see {@link ModelListCache}); `true` uses its defaults. */
  cache: boolean | ModelListCacheOptions;
  /** The stored settings' change feed, by scope, which drops a scope's cached list. */
  changes: { watch(listener: ScopeChangeListener): () => void };
}

/** A stored key of a scope, to list models with: the token names the write it came from. */
export interface StoredKey {
  readonly sealed: SealedSettings;
  readonly apiKey: string;
}

/**
 * The models to choose from: a key's live list, or the built-in catalogue with the reason
 * it is not. Live lists of stored keys are cached against the stored token, never the key.
 */
export class ModelLists {
  private readonly lister: ModelLister | null;
  private readonly timeoutMs: number;
  private readonly cache: ModelListCache | null;

  constructor(options: ModelListsOptions) {
    this.lister = options.lister;
    this.timeoutMs = options.timeoutMs;
    this.cache = this.lister && options.cache ? new ModelListCache(options.changes, options.cache === true ? {} : options.cache) : null;
  }

  /**
   * The models of `provider` for a scope: the stored key's own list; when no key of
   * `provider` is stored, the catalogue, or the live list of a provider that takes no key.
   * `partition` is the asking scope (see {@link ofKey}).
   */
  async ofStored(provider: ProviderDescriptor, stored: StoredKey | null, signal: AbortSignal | undefined, partition: string): Promise<LlmModelList> {
    if (stored === null) {
      return provider.keyRequired ? catalogueList(provider, 'no_stored_key', reasonMessage(provider, 'no_stored_key')) : this.ofKey(provider, '', signal, partition);
    }
    const { scope, token } = stored.sealed;
    const cached = this.cache?.get(scope, token) ?? null;
    if (cached !== null) return liveList(provider, cached);
    const list = await this.ofKey(provider, stored.apiKey, signal, partition);
    if (list.source === 'live') this.cache?.set(scope, token, listedModels(list));
    return list;
  }

  /**
   * The models `apiKey` lists at `provider`, never cached; the catalogue with the refusal's
   * code when it is refused. `partition`, the asking scope, keeps the lister from sharing
   * the call with another scope's.
   */
  async ofKey(provider: ProviderDescriptor, apiKey: string, signal: AbortSignal | undefined, partition: string): Promise<LlmModelList> {
    if (this.lister === null) return catalogueList(provider, 'listing_disabled', reasonMessage(provider, 'listing_disabled'));
    const outcome = await this.lister.listModels({ provider: provider.id, apiKey, timeoutMs: this.timeoutMs, partition, ...(signal ? { signal } : {}) });
    return outcome.code === 'ok' ? liveList(provider, outcome.models) : catalogueList(provider, outcome.code, outcome.message);
  }

  /** Stops following the change feed (when caching). */
  close(): void {
    this.cache?.close();
  }
}

/** The listed models back from a live list, to cache them as the lister gave them. */
function listedModels(list: LlmModelList): ListedModel[] {
  return list.models.map((m) => ({ id: m.id, displayName: m.display_name }));
}

/** The fixed wording of the reasons that are not a listing's outcome (those bring their own message). */
function reasonMessage(provider: ProviderDescriptor, reason: 'no_stored_key' | 'listing_disabled'): string {
  const name = provider.displayName;
  return reason === 'no_stored_key'
    ? `No ${name} API key is stored; these are the built-in ${name} models.`
    : `Models are not listed from ${name} by this service; these are the built-in ones.`;
}

/** The built-in catalogue of `provider`, saying why it is not the live list. */
function catalogueList(provider: ProviderDescriptor, reason: ModelListReason, message: string): LlmModelList {
  return {
    provider: provider.id,
    source: 'catalogue',
    models: provider.catalogue.map((m) => ({ id: m.id, display_name: m.displayName, default: m.id === provider.defaultModel })),
    reason,
    message,
  };
}

/**
 * The models a key listed, in the provider's order. A model without a display name
 * (OpenAI gives none) takes the catalogue's, else its id.
 */
function liveList(provider: ProviderDescriptor, models: readonly ListedModel[]): LlmModelList {
  return {
    provider: provider.id,
    source: 'live',
    models: models.map((m) => ({
      id: m.id,
      display_name: m.displayName ?? provider.catalogue.find((entry) => entry.id === m.id)?.displayName ?? m.id,
      default: m.id === provider.defaultModel,
    })),
  };
}
