import type { Knex } from 'knex';

/** One result row, as the driver returns it. */
export type Row = Record<string, unknown>;

/** Runs one SQL statement (knex `?`/`??` placeholders) and returns its rows. */
export type SqlRunner = (sql: string, bindings?: readonly Knex.RawBinding[]) => Promise<Row[]>;

/** What a dialect reports about other processes' writes. */
export interface RemoteChangeHandlers {
  /** Another process wrote `key`; null: it wrote, and the feed cannot tell which keys. */
  onRemoteChange(key: string | null): void;
  /** The feed went down, or could not start: changes made from now on go unseen. */
  onInterrupted(): void;
  /** The feed is back after an interruption: changes made meanwhile were missed. */
  onResumed(): void;
  /**
   * The feed is up for the first time: changes made while it started (after the first
   * `watch`, while a LISTEN connected or a first poll ran) went unseen.
   */
  onStarted(): void;
}

/** A running change feed; `close` stops it for good. */
export interface ChangeSubscription {
  close(): Promise<void>;
}

/**
 * The few things that differ between SQLite and PostgreSQL. The store itself is
 * one implementation written in SQL both engines understand (ON CONFLICT, RETURNING).
 */
export interface Dialect {
  /** Runs a statement outside any explicit transaction. */
  query(knex: Knex, sql: string, bindings?: readonly Knex.RawBinding[]): Promise<Row[]>;

  /**
   * Runs one write statement whose `RETURNING` includes `"key"`, on its own: atomic
   * and durable when it resolves, one round trip, no explicit transaction. Announces
   * the key of every returned row to other processes.
   */
  writeAlone(knex: Knex, sql: string, bindings: readonly Knex.RawBinding[]): Promise<Row[]>;

  /**
   * Runs `work` in a transaction that serializes against every other writer, in
   * this process or another; commits when `work` resolves, rolls back when it throws.
   * The first statement of `work` must write (see the SQLite dialect).
   */
  writeTransaction<T>(knex: Knex, work: (run: SqlRunner) => Promise<T>): Promise<T>;

  /** SQL expression for the key column that sorts and compares by code point. */
  readonly orderedKey: string;

  /** Converts a Date to what the `updated_at` column stores. */
  toTimestamp(date: Date): Knex.RawBinding;
  /** Converts what the `updated_at` column returns to a Date. */
  fromTimestamp(raw: unknown): Date;

  /** True when `error` means the database cannot be reached or cannot write. */
  isUnavailable(error: unknown): boolean;

  /**
   * For an error `isUnavailable` accepts, what the operator must fix when the error says
   * (a refused login, a missing database), in words that never name the password;
   * undefined for the generic message.
   */
  unavailableReason?(error: unknown): string | undefined;

  /** Announces written keys to other processes; runs inside `writeTransaction`. */
  publishChanges?(run: SqlRunner, keys: readonly string[]): Promise<void>;

  /** Starts receiving other processes' writes; absent when the store does not listen. */
  subscribeToChanges?(knex: Knex, handlers: RemoteChangeHandlers): ChangeSubscription;
}
