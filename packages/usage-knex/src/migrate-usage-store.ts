import type { Knex } from 'knex';
import { DEFAULT_USAGE_TABLE } from './defaults.js';
import { usageStoreError } from './usage-errors.js';

export interface MigrateUsageStoreOptions {
  /**
   * Table to create; give the store the same name.
   * @default 'llm_usage'
   */
  tableName?: string;
}

/**
 * The one step {@link migrateUsageStore} takes, named as the settings store's migrations are:
 * the table is created when absent rather than recorded by knex's migrator.
 */
const CREATE_TABLE_MIGRATION = '0001_create_usage_table';

/** How long a process retries while another one creates the same table. */
const CONCURRENT_CREATE_WAIT_MS = 30_000;

/**
 * Another process created the table between our look and our CREATE TABLE (23505/42P07:
 * PostgreSQL's catalog; SQLite's "already exists"), or holds the file's write lock.
 */
const isConcurrentCreate = (error: unknown) => {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '23505' || code === '42P07' || code === 'SQLITE_BUSY' || (typeof message === 'string' && message.includes('already exists'));
};

/**
 * Creates the usage table when absent: one row per (scope, date, provider, model), counts
 * as 64-bit integers, and an index on the date for pruning. Idempotent, and safe when
 * several processes run it at once.
 * @throws StorageUnavailableError when the database cannot be reached.
 */
export async function migrateUsageStore(knex: Knex, options: MigrateUsageStoreOptions = {}): Promise<void> {
  const table = options.tableName ?? DEFAULT_USAGE_TABLE;
  const giveUpAt = Date.now() + CONCURRENT_CREATE_WAIT_MS;
  for (;;) {
    try {
      await createTable(knex, table);
      return;
    } catch (error) {
      if (!isConcurrentCreate(error) || Date.now() > giveUpAt) throw usageStoreError(error, 'creating the usage table');
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    }
  }
}

async function createTable(knex: Knex, table: string): Promise<void> {
  if (await knex.schema.hasTable(table)) return;
  await knex.schema.createTable(table, (t) => {
    // NOT NULL spelled out: SQLite, unlike PostgreSQL, lets primary key columns hold NULL.
    t.text('scope').notNullable();
    // `YYYY-MM-DD`: sorts and compares as the day it names, the same on both databases.
    t.text('date').notNullable();
    t.text('provider').notNullable();
    t.text('model').notNullable();
    for (const count of ['calls', 'failed_calls', 'input_tokens', 'output_tokens', 'cached_input_tokens']) t.bigInteger(count).notNullable().defaultTo(0);
    t.primary(['scope', 'date', 'provider', 'model']);
    t.index(['date'], `${table}_date_idx`);
  });
}

/**
 * The names of the steps {@link migrateUsageStore} would take: none once the table exists.
 * For a process that leaves migrating to a separate job; reads only.
 * @throws StorageUnavailableError when the database cannot be reached.
 */
export async function pendingUsageStoreMigrations(knex: Knex, options: MigrateUsageStoreOptions = {}): Promise<string[]> {
  const table = options.tableName ?? DEFAULT_USAGE_TABLE;
  try {
    return (await knex.schema.hasTable(table)) ? [] : [CREATE_TABLE_MIGRATION];
  } catch (error) {
    throw usageStoreError(error, 'checking for the usage table');
  }
}
