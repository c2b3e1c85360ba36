import type { SettingRecord } from '@llm-settings/core';
import { createReadBatcher } from './read-batcher.js';
import { selectMany, selectPage } from './settings-sql.js';
import { query, toRecord, type SettingsTable } from './settings-table.js';

/** Records `list` reads per query. */
const LIST_PAGE_SIZE = 100;

/** Reads one key's record, or null when it does not exist; concurrent reads share statements (see createReadBatcher). */
export function createKeyReads(table: SettingsTable): (key: string) => Promise<SettingRecord | null> {
  const read = createReadBatcher((keys) => query(table, selectMany(table.name, keys)));
  return async (key) => {
    const row = await read(key);
    return row ? toRecord(table, row) : null;
  };
}

/**
 * Every record, in key order, one page per query; `guarded` runs each query (refusing
 * after close, mapping failures to core's errors).
 */
export async function* readAll(table: SettingsTable, guarded: <T>(operation: () => Promise<T>) => Promise<T>): AsyncGenerator<SettingRecord> {
  let afterKey: string | undefined;
  for (;;) {
    const rows = await guarded(() => query(table, selectPage(table.name, table.dialect.orderedKey, afterKey, LIST_PAGE_SIZE)));
    for (const row of rows) yield toRecord(table, row);
    if (rows.length < LIST_PAGE_SIZE) return;
    afterKey = String(rows[rows.length - 1]?.key);
  }
}
