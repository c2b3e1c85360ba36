import type { Knex } from 'knex';
import { compareCodePoints, type UsageCounts, type UsageQuery, type UsageStore } from '@llm-settings/core';
import { DEFAULT_USAGE_TABLE } from './defaults.js';
import { usageStoreError } from './usage-errors.js';

export interface KnexUsageStoreOptions {
  /**
   * The table `migrateUsageStore` created.
   * @default 'llm_usage'
   */
  tableName?: string;
  /**
   * Rows per INSERT statement of one `add` (SQLite binds at most 32766 values; each row binds 9).
   * @default 200
   */
  rowsPerStatement?: number;
}

const KEY_COLUMNS = ['scope', 'date', 'provider', 'model'] as const;
/** Each count's column, by its name in UsageCounts. */
const COUNT_COLUMNS = {
  calls: 'calls',
  failedCalls: 'failed_calls',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  cachedInputTokens: 'cached_input_tokens',
} as const satisfies Record<Exclude<keyof UsageCounts, (typeof KEY_COLUMNS)[number]>, string>;

type Row = Record<(typeof KEY_COLUMNS)[number], string> & Record<(typeof COUNT_COLUMNS)[keyof typeof COUNT_COLUMNS], number | string>;

/**
 * The UsageStore on a knex instance (SQLite or PostgreSQL; the settings store's may be
 * shared). `add` is one transaction of `INSERT ... ON CONFLICT DO UPDATE SET calls =
 * calls + excluded.calls, ...`: the database adds, so several processes adding to one row
 * lose nothing. Run `migrateUsageStore` first.
 */
export function createKnexUsageStore(knex: Knex, options: KnexUsageStoreOptions = {}): UsageStore {
  const table = options.tableName ?? DEFAULT_USAGE_TABLE;
  const rowsPerStatement = options.rowsPerStatement ?? 200;
  const increments = Object.fromEntries(Object.values(COUNT_COLUMNS).map((column) => [column, knex.raw('??.?? + excluded.??', [table, column, column])]));
  return {
    async add(entries) {
      // One row per key (a statement may not update a row twice), in key order, so that
      // concurrent batches lock rows in the same order and cannot deadlock.
      const rows = [...merged(entries).values()].sort(byKey).map(toRow);
      if (rows.length === 0) return;
      try {
        await knex.transaction(async (trx) => {
          for (let at = 0; at < rows.length; at += rowsPerStatement) {
            await trx(table).insert(rows.slice(at, at + rowsPerStatement)).onConflict([...KEY_COLUMNS]).merge(increments);
          }
        });
      } catch (error) {
        throw usageStoreError(error, 'adding usage');
      }
    },
    async read({ scope, from, to }: UsageQuery) {
      let rows: Row[];
      try {
        rows = await knex(table).where('scope', scope).andWhere('date', '>=', from).andWhere('date', '<=', to);
      } catch (error) {
        throw usageStoreError(error, 'reading usage');
      }
      // Sorted here: the databases' text collations differ, code point order does not.
      return rows.map(fromRow).sort(byKey);
    },
    async prune(before) {
      try {
        return await knex(table).where('date', '<', before).delete();
      } catch (error) {
        throw usageStoreError(error, 'pruning usage');
      }
    },
  };
}

function merged(entries: readonly UsageCounts[]): Map<string, UsageCounts> {
  const rows = new Map<string, UsageCounts>();
  for (const entry of entries) {
    const key = JSON.stringify(KEY_COLUMNS.map((column) => entry[column]));
    const row = rows.get(key);
    rows.set(
      key,
      row === undefined
        ? entry
        : {
            ...row,
            calls: row.calls + entry.calls,
            failedCalls: row.failedCalls + entry.failedCalls,
            inputTokens: row.inputTokens + entry.inputTokens,
            outputTokens: row.outputTokens + entry.outputTokens,
            cachedInputTokens: row.cachedInputTokens + entry.cachedInputTokens,
          },
    );
  }
  return rows;
}

function byKey(a: UsageCounts, b: UsageCounts): number {
  for (const column of ['date', 'provider', 'model', 'scope'] as const) {
    const order = compareCodePoints(a[column], b[column]);
    if (order !== 0) return order;
  }
  return 0;
}

function toRow(counts: UsageCounts): Row {
  const row = { scope: counts.scope, date: counts.date, provider: counts.provider, model: counts.model } as Row;
  for (const [name, column] of Object.entries(COUNT_COLUMNS)) row[column] = counts[name as keyof typeof COUNT_COLUMNS];
  return row;
}

/** PostgreSQL returns a bigint as a string. */
function fromRow(row: Row): UsageCounts {
  const counts: Record<string, string | number> = { scope: row.scope, date: row.date, provider: row.provider, model: row.model };
  for (const [name, column] of Object.entries(COUNT_COLUMNS)) counts[name] = Number(row[column]);
  return counts as unknown as UsageCounts;
}
