import { CorruptedSettingsError, DecryptionError, ErrorCodes, isLlmSettingsError } from '../errors.js';
import { setNewest } from '../bounded-map.js';
import { etagOf } from '../etag.js';
import type { SecretCipher } from '../ports/secret-cipher.port.js';
import type { HistoryEntry, HistoryQuery, HistoryRecord, SettingRecord, SettingWrite, SettingsStore } from '../ports/settings-store.port.js';
import type { ProviderRegistry } from '../providers.js';
import { StoredValueSchema, type StoredValue } from '../schemas.js';
import { scopeOfKey, settingsKeyFor } from '../scopes.js';
import { FreshReads } from './fresh-reads.js';
import { defaultSnapshot, snapshotOf, type SettingsSnapshot } from './settings-snapshot.js';
import { SettingsViewCache, type SettingsViewCacheOptions } from './settings-view-cache.js';

/** A scope's stored settings, still encrypted: {@link SettingsRepository.open} gives them. */
export interface SealedSettings {
  readonly scope: string;
  /** The store version. */
  readonly version: number;
  /** Entity tag of this write, for If-Match. */
  readonly etag: string;
  /**
   * The encrypted token, never the plaintext: it names this very write, so a new key is a
   * new token even at a reused version.
   */
  readonly token: string;
  readonly updatedAt: Date;
}

/** A scope's stored settings (sealed) and the snapshot clients see. */
export interface CurrentSettings {
  readonly sealed: SealedSettings | null;
  readonly snapshot: SettingsSnapshot;
}

/** Told which scope's settings changed (every scope's for null), by this process or another. */
export type ScopeChangeListener = (scope: string | null) => void;

export interface SettingsRepositoryOptions {
  store: SettingsStore;
  cipher: SecretCipher;
  /** Makes the snapshots (default provider and model, catalogue checks). */
  providers: ProviderRegistry;
  /**
   * Serve {@link SettingsRepository.current} from a cache of each scope's sealed settings
   * and snapshot, which the store's change feed invalidates; `true` uses its defaults.
   * @default false
   */
  viewCache?: boolean | SettingsViewCacheOptions;
}

/**
 * The LLM settings of each scope as the store keeps them: the only place that knows a
 * scope's store key, that settings are JSON encrypted by the cipher, and that the
 * ciphertext names its scope (a token copied to another scope's key is refused).
 */
export class SettingsRepository {
  private readonly store: SettingsStore;
  private readonly cipher: SecretCipher;
  private readonly providers: ProviderRegistry;
  private readonly cache: SettingsViewCache | null;
  /**
   * Tokens whose plaintext passed the schema before (ciphertext only, as the view cache
   * holds it): a token always decrypts to the same plaintext, so its check (zod, and the
   * model's look-alike-key heuristic) is not repeated on every LLM call that resolves it.
   */
  private readonly checkedTokens = new Map<string, true>();
  private readonly freshReads = new FreshReads((scope) => this.latest(scope));

  constructor(options: SettingsRepositoryOptions) {
    this.store = options.store;
    this.cipher = options.cipher;
    this.providers = options.providers;
    this.cache = options.viewCache ? new SettingsViewCache(this.store, options.viewCache === true ? {} : options.viewCache) : null;
  }

  /** The scope's sealed settings and snapshot, from the view cache when there is one. */
  current(scope: string): Promise<CurrentSettings> {
    const load = async (): Promise<CurrentSettings> => {
      const sealed = await this.latest(scope);
      return {
        sealed,
        snapshot: sealed === null ? defaultSnapshot(this.providers) : snapshotOf(sealed, await this.open(sealed), this.providers),
      };
    };
    return this.cache ? this.cache.read(settingsKeyFor(scope), load) : load();
  }

  /**
   * The scope's sealed settings read from the store after this call began, one read shared
   * by the concurrent callers of a scope ({@link FreshReads}). For a write that replaces the
   * settings whatever they are: what it keeps (the link) and its history's fields come from
   * the value it replaces, which another process may have written just before this request
   * came (a view cache trails that by the change feed's delay); and 50 writers of one key
   * make two reads, not 50.
   */
  fresh(scope: string): Promise<SealedSettings | null> {
    return this.freshReads.get(scope);
  }

  /** The scope's sealed settings as the store has them now (never cached); null when none are stored. */
  async latest(scope: string): Promise<SealedSettings | null> {
    const record = await this.store.get(settingsKeyFor(scope));
    return record === null ? null : sealedOf(record, scope);
  }

  /**
   * Decrypts and checks sealed settings; a token written for another scope is refused.
   * @throws DecryptionError when the configured keys cannot decrypt them;
   *   CorruptedSettingsError when they are not settings of their scope.
   */
  async open(sealed: SealedSettings): Promise<StoredValue> {
    let plaintext: string;
    try {
      plaintext = await this.cipher.decrypt(sealed.token);
    } catch (error) {
      if (!isLlmSettingsError(error, ErrorCodes.CRYPTO_UNDECRYPTABLE)) throw error;
      throw new DecryptionError(
        'The stored settings cannot be decrypted: the configured encryption key does not match the one they were saved with. ' +
          'Configure the old key again (several keys may be listed), or save new settings to replace them.',
        { cause: error },
      );
    }
    const checked = this.checkedTokens.has(sealed.token);
    const settings = checked ? (JSON.parse(plaintext) as StoredValue) : settingsOf(plaintext);
    if (settings === null || settings.scope !== sealed.scope) throw new CorruptedSettingsError();
    if (!checked) setNewest(this.checkedTokens, sealed.token, true, CHECKED_TOKENS);
    return settings;
  }

