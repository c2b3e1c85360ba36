import type { HistoryQuery, HistoryRecord } from '@llm-settings/core';
import { PRUNE_BATCH, pruneHistoryBatch, selectHistoryPage, toHistoryRecord } from './history-sql.js';
import { query, type SettingsTable } from './settings-table.js';

/** A page of a scope's history, newest first. */
export async function readHistory(table: SettingsTable, page: HistoryQuery): Promise<HistoryRecord[]> {
  return (await query(table, selectHistoryPage(table, page))).map((row) => toHistoryRecord(table, row));
}

/**
 * Removes the entries older than `cutoff`, a batch per statement, each its own short
 * transaction: writers wait for one batch at most, never for the whole prune.
 */
export async function pruneHistory(table: SettingsTable, cutoff: Date): Promise<number> {
  let removed = 0;
  for (;;) {
    const statement = pruneHistoryBatch(table, cutoff);
    const rows = await table.dialect.query(table.knex, statement.sql, statement.bindings);
    removed += rows.length;
    if (rows.length < PRUNE_BATCH) return removed;
  }
}
