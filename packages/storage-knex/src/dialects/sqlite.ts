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
 * SQLite: writes run in `BEGIN IMMEDIATE` transactions so the write lock is taken
 * up front. A deferred transaction that reads first can fail with SQLITE_BUSY
 * when it upgrades to a writer, without waiting for busy_timeout; IMMEDIATE waits.
 * knex always issues a plain `BEGIN`, so the transaction is driven by hand on one
 * pooled connection.
 */
export function createSqliteDialect(): Dialect {
  return {
    async query(knex, sql, bindings = []) {
      return rowsOf(await knex.raw(sql, [...bindings]));
    },

    async writeTransaction<T>(knex: Knex, work: (run: SqlRunner) => Promise<T>): Promise<T> {
      const connection = await knex.client.acquireConnection();
      const run: SqlRunner = async (sql, bindings = []) => rowsOf(await knex.raw(sql, [...bindings]).connection(connection));
      try {
        await run('BEGIN IMMEDIATE');
        try {
          const result = await work(run);
          await run('COMMIT');
          return result;
        } catch (error) {
          await run('ROLLBACK').catch((rollbackError: unknown) => discardConnection(connection, rollbackError));
          throw error;
        }
      } finally {
        await knex.client.releaseConnection(connection);
      }
    },

    orderedKey: '"key"',

    toTimestamp: (date) => date.toISOString(),
    fromTimestamp: (raw) => new Date(raw as string),

    isUnavailable: (error) => hasErrorCode(error, UNAVAILABLE_CODES) || isKnexPoolFailure(error),
  };
}