  /**
   * Stores `settings` under their scope, encrypted; with `expectedVersion`, only over that
   * version (0: only where nothing is stored); with `history`, that entry in the same transaction.
   * @returns the snapshot of what was written.
   * @throws ConflictError (SETTINGS.CONFLICT) when `expectedVersion` does not hold.
   */
  async write(settings: StoredValue, expectedVersion?: number, history?: HistoryEntry): Promise<SettingsSnapshot> {
    const key = settingsKeyFor(settings.scope);
    const write = async (): Promise<CurrentSettings> => {
      const token = await this.cipher.encrypt(JSON.stringify(settings));
      const written = await this.store.set(key, token, {
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
        ...(history === undefined ? {} : { history }),
      });
      const sealed = sealedOf(written, settings.scope);
      return { sealed, snapshot: snapshotOf(sealed, settings, this.providers) };
    };
    return (await (this.cache ? this.cache.written(key, write) : write())).snapshot;
  }

  /**
   * Removes the scope's settings; with `expectedVersion`, only that version; with `history`,
   * that entry in the same transaction when something was removed.
   * @throws ConflictError (SETTINGS.CONFLICT) when `expectedVersion` does not hold.
   */
  async delete(scope: string, expectedVersion?: number, history?: HistoryEntry): Promise<void> {
    await this.store.delete(settingsKeyFor(scope), {
      ...(expectedVersion === undefined ? {} : { expectedVersion }),
      ...(history === undefined ? {} : { history }),
    });
  }

  /**
   * Puts back the sealed value a write at `version` replaced, exactly as it was (its
   * token, which may be one no key opens), or removes the scope's settings when it
   * replaced none; `history` is appended in the same transaction.
   * @throws ConflictError (SETTINGS.CONFLICT) when the scope was written again since `version`.
   */
  async restore(scope: string, replaced: SealedSettings | null, version: number, history: HistoryEntry): Promise<void> {
    if (replaced === null) return this.delete(scope, version, history);
    await this.store.set(settingsKeyFor(scope), replaced.token, { expectedVersion: version, history });
  }

  /**
   * Rewrites every scope's settings that `change` gives new settings for, in one atomic
   * write; `change` returns null to leave them. A value that cannot be decrypted or is not
   * settings stops it, and nothing is written (the error names the store key, never the value).
   * Each rewrite appends `historyOf(scope)` to the history, in the same transaction.
   * @returns how many settings were rewritten.
   */
  async rewriteAll(change: (settings: StoredValue) => StoredValue | null, historyOf: (scope: string) => HistoryEntry): Promise<number> {
    const writes: SettingWrite[] = [];
    for await (const record of this.store.list()) {
      // Other records (token revocations) share the store; they hold no settings.
      if (scopeOfKey(record.key) === null) continue;
      const settings = settingsOf(await this.cipher.decrypt(record.value));
      if (settings === null) throw new CorruptedSettingsError(`The value stored under "${record.key}" failed an integrity check; nothing was written.`);
      const changed = change(settings);
      if (changed !== null) {
        writes.push({ key: record.key, value: await this.cipher.encrypt(JSON.stringify(changed)), expectedVersion: record.version, history: historyOf(changed.scope) });
      }
    }
    if (writes.length > 0) await this.store.setMany(writes);
    return writes.length;
  }

  /** Reads a page of the scope's history, newest first. */
  history(query: HistoryQuery): Promise<HistoryRecord[]> {
    return this.store.readHistory(query);
  }

  /** Tells `listener` of every change to stored settings, by scope. @returns unsubscribe */
  watch(listener: ScopeChangeListener): () => void {
    return this.store.watch(({ key }) => {
      const scope = key === null ? null : scopeOfKey(key);
      if (key === null || scope !== null) listener(scope);
    });
  }

  /** Stops following the store's change feed (when caching views). */
  close(): void {
    this.cache?.close();
  }
}

/** Whether `error` says stored settings cannot be opened: no configured key decrypts them, or they are not settings of their scope. */
export function isUnreadable(error: unknown): boolean {
  return isLlmSettingsError(error, ErrorCodes.CRYPTO_UNDECRYPTABLE) || isLlmSettingsError(error, ErrorCodes.SETTINGS_CORRUPTED);
}

/** Tokens remembered as checked: far more than the scopes a service reads often. */
const CHECKED_TOKENS = 1024;

function sealedOf(record: SettingRecord, scope: string): SealedSettings {
  return { scope, version: record.version, etag: etagOf(record), token: record.value, updatedAt: record.updatedAt };
}

/** The settings a decrypted plaintext holds; null when it holds none. */
function settingsOf(plaintext: string): StoredValue | null {
  let json: unknown;
  try {
    json = JSON.parse(plaintext);
  } catch {
    return null;
  }
  const parsed = StoredValueSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
