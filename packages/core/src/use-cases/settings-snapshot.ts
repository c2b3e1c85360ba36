import { ABSENT_ETAG } from '../etag.js';
import { maskApiKey } from '../masking.js';
import { DEFAULT_PROVIDER_REGISTRY, type ProviderRegistry } from '../providers.js';
import { hasOwnSettings, type LlmSettingsView, type StoredValue } from '../schemas.js';
import type { SealedSettings } from './settings-repository.js';

/**
 * A view together with the version it shows. Read-only: the view cache hands one frozen
 * snapshot to every reader, so a write would throw at run time; the types refuse it first.
 */
export interface SettingsSnapshot {
  readonly view: Readonly<LlmSettingsView>;
  /** Opaque tag for If-Match; {@link ABSENT_ETAG} when nothing is stored. */
  readonly etag: string;
  /** The store version, 0 when nothing is stored. */
  readonly version: number;
  /**
   * `view` serialized as JSON, filled in when the snapshot comes from the view cache:
   * every reader of a cached snapshot sends the same bytes, so they are made once.
   */
  readonly viewJson?: string;
}

/** What clients see when nothing is stored: the default provider (the first enabled one) and its model, no key. */
export function defaultSnapshot(providers: ProviderRegistry = DEFAULT_PROVIDER_REGISTRY): SettingsSnapshot {
  const provider = providers.defaultProvider;
  return {
    view: {
      provider,
      model: providers.get(provider).defaultModel,
      api_key_set: false,
      api_key_masked: null,
      updated_at: null,
      model_verified: true,
      api_key_source: 'none',
      inherit_from: null,
    },
    etag: ABSENT_ETAG,
    version: 0,
  };
}

/**
 * The snapshot of a scope's stored value alone, with the key masked: own settings, or a
 * link alone (the defaults, no key, and the scope it inherits from; see {@link inheritedSnapshot}).
 */
export function snapshotOf(sealed: SealedSettings, settings: StoredValue, providers: ProviderRegistry = DEFAULT_PROVIDER_REGISTRY): SettingsSnapshot {
  if (!hasOwnSettings(settings)) {
    const defaults = defaultSnapshot(providers);
    return {
      view: { ...defaults.view, updated_at: sealed.updatedAt.toISOString(), inherit_from: settings.inherit_from },
      etag: sealed.etag,
      version: sealed.version,
    };
  }
  return {
    view: {
      provider: settings.provider,
      model: settings.model,
      // A keyless provider's settings hold no key.
      api_key_set: settings.api_key !== '',
      api_key_masked: settings.api_key === '' ? null : maskApiKey(settings.api_key),
      updated_at: sealed.updatedAt.toISOString(),
      model_verified: providers.catalogueModel(settings.provider, settings.model) !== null,
      ...(providers.isEnabled(settings.provider) ? {} : { provider_enabled: false as const }),
      api_key_source: 'own',
      inherit_from: settings.inherit_from ?? null,
    },
    etag: sealed.etag,
    version: sealed.version,
  };
}

/**
 * What a scope without settings of its own shows when a parent's are found: the parent's
 * provider, model and whether it has a key, never the parent's mask; the scope's own
 * version, tag, time and link, since a write to the scope is a write of its own value.
 */
export function inheritedSnapshot(own: SettingsSnapshot, parent: SettingsSnapshot): SettingsSnapshot {
  return {
    view: { ...parent.view, api_key_masked: null, api_key_source: 'inherited', inherit_from: own.view.inherit_from, updated_at: own.view.updated_at },
    etag: own.etag,
    version: own.version,
  };
}

