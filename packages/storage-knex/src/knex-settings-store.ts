import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  StorageUnavailableError,
  type SettingChange,
  type SettingChangeListener,
  type SettingRecord,
  type SettingWrite,
  type SettingsStore,
} from '@llm-settings/core';
import type { Knex } from 'knex';
import type { ChangeSubscription, Row, SqlRunner } from './dialects/dialect.js';
import { DEFAULT_NOTIFY_CHANNEL, DEFAULT_SETTINGS_TABLE } from './defaults.js';
import { dialectFor } from './dialects/dialect-for.js';
import { compareLockOrder, deleteRow, selectOne, selectPage, upsertRows, writeRow, type Statement, type UpsertRow } from './settings-sql.js';
import { toStoreError } from './store-errors.js';
import { createUpsertBatcher } from './upsert-batcher.js';

/** Records `list` reads per query. */
const LIST_PAGE_SIZE = 100;

/** Default of `pollIntervalMs`: other processes' writes are seen well within 1 s. */
const DEFAULT_POLL_INTERVAL_MS = 250;

export interface KnexSettingsStoreOptions {
  /**
   * Table holding the settings; create it with `migrateSettingsStore` and the same name.
   * @default 'settings'
   */
  tableName?: string;
  /**
   * PostgreSQL LISTEN/NOTIFY channel on which stores announce written keys (never
   * values). Channels are database-wide: give each table its own channel.
   * @default 'llm_settings_changes'
   */
  notifyChannel?: string;
  /**
   * Report other processes' writes to `watch` listeners with `origin: 'remote'`,
   * from the first `watch` call until `close()`.
   * PostgreSQL: over one extra connection that LISTENs; when it fails or drops,
   * listeners get `{ key: null, origin: 'remote' }` at once, and again once it is
   * back: writes made meanwhile went unseen.
   * SQLite: by polling `PRAGMA data_version` (see `pollIntervalMs`) on the pool's
   * connection, which then must be the only one (knex's default for sqlite3); each
   * time other connections committed, listeners get `{ key: null, origin: 'remote' }`,
   * since SQLite does not say which keys they wrote.
   * @default true
   */
  listenForRemoteChanges?: boolean;
  /**
   * PostgreSQL: node-postgres `Client` settings, or a connection URL, for the
   * connection that LISTENs. Needed only for a pg knex not made by `createKnexFromUrl`.
   * @default the settings `createKnexFromUrl` made the knex with
   */
  listenConnection?: string | object;
  /**
   * SQLite: how often, in milliseconds, the change feed checks whether other
   * connections (other processes) committed. Each check is one `PRAGMA data_version`
   * query on the pool's connection.
   * @default 250
   */
  pollIntervalMs?: number;
  /**
   * Source of `updatedAt`.
   * @default () => new Date()
   */
  now?: () => Date;
}

/**
 * A SettingsStore over a knex instance (sqlite3 or pg client), on a table made
 * by `migrateSettingsStore`. `set` and an unconditional `delete` are one
 * statement each (on PostgreSQL with their NOTIFY, in autocommit), and
 * unconditional sets made while one is in flight share the next batch (see
 * createUpsertBatcher); `setMany` and a compare-and-set `delete` run in a
 * transaction. `close()` stops the store's own change feed but leaves the knex
 * instance open: whoever created it destroys it.
 */
