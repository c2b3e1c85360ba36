import { ABSENT_ETAG } from '../etag.js';
import { maskApiKey } from '../masking.js';
import { DEFAULT_PROVIDER_REGISTRY, type ProviderRegistry } from '../providers.js';
import type { LlmSettingsView, StoredSettings } from '../schemas.js';
import type { SealedSettings } from './settings-repository.js';

/** A view together with the version it shows. */
export interface SettingsSnapshot {
  view: LlmSettingsView;
  /** Opaque tag for If-Match; {@link ABSENT_ETAG} when nothing is stored. */
  etag: string;
  /** The store version, 0 when nothing is stored. */
  version: number;
  /**
   * `view` serialized as JSON, filled in when the snapshot comes from the view cache:
   * every reader of a cached snapshot sends the same bytes, so they are made once.
   */
  viewJson?: string;
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
    },
    etag: ABSENT_ETAG,
    version: 0,
  };
}

/** The snapshot of stored settings, with the key masked. */
export function snapshotOf(sealed: SealedSettings, settings: StoredSettings, providers: ProviderRegistry = DEFAULT_PROVIDER_REGISTRY): SettingsSnapshot {
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
    },
    etag: sealed.etag,
    version: sealed.version,
  };
}

