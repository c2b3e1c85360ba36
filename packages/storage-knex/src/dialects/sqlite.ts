import { StorageUnavailableError } from '@llm-settings/core';
import type { Knex } from 'knex';
import { SQLITE_WRITE_WAIT_MS } from '../defaults.js';
import type { SqliteFileGuard } from '../sqlite-file-guard.js';
import type { Dialect, Row, SqlRunner } from './dialect.js';
import { hasErrorCode, isKnexPoolFailure, isMissingTable, MIGRATIONS_NOT_RUN } from './driver-errors.js';
import { pollDataVersion } from './sqlite-data-version.js';
import { createWriteQueue } from './sqlite-write-queue.js';

/** SQLite result codes that mean "cannot read or write the file right now". */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_READONLY',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_PERM',
  'SQLITE_NOMEM',
  'SQLITE_PROTOCOL',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
]);

/** knex's sqlite3 client answers a raw statement with the row array itself. */
function rowsOf(result: unknown): Row[] {
  return Array.isArray(result) ? (result as Row[]) : [];
}

const READ_ONLY_CODES: ReadonlySet<string> = new Set(['SQLITE_READONLY']);

/**
 * SQLite opens a file it cannot write (immutable, read-only mount, failed WAL) read-only,
 * and the connection stays read-only after the file is writable again: writes would fail
 * until a restart. A write refused so wrote nothing: the pool (of a knex made by
 * createKnexFromUrl) replaces its connections, and the write is tried once more, so the
 * first write after recovery succeeds.
 */
async function retriedOnFreshConnection<T>(replaceConnections: (() => void) | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!replaceConnections || !hasErrorCode(error, READ_ONLY_CODES)) throw error;
    replaceConnections();
    return write();
  }
}

/**
 * Runs a write, and refuses to report it done when the database file at the path is no
 * longer the one the connection has open (deleted or replaced; see SqliteFileGuard): the
 * write landed in a file nobody will open again. Checked after the write, so a file
 * removed while it ran is caught too; once a loss is known, writes are refused before
 * they run. One stat per write statement or transaction (a batch of sets is one), only
 * for a knex made by createKnexFromUrl.
 */
async function writtenToTheFileAtThePath<T>(databaseFile: SqliteFileGuard | undefined, write: () => Promise<T>): Promise<T> {
  if (databaseFile?.lost) throw databaseFileLost();
  const result = await write();
  if (databaseFile && !databaseFile.check()) throw databaseFileLost();
  return result;
}

function databaseFileLost(): StorageUnavailableError {
  return new StorageUnavailableError(
    'The SQLite database file was deleted or replaced while open: writes are refused, since they would be lost. Restore the file and restart.',
  );
}

export interface SqliteDialectOptions {
  /** Poll interval of the feed of other connections' commits; undefined: no feed. */
  pollIntervalMs?: number | undefined;
  /** Names this store's marker table on the pool's connection (see pollDataVersion). */
  instanceId: string;
  /** Has the pool replace its connections (createKnexFromUrl's); undefined: a write refused as read-only fails. */
  replaceConnections?: (() => void) | undefined;
  /** The database file the connection opened (createKnexFromUrl's); undefined: writes are not checked against the path. */
  databaseFile?: SqliteFileGuard | undefined;
}

/**
 * SQLite: a write that is one statement runs in autocommit; the statement takes
 * the write lock before it reads, so it waits for busy_timeout like any writer.
 * Several statements run in a knex transaction, which knex opens with a plain
 * (deferred) BEGIN that takes no lock: the store's transactions write in their first
 * statement, which takes the write lock the same way. (A deferred transaction that
 * read first could fail with SQLITE_BUSY on upgrading, without waiting.) Other
 * connections' commits are found by polling `PRAGMA data_version`.
 */
export function createSqliteDialect(options: SqliteDialectOptions): Dialect {
  const { replaceConnections, databaseFile } = options;
  const inTurn = createWriteQueue(SQLITE_WRITE_WAIT_MS);
  const dialect: Dialect = {
    async query(knex, sql, bindings = []) {
      return rowsOf(await knex.raw(sql, [...bindings]));
    },

    async writeAlone(knex, sql, bindings) {
      return inTurn(() =>
        writtenToTheFileAtThePath(databaseFile, () => retriedOnFreshConnection(replaceConnections, async () => rowsOf(await knex.raw(sql, [...bindings])))),
      );
    },

    writeTransaction<T>(knex: Knex, work: (run: SqlRunner) => Promise<T>): Promise<T> {
      return inTurn(() =>
        writtenToTheFileAtThePath(databaseFile, () =>
          retriedOnFreshConnection(replaceConnections, () =>
            knex.transaction((trx) => work(async (sql, bindings = []) => rowsOf(await trx.raw(sql, [...bindings])))),
          ),
        ),
      );
    },

    orderedKey: '"key"',

    toTimestamp: (date) => date.toISOString(),
    fromTimestamp: (raw) => new Date(raw as string),

    isUnavailable: (error) => hasErrorCode(error, UNAVAILABLE_CODES) || isKnexPoolFailure(error) || isMissingTable(error),
    unavailableReason: (error) => (isMissingTable(error) ? MIGRATIONS_NOT_RUN : undefined),
  };
  const { pollIntervalMs } = options;
  if (pollIntervalMs !== undefined) {
    dialect.subscribeToChanges = (knex, handlers) =>
      pollDataVersion({
        knex,
        intervalMs: pollIntervalMs,
        marker: `llm_settings_feed_${options.instanceId.replaceAll('-', '')}`,
        // data_version tells that another connection committed, not which keys it wrote.
        onChange: () => handlers.onRemoteChange(null),
        onStarted: handlers.onStarted,
      });
  }
  return dialect;
}
