import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { TestDatabase } from '../../support/databases.js';

/** A settings row as the database holds it. */
export interface StoredRow {
  key: string;
  value: string;
  version: number;
  updated_at: string;
}

function sqliteFile(database: TestDatabase): string {
  return database.url.slice('sqlite:'.length);
}

/** A short-lived connection beside the server's (SQLite in WAL mode lets both work). */
async function withConnection<T>(database: TestDatabase, work: (knex: Knex) => Promise<T>): Promise<T> {
  const knex =
    database.kind === 'sqlite'
      ? knexFactory({ client: 'sqlite3', connection: { filename: sqliteFile(database) }, useNullAsDefault: true })
      : knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 1 } });
  try {
    return await work(knex);
  } finally {
    await knex.destroy();
  }
}

/** Every row of the settings table, in key order. */
export function readStoredRows(database: TestDatabase): Promise<StoredRow[]> {
  return withConnection(database, async (knex) => {
    const rows = await knex('settings').select('key', 'value', 'version', 'updated_at').orderBy('key');
    return rows.map((row) => ({ key: String(row.key), value: String(row.value), version: Number(row.version), updated_at: String(row.updated_at) }));
  });
}

/**
 * What the database keeps, for leak scans: on SQLite the raw bytes of every file in the
 * database's folder (the database, its WAL and shared memory); on PostgreSQL every row
 * of every table of the database's schema, as text.
 */
export async function databaseContents(database: TestDatabase): Promise<Record<string, string | Buffer>> {
  if (database.kind === 'sqlite') {
    const folder = dirname(sqliteFile(database));
    return Object.fromEntries(readdirSync(folder).map((name) => [`sqlite file ${name}`, readFileSync(join(folder, name))]));
  }
  return withConnection(database, async (knex) => {
    const tables = await knex.raw<{ rows: Array<{ table_name: string }> }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()',
    );
    const contents: Record<string, string> = {};
    for (const { table_name } of tables.rows) {
      const rows = await knex.raw<{ rows: Array<{ row: string }> }>('SELECT t::text AS row FROM ?? t', [table_name]);
      contents[`postgres table ${table_name}`] = rows.rows.map((r) => r.row).join('\n');
    }
    return contents;
  });
}

/** Runs one statement on the database from outside the server (fault injection). */
export function runStatement(database: TestDatabase, sql: string): Promise<void> {
  return withConnection(database, async (knex) => {
    await knex.raw(sql);
  });
}

/** The SQLite database file and its WAL. */
export function sqliteFiles(database: TestDatabase): { db: string; wal: string } {
  const db = sqliteFile(database);
  return { db, wal: `${db}-wal` };
}
