import type { Knex } from 'knex';

/**
 * The statements of the store, in SQL that SQLite (3.35+) and PostgreSQL both run.
 * `??` is the table name, `?` a value; column names are fixed by the migration.
 */
export interface Statement {
  sql: string;
  bindings: Knex.RawBinding[];
}

const COLUMNS = '"key", "value", "version", "updated_at"';

export function selectOne(table: string, key: string): Statement {
  return { sql: `SELECT ${COLUMNS} FROM ?? WHERE "key" = ?`, bindings: [table, key] };
}

/** The rows of several keys, in one statement. */
export function selectMany(table: string, keys: readonly string[]): Statement {
  return { sql: `SELECT ${COLUMNS} FROM ?? WHERE "key" IN (${keys.map(() => '?').join(', ')})`, bindings: [table, ...keys] };
}

/** One page of `list`, after `afterKey` when given; `orderedKey` comes from the dialect. */
export function selectPage(table: string, orderedKey: string, afterKey: string | undefined, limit: number): Statement {
  return afterKey === undefined
    ? { sql: `SELECT ${COLUMNS} FROM ?? ORDER BY ${orderedKey} LIMIT ?`, bindings: [table, limit] }
    : { sql: `SELECT ${COLUMNS} FROM ?? WHERE ${orderedKey} > ? ORDER BY ${orderedKey} LIMIT ?`, bindings: [table, afterKey, limit] };
}

/**
 * The order in which a transaction or multi-row statement writes its keys, the same
 * in every process: writers that lock rows in one order cannot deadlock.
 */
export function compareLockOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One row of an unconditional upsert. */
export interface UpsertRow {
  key: string;
  value: string;
  updatedAt: Knex.RawBinding;
}

/**
 * Creates each row at version 1 or replaces it at its version + 1, and returns the
 * written rows. The keys must be distinct: one statement cannot update a row twice.
 */
export function upsertRows(table: string, rows: readonly UpsertRow[]): Statement {
  return {
    sql:
      `INSERT INTO ?? AS t (${COLUMNS}) VALUES ${rows.map(() => '(?, ?, 1, ?)').join(', ')} ` +
      `ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value", "version" = t."version" + 1, "updated_at" = excluded."updated_at" ` +
      `RETURNING ${COLUMNS}`,
    bindings: [table, ...rows.flatMap((row) => [row.key, row.value, row.updatedAt])],
  };
}

/**
 * A write that returns the new row, or no row when `expectedVersion` does not
 * match. Each form is one atomic statement, so concurrent writers cannot slip
 * between a version check and the write.
 */
export function writeRow(
  table: string,
  write: { key: string; value: string; expectedVersion?: number | undefined },
  updatedAt: Knex.RawBinding,
): Statement {
  const { key, value, expectedVersion } = write;
  if (expectedVersion === undefined) return upsertRows(table, [{ key, value, updatedAt }]);
  if (expectedVersion === 0) {
    return {
      sql: `INSERT INTO ?? (${COLUMNS}) VALUES (?, ?, 1, ?) ON CONFLICT ("key") DO NOTHING RETURNING ${COLUMNS}`,
      bindings: [table, key, value, updatedAt],
    };
  }
  return {
    sql: `UPDATE ?? SET "value" = ?, "version" = "version" + 1, "updated_at" = ? WHERE "key" = ? AND "version" = ? RETURNING ${COLUMNS}`,
    bindings: [table, value, updatedAt, key, expectedVersion],
  };
}

/** Deletes the key (at `expectedVersion` when given) and returns the deleted key, if any. */
export function deleteRow(table: string, key: string, expectedVersion: number | undefined): Statement {
  return expectedVersion === undefined
    ? { sql: 'DELETE FROM ?? WHERE "key" = ? RETURNING "key"', bindings: [table, key] }
    : { sql: 'DELETE FROM ?? WHERE "key" = ? AND "version" = ? RETURNING "key"', bindings: [table, key, expectedVersion] };
}
