import type { Knex } from 'knex';
import { DEFAULT_SETTINGS_TABLE, historyTableOf } from './defaults.js';
import { dialectFor } from './dialects/dialect-for.js';
import { errorChain } from './dialects/driver-errors.js';
import { toStoreError } from './store-errors.js';

export interface MigrateSettingsStoreOptions {
  /**
   * Table to create (with `<tableName>_history`, the history of changes); give the store the same name. Its migrations are recorded in
   * `<tableName>_migrations`, apart from the application's own knex migrations.
   * @default 'settings'
   */
  tableName?: string;
}

interface SettingsMigration {
  name: string;
  up(knex: Knex, table: string): Promise<void>;
  down(knex: Knex, table: string): Promise<void>;
}

/** Shipped as code, not files, so they run the same from `src` and `dist`. Append only. */
const MIGRATIONS: readonly SettingsMigration[] = [
  {
    name: '0001_create_settings_table',
    async up(knex, table) {
      await knex.schema.createTable(table, (t) => {
        // NOT NULL spelled out: SQLite, unlike PostgreSQL, lets a text primary key hold NULL.
        t.text('key').notNullable().primary();
        t.text('value').notNullable();
        t.integer('version').notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
      });
    },
    async down(knex, table) {
      await knex.schema.dropTable(table);
    },
  },
  {
    name: '0002_create_history_table',
    async up(knex, table) {
      await knex.schema.createTable(historyTableOf(table), (t) => {
        t.increments('id').primary();
        t.text('scope').notNullable();
        t.timestamp('at', { useTz: true }).notNullable();
        t.text('action').notNullable();
        t.text('actor').notNullable();
        // The changed field names, comma-separated: names only, never a value.
        t.text('fields').notNullable();
        t.boolean('api_key_changed').notNullable();
        t.index(['scope', 'id']);
        t.index(['at']);
      });
    },
    async down(knex, table) {
      await knex.schema.dropTable(historyTableOf(table));
    },
  },
];

/** How long a process waits for another one that is migrating the same database. */
const CONCURRENT_MIGRATION_WAIT_MS = 30_000;

function migrationSource(table: string): Knex.MigrationSource<SettingsMigration> {
  return {
    getMigrations: async () => [...MIGRATIONS],
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => ({
      up: (knex: Knex) => migration.up(knex, table),
      down: (knex: Knex) => migration.down(knex, table),
    }),
  };
}

/**
 * knex inserts the lock row of a new lock table only when it sees the table empty,
 * so two processes starting at once can insert two rows and lock migrations forever.
 * A row with a fixed id, inserted unless present, closes that race.
 */
async function ensureLockRow(knex: Knex, migrationsTable: string): Promise<void> {
  const lockTable = `${migrationsTable}_lock`;
  if (!(await knex.schema.hasTable(lockTable))) {
    // Same shape knex gives it.
    await knex.schema.createTable(lockTable, (t) => {
      t.increments('index').primary();
      t.integer('is_locked');
    });
  }
  await knex(lockTable).insert({ index: 1, is_locked: 0 }).onConflict('index').ignore();
}

/** Failures caused by another process migrating at the same moment; trying again resolves them. */
function isConcurrentMigrationRace(error: unknown): boolean {
  for (const link of errorChain(error)) {
    if (link.name === 'MigrationLocked') return true;
    // 23505/42P07: PostgreSQL's catalog refusing a second CREATE TABLE of the same name.
    if (link.code === '23505' || link.code === '42P07' || link.code === 'SQLITE_BUSY') return true;
    if (typeof link.message === 'string' && /already exists/.test(link.message)) return true;
  }
  return false;
}

const migrationsTableOf = (table: string) => `${table}_migrations`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates or upgrades the settings table with knex's migrator. Idempotent, and safe
 * when several processes run it at once: knex's migration lock lets one migrate
 * while the others wait and then find nothing left to do.
 * @throws StorageUnavailableError when the database cannot be reached.
 */
export async function migrateSettingsStore(knex: Knex, options: MigrateSettingsStoreOptions = {}): Promise<void> {
  const table = options.tableName ?? DEFAULT_SETTINGS_TABLE;
  const migrationsTable = migrationsTableOf(table);
  const dialect = dialectFor(knex);
  const giveUpAt = Date.now() + CONCURRENT_MIGRATION_WAIT_MS;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await ensureLockRow(knex, migrationsTable);
      await knex.migrate.latest({ tableName: migrationsTable, migrationSource: migrationSource(table) });
      return;
    } catch (error) {
      if (!isConcurrentMigrationRace(error) || Date.now() > giveUpAt) throw toStoreError(error, dialect);
      // Jittered backoff, so racing processes do not retry in lockstep.
      await sleep(Math.min(500, 20 * 2 ** attempt) * (0.5 + Math.random()));
    }
  }
}

/**
 * The names of the migrations {@link migrateSettingsStore} would run, in order: none once the
 * database is up to date. For a process that leaves migrating to a separate job. Reads only:
 * knex's `migrate.list` creates its bookkeeping (the migrations table, its lock table and
 * lock row) when absent, which could race a migration job's own, so without it every
 * migration counts as pending and knex is not asked. Migrations recorded by a newer version
 * are ignored: they do not make this version's schema incomplete.
 * @throws StorageUnavailableError when the database cannot be reached.
 */
export async function pendingSettingsStoreMigrations(knex: Knex, options: MigrateSettingsStoreOptions = {}): Promise<string[]> {
  const table = options.tableName ?? DEFAULT_SETTINGS_TABLE;
  const migrationsTable = migrationsTableOf(table);
  try {
    if (!(await hasMigrationBookkeeping(knex, migrationsTable))) return MIGRATIONS.map((migration) => migration.name);
    const [, pending] = (await knex.migrate.list({
      tableName: migrationsTable,
      migrationSource: migrationSource(table),
      disableMigrationsListValidation: true,
    })) as [unknown, SettingsMigration[]];
    return pending.map((migration) => migration.name);
  } catch (error) {
    throw toStoreError(error, dialectFor(knex));
  }
}

async function hasMigrationBookkeeping(knex: Knex, migrationsTable: string): Promise<boolean> {
  const lockTable = `${migrationsTable}_lock`;
  if (!(await knex.schema.hasTable(migrationsTable)) || !(await knex.schema.hasTable(lockTable))) return false;
  return (await knex(lockTable).first()) !== undefined;
}
