/** One stored value and the bookkeeping the store keeps for it. */
export interface SettingRecord {
  readonly key: string;
  /** Stored exactly as given: the store never transforms it. */
  readonly value: string;
  /** 1 on first write, incremented by every write to the key. */
  readonly version: number;
  readonly updatedAt: Date;
}

/**
 * What a change was, for the history of a scope: recorded with the write, in its
 * transaction. Names and flags only: never a value, a key, a mask or a token.
 */
export interface HistoryEntry {
  /** The scope the change is of. */
  readonly scope: string;
  /** `update`, `delete`, `inherit`, `rotate`, `confirm-endpoint`, `revoke-tokens`. */
  readonly action: string;
  /** Who: `admin`, `token:<jti>`, `jwt:<sub>`, `embedded`, `cli`. */
  readonly actor: string;
  /** The fields the change changed (`provider`, `model`, `api_key`, `inherit_from`). */
  readonly fields: readonly string[];
  readonly apiKeyChanged: boolean;
}

/** A history entry as the store keeps it. */
export interface HistoryRecord extends HistoryEntry {
  /** Given by the store, increasing with each append: the cursor of {@link HistoryQuery.before}. */
  readonly id: number;
  /** When the change was written. */
  readonly at: Date;
}

/** One page of a scope's history. */
export interface HistoryQuery {
  readonly scope: string;
  /** Most entries returned, at least 1. */
  readonly limit: number;
  /** Only entries older than this id (a page's last id): the next page. Omitted or null: from the newest. */
  readonly before?: number | null;
}

export interface SetOptions {
  /**
   * Compare-and-set: the write happens only if the key's current version equals this
   * (0 means "the key must not exist"). Omitted: the write always happens.
   */
  readonly expectedVersion?: number;
  /**
   * Appended to the history in the write's own transaction: both happen or neither does.
   * Omitted: nothing is appended.
   */
  readonly history?: HistoryEntry;
}

export interface DeleteOptions {
  /** Delete only if the key's current version equals this. */
  readonly expectedVersion?: number;
  /**
   * Appended to the history in the delete's own transaction, only when a record was
   * removed: a delete of nothing changed nothing, and records nothing.
   */
  readonly history?: HistoryEntry;
}

export interface SettingWrite extends SetOptions {
  readonly key: string;
  readonly value: string;
}

/**
 * A write somewhere: the key only, never the value. `key: null` means the feed of
 * remote changes has just started, or was interrupted (or resumed): changes may have
 * been missed, so anything derived from stored values must be dropped.
 */
export interface SettingChange {
  readonly key: string | null;
  /** `local` for writes by this store instance, `remote` for writes seen from other processes. */
  readonly origin: 'local' | 'remote';
}

export type SettingChangeListener = (change: SettingChange) => void;

/**
 * Key-value storage of encrypted settings with versions. Keys are 1 to 255
 * characters; values are opaque strings up to at least 64 KiB.
 * Errors: a version mismatch is a ConflictError; an unreachable or read-only
 * backend is a StorageUnavailableError whose message names no host or password.
 */
export interface SettingsStore {
  /**
   * Reads one key.
   * @returns the record, or null when the key does not exist.
   */
  get(key: string): Promise<SettingRecord | null>;

  /**
   * Creates or replaces a key's value and increments its version.
   * @returns the record as written.
   * @throws ConflictError when `expectedVersion` is given and does not match.
   */
  set(key: string, value: string, options?: SetOptions): Promise<SettingRecord>;

  /**
   * Writes several keys atomically: all writes happen, with the history entry of each
   * write that has one, or none does.
   * @returns the records as written, in the order given.
   * @throws ConflictError when any `expectedVersion` does not match; nothing is written then.
   */
  setMany(writes: readonly SettingWrite[]): Promise<SettingRecord[]>;

  /**
   * Removes a key. Local listeners hear of the key even when nothing was removed: the
   * caller may have raced a delete whose own event is still on its way, and must not be
   * answered from a view derived before it.
   * @returns true when a record was removed, false when the key did not exist.
   * @throws ConflictError when `expectedVersion` is given and the key exists at another version.
   */
  delete(key: string, options?: DeleteOptions): Promise<boolean>;

  /**
   * Reads a page of one scope's history, newest first (by decreasing id).
   * @returns at most `limit` entries of `scope`, with ids below `before` when given.
   */
  readHistory(query: HistoryQuery): Promise<HistoryRecord[]>;

  /**
   * Removes the history entries written before `cutoff`.
   * @returns how many were removed.
   */
  pruneHistory(cutoff: Date): Promise<number>;

  /**
   * Iterates every record, in key order (by Unicode code point, as `compareCodePoints`
   * sorts), for whole-store work such as key rotation.
   */
  list(): AsyncIterable<SettingRecord>;

  /**
   * Subscribes to writes (set, setMany, delete). Listeners run after the write is
   * durable and before the write's promise resolves, so a caller answered after a write
   * can never be served a view that the write made stale; a listener that throws does
   * not affect the write or other listeners.
   * Stores shared between processes also report other processes' writes, and a
   * `key: null` change once that feed is up after the first `watch` (a write made
   * while it started went unseen, and a value read meanwhile may be stale), and
   * whenever it is interrupted or resumes.
   * @returns a function that unsubscribes.
   */
  watch(listener: SettingChangeListener): () => void;

  /** Releases connections and listeners. The store is unusable afterwards. */
  close(): Promise<void>;
}
