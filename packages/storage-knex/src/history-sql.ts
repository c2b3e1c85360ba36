import type { HistoryEntry, HistoryQuery, HistoryRecord } from '@llm-settings/core';
import type { Knex } from 'knex';
import type { Row, SqlRunner } from './dialects/dialect.js';
import type { Statement } from './settings-sql.js';
import type { SettingsTable } from './settings-table.js';

/** Rows one prune statement removes: a large prune is many short transactions, never one long lock. */
export const PRUNE_BATCH = 1000;

const COLUMNS = '"id", "scope", "at", "action", "actor", "fields", "api_key_changed"';

/** A history entry and the time of its write. */
export interface TimedHistoryEntry {
  entry: HistoryEntry;
  at: Knex.RawBinding;
}

/** Appends `entries` in one statement, inside the transaction `run` belongs to. */
export async function appendHistory(table: SettingsTable, run: SqlRunner, entries: readonly TimedHistoryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await run(
    `INSERT INTO ?? ("scope", "at", "action", "actor", "fields", "api_key_changed") VALUES ${entries.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
    [table.historyName, ...entries.flatMap(({ entry, at }) => [entry.scope, at, entry.action, entry.actor, entry.fields.join(','), entry.apiKeyChanged])],
  );
}

/** One page of a scope's history, newest first. */
export function selectHistoryPage(table: SettingsTable, { scope, limit, before }: HistoryQuery): Statement {
  return before == null
    ? { sql: `SELECT ${COLUMNS} FROM ?? WHERE "scope" = ? ORDER BY "id" DESC LIMIT ?`, bindings: [table.historyName, scope, limit] }
    : {
        // As BIGINT: a cursor past a 32-bit id column (PostgreSQL's serial) is out of its range.
        sql: `SELECT ${COLUMNS} FROM ?? WHERE "scope" = ? AND "id" < CAST(? AS BIGINT) ORDER BY "id" DESC LIMIT ?`,
        bindings: [table.historyName, scope, before, limit],
      };
}

/** Deletes up to a batch of the entries older than `cutoff`; returns the deleted ids. */
export function pruneHistoryBatch(table: SettingsTable, cutoff: Date): Statement {
  return {
    sql: 'DELETE FROM ?? WHERE "id" IN (SELECT "id" FROM ?? WHERE "at" < ? ORDER BY "id" LIMIT ?) RETURNING "id"',
    bindings: [table.historyName, table.historyName, table.dialect.toTimestamp(cutoff), PRUNE_BATCH],
  };
}

export function toHistoryRecord(table: SettingsTable, row: Row): HistoryRecord {
  const fields = String(row.fields);
  return {
    id: Number(row.id),
    scope: String(row.scope),
    at: table.dialect.fromTimestamp(row.at),
    action: String(row.action),
    actor: String(row.actor),
    fields: fields === '' ? [] : fields.split(','),
    // SQLite keeps booleans as 0 and 1.
    apiKeyChanged: row.api_key_changed === true || Number(row.api_key_changed) === 1,
  };
}