export function createKnexSettingsStore(knex: Knex, options: KnexSettingsStoreOptions = {}): SettingsStore {
  const table = options.tableName ?? DEFAULT_SETTINGS_TABLE;
  const now = options.now ?? (() => new Date());
  const dialect = dialectFor(knex, {
    channel: options.notifyChannel ?? DEFAULT_NOTIFY_CHANNEL,
    instanceId: randomUUID(),
    listen: options.listenForRemoteChanges ?? true,
    listenConnection: options.listenConnection,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
  });
  const listeners = new Set<SettingChangeListener>();
  let subscription: ChangeSubscription | undefined;
  let closed = false;

  const emit = (change: SettingChange) => {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch {
        // A failing listener must not undo the write or starve the other listeners.
      }
    }
  };

  const toRecord = (row: Row): SettingRecord => ({
    key: String(row.key),
    value: String(row.value),
    version: Number(row.version),
    updatedAt: dialect.fromTimestamp(row.updated_at),
  });

  /** Runs one operation, refusing after close and mapping failures to core's errors. */
  const guarded = async <T>(operation: () => Promise<T>): Promise<T> => {
    if (closed) throw new StorageUnavailableError('The settings store is closed.');
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error, dialect);
    }
  };

  const query = (statement: Statement) => dialect.query(knex, statement.sql, statement.bindings);

  /** Runs one write statement; tells other processes and local listeners the keys it wrote. */
  const writeAlone = async (statement: Statement) => {
    const rows = await dialect.writeAlone(knex, statement.sql, statement.bindings);
    for (const row of rows) emit({ key: String(row.key), origin: 'local' });
    return rows;
  };

  /**
   * Runs the statements of one batch of unconditional sets: one alone, in autocommit,
   * or several in one transaction. The first statement holds every key of the batch.
   */
  const upsertBatch = async ([first = [], ...later]: readonly (readonly UpsertRow[])[]) => {
    const statement = upsertRows(table, first);
    if (later.length === 0) return [await dialect.writeAlone(knex, statement.sql, statement.bindings)];
    return dialect.writeTransaction(knex, async (run) => {
      const written = [await run(statement.sql, statement.bindings)];
      for (const rows of later) {
        const next = upsertRows(table, rows);
        written.push(await run(next.sql, next.bindings));
      }
      await dialect.publishChanges?.(run, first.map((row) => row.key));
      return written;
    });
  };
  // Local listeners hear of each write in `set`.
  const upsert = createUpsertBatcher(upsertBatch);

  /** Runs `work` in a write transaction, then tells other processes and local listeners what changed. */
  const commit = async <T>(work: (run: SqlRunner) => Promise<T>, changedKeys: (result: T) => readonly string[]) => {
    let keys: readonly string[] = [];
    const result = await dialect.writeTransaction(knex, async (run) => {
      const outcome = await work(run);
      keys = changedKeys(outcome);
      if (keys.length > 0) await dialect.publishChanges?.(run, keys);
      return outcome;
    });
    for (const key of keys) emit({ key, origin: 'local' });
    return result;
  };

  /** Writes in lock order (a stable sort: a repeated key keeps its order); returns the records in the order given. */
  const writeEach = async (run: SqlRunner, writes: readonly SettingWrite[]) => {
    const records: SettingRecord[] = [];
    const inLockOrder = writes.map((write, index) => ({ write, index })).sort((a, b) => compareLockOrder(a.write.key, b.write.key));
    for (const { write, index } of inLockOrder) {
      const statement = writeRow(table, write, dialect.toTimestamp(now()));
      const [row] = await run(statement.sql, statement.bindings);
      // No row back: the version check failed. Throwing rolls back the earlier writes too.
      if (!row) throw new ConflictError();
      records[index] = toRecord(row);
    }
    return records;
  };

  async function* pages(): AsyncGenerator<SettingRecord> {
    let afterKey: string | undefined;
    for (;;) {
      const rows = await guarded(() => query(selectPage(table, dialect.orderedKey, afterKey, LIST_PAGE_SIZE)));
      for (const row of rows) yield toRecord(row);
      if (rows.length < LIST_PAGE_SIZE) return;
      afterKey = String(rows[rows.length - 1]?.key);
    }
  }

  const startRemoteFeed = () => {
    if (subscription || closed || !dialect.subscribeToChanges) return;
    // While the feed is down other processes' writes go unseen: a null key tells
    // listeners to drop whatever they derived, when it goes down and again when it is back.
    const feedGap = () => emit({ key: null, origin: 'remote' });
    subscription = dialect.subscribeToChanges(knex, {
      onRemoteChange: (key) => emit({ key, origin: 'remote' }),
      onInterrupted: feedGap,
      onResumed: feedGap,
    });
  };

  return {
    get(key) {
      return guarded(async () => {
        const [row] = await query(selectOne(table, key));
        return row ? toRecord(row) : null;
      });
    },

    set(key, value, setOptions = {}) {
      return guarded(async () => {
        const { expectedVersion } = setOptions;
        const updatedAt = dialect.toTimestamp(now());
        if (expectedVersion === undefined) {
          const record = toRecord(await upsert({ key, value, updatedAt }));
          emit({ key, origin: 'local' });
          return record;
        }
        const [row] = await writeAlone(writeRow(table, { key, value, expectedVersion }, updatedAt));
        // No row back: the version check failed.
        if (!row) throw new ConflictError();
        return toRecord(row);
      });
    },

    setMany(writes) {
      if (writes.length === 0) return guarded(async () => []);
      return guarded(() => commit((run) => writeEach(run, writes), (records) => records.map((record) => record.key)));
    },

    delete(key, deleteOptions = {}) {
      const { expectedVersion } = deleteOptions;
      return guarded(async () => {
        const deleted =
          expectedVersion === undefined
            ? (await writeAlone(deleteRow(table, key, undefined))).length > 0
            : await commit(
                // Telling "missing" from "another version" takes a second read, in the same transaction.
                async (run) => {
                  const statement = deleteRow(table, key, expectedVersion);
                  if ((await run(statement.sql, statement.bindings)).length > 0) return true;
                  const existing = selectOne(table, key);
                  if ((await run(existing.sql, existing.bindings)).length > 0) throw new ConflictError();
                  return false;
                },
                (removed) => (removed ? [key] : []),
              );
        // Found nothing: still reported to local listeners (a concurrent delete's own event may
        // not have arrived yet), but not announced to other processes, since nothing changed.
        if (!deleted) emit({ key, origin: 'local' });
        return deleted;
      });
    },

    list() {
      return pages();
    },

    watch(listener) {
      listeners.add(listener);
      startRemoteFeed();
      return () => {
        listeners.delete(listener);
      };
    },

    async close() {
      closed = true;
      listeners.clear();
      await subscription?.close();
    },
  };
}
