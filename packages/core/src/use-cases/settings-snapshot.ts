import { ABSENT_ETAG, etagOf } from '../etag.js';
import { maskApiKey } from '../masking.js';
import { catalogueModel } from '../model-catalogue.js';
import type { SettingRecord } from '../ports/settings-store.port.js';
import { DEFAULT_PROVIDER, defaultModelFor } from '../providers.js';
import type { LlmSettingsView, StoredSettings } from '../schemas.js';

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

/** What clients see when nothing is stored: the default provider and model, no key. */
export function defaultSnapshot(): SettingsSnapshot {
  return {
    view: {
      provider: DEFAULT_PROVIDER,
      model: defaultModelFor(DEFAULT_PROVIDER),
      api_key_set: false,
      api_key_masked: null,
      updated_at: null,
      model_verified: true,
    },
    etag: ABSENT_ETAG,
    version: 0,
  };
}

/** The snapshot of a stored record, with the key masked. */
export function snapshotOf(record: SettingRecord, settings: StoredSettings): SettingsSnapshot {
  return {
    view: {
      provider: settings.provider,
      model: settings.model,
      api_key_set: true,
      api_key_masked: maskApiKey(settings.api_key),
      updated_at: record.updatedAt.toISOString(),
      model_verified: catalogueModel(settings.provider, settings.model) !== null,
    },
    etag: etagOf(record),
    version: record.version,
  };
}

