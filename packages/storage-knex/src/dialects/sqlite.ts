import type { Knex } from 'knex';
import type { Dialect, Row, SqlRunner } from './dialect.js';
import { hasErrorCode, isKnexPoolFailure } from './driver-errors.js';

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

/** Marks a pooled connection so knex destroys it instead of handing it out again. */
function discardConnection(connection: { __knex__disposed?: unknown }, reason: unknown): void {
  connection.__knex__disposed = reason;
}

/**
 * SQLite opens a file it cannot write (immutable, read-only mount, failed WAL) read-only,
 * and the connection stays read-only after the file is writable again: writes would fail
 * until a restart. Such a connection is discarded and the write, which wrote nothing,
 * is tried once more on a fresh connection, so the first write after recovery succeeds.
 */
async function writeOnOwnConnection<T>(knex: Knex, work: (connection: object) => Promise<T>, retried = false): Promise<T> {
  const connection = await knex.client.acquireConnection();
  try {
    return await work(connection);
  } catch (error) {
    if (!hasErrorCode(error, READ_ONLY_CODES)) throw error;
    discardConnection(connection, 'SQLITE_READONLY: the connection cannot write');
    if (retried) throw error;
  } finally {
    await knex.client.releaseConnection(connection);
  }
  return writeOnOwnConnection(knex, work, true);
}

const READ_ONLY_CODES: ReadonlySet<string> = new Set(['SQLITE_READONLY']);

/**
 * SQLite: a write that is one statement runs in autocommit; the statement takes
 * the write lock before it reads, so it waits for busy_timeout like any writer.
 * Several statements run in `BEGIN IMMEDIATE` transactions so the write lock is
 * taken up front: a deferred transaction that reads first can fail with
 * SQLITE_BUSY when it upgrades to a writer, without waiting for busy_timeout.
 * knex always issues a plain `BEGIN`, so the transaction is driven by hand on one
 * pooled connection. SQLite has no cross-process notifications.
 */
export function createSqliteDialect(): Dialect {
  return {
    async query(knex, sql, bindings = []) {
      return rowsOf(await knex.raw(sql, [...bindings]));
    },

    async writeAlone(knex, sql, bindings) {
      return writeOnOwnConnection(knex, async (connection) => rowsOf(await knex.raw(sql, [...bindings]).connection(connection)));
    },

    async writeTransaction<T>(knex: Knex, work: (run: SqlRunner) => Promise<T>): Promise<T> {
      return writeOnOwnConnection(knex, async (connection) => {
        const run: SqlRunner = async (sql, bindings = []) => rowsOf(await knex.raw(sql, [...bindings]).connection(connection));
        await run('BEGIN IMMEDIATE');
        try {
          const result = await work(run);
          await run('COMMIT');
          return result;
        } catch (error) {
          await run('ROLLBACK').catch((rollbackError: unknown) => discardConnection(connection, rollbackError));
          throw error;
        }
      });
    },

    orderedKey: '"key"',

    toTimestamp: (date) => date.toISOString(),
    fromTimestamp: (raw) => new Date(raw as string),

    isUnavailable: (error) => hasErrorCode(error, UNAVAILABLE_CODES) || isKnexPoolFailure(error),
  };
}
