import { randomUUID } from 'node:crypto';
import { ConflictError, createChangeFeed, type SettingsStore } from '@llm-settings/core';
import type { Knex } from 'knex';
import { DEFAULT_NOTIFY_CHANNEL, DEFAULT_SETTINGS_TABLE, historyTableOf } from './defaults.js';
import type { Dialect } from './dialects/dialect.js';
import { dialectFor } from './dialects/dialect-for.js';
import { connectionFactsOf } from './knex-connection-facts.js';
import { startRemoteChanges } from './remote-changes.js';
import { pruneHistory, readHistory } from './history-reads.js';
import { createKeyReads, readAll } from './settings-reads.js';
import type { SettingsTable } from './settings-table.js';
import { createSettingsWrites } from './settings-writes.js';
import { storeClosedError, toStoreError } from './store-errors.js';

/** Default of `pollIntervalMs`: other processes' writes are seen well within 1 s. */
const DEFAULT_POLL_INTERVAL_MS = 250;

export interface KnexSettingsStoreOptions {
  /**
   * Table holding the settings (and `<tableName>_history` their history); create them with
   * `migrateSettingsStore` and the same name.
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
   * @default the settings `createKnexFromUrl` made the knex with (its `connectionFacts`)
   */
  listenConnection?: string | object;
  /**
   * PostgreSQL: told each time the connection that LISTENs is back after it failed or
   * dropped (a reconnect), for metrics. Must be cheap and must not throw.
   * @default undefined (not told)
   */
  onRemoteFeedResumed?: () => void;
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
 * by `migrateSettingsStore`. Its parts: the dialect (what differs between SQLite and
 * PostgreSQL, told what `createKnexFromUrl` made the knex with), the reads and the
 * writes (see createSettingsWrites) on the table, and core's change feed, which hears of
 * other processes' writes from the first `watch` call. `close()` stops the store's own
 * change feed but leaves the knex instance open: whoever created it destroys it.
 */
export function createKnexSettingsStore(knex: Knex, options: KnexSettingsStoreOptions = {}): SettingsStore {
  const dialect = dialectFor(knex, connectionFactsOf(knex), {
    channel: options.notifyChannel ?? DEFAULT_NOTIFY_CHANNEL,
    instanceId: randomUUID(),
    listen: options.listenForRemoteChanges ?? true,
    listenConnection: options.listenConnection,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
  });
  const feed = createChangeFeed({ startRemote: () => startRemoteChanges(knex, dialect, feed.emit, options.onRemoteFeedResumed) });
  const name = options.tableName ?? DEFAULT_SETTINGS_TABLE;
  const table: SettingsTable = {
    knex,
    name,
    historyName: historyTableOf(name),
    dialect: refusedOnceClosed(dialect, () => feed.closed),
    now: options.now ?? (() => new Date()),
    emit: feed.emit,
  };
  const writes = createSettingsWrites(table);
  const readKey = createKeyReads(table);

  /**
   * Runs one operation, refusing after close and mapping failures to core's errors. Once
   * the store is closed, a call it cut short fails saying so, whatever the pool its owner
   * then destroys made of it (an acquire timed out, a connection gone); a conflict the
   * database answered stays a conflict.
   */
  const guarded = async <T>(operation: () => Promise<T>): Promise<T> => {
    if (feed.closed) throw storeClosedError();
    try {
      return await operation();
    } catch (error) {
      throw feed.closed && !(error instanceof ConflictError) ? storeClosedError(error) : toStoreError(error, dialect);
    }
  };

  return {
    get: (key) => guarded(() => readKey(key)),
    set: (key, value, setOptions = {}) => guarded(() => writes.set(key, value, setOptions.expectedVersion, setOptions.history)),
    setMany: (settings) => guarded(async () => (settings.length === 0 ? [] : writes.setMany(settings))),
    delete: (key, deleteOptions = {}) => guarded(() => writes.delete(key, deleteOptions.expectedVersion, deleteOptions.history)),
    readHistory: (query) => guarded(() => readHistory(table, query)),
    pruneHistory: (cutoff) => guarded(() => pruneHistory(table, cutoff)),
    list: () => readAll(table, guarded),
    watch: feed.watch,
    close: feed.close,
  };
}

/**
 * The dialect, whose statements are refused at once once the store is closed: gets and sets
 * batched behind a running statement start theirs after it, and would otherwise wait for a
 * connection from the pool that the store's owner destroys next, to its acquire timeout.
 */
function refusedOnceClosed(dialect: Dialect, closed: () => boolean): Dialect {
  const open = () => {
    if (closed()) throw storeClosedError();
  };
  return {
    ...dialect,
    async query(knex, sql, bindings) {
      open();
      return dialect.query(knex, sql, bindings);
    },
    async writeAlone(knex, sql, bindings) {
      open();
      return dialect.writeAlone(knex, sql, bindings);
    },
    async writeTransaction(knex, work) {
      open();
      return dialect.writeTransaction(knex, work);
    },
  };
}
