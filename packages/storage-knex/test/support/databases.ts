import type { Knex } from 'knex';
import { createKnexFromUrl, migrateSettingsStore } from '../../src/index.js';
import { createTestSchema } from './postgres.js';
import { createTempDir } from './sqlite.js';

/** A migrated database for one test file, on a real SQLite file or the local PostgreSQL. */
export interface TestDatabase {
  kind: 'SQLite file' | 'PostgreSQL';
  /** A knex on the database, as the application would create it. */
  knex: Knex;
  /**
   * Another knex on the same database: a stand-in for another process. On
   * PostgreSQL its connections show `applicationName` in pg_stat_activity.
   */
  connect(applicationName?: string): Knex;
  /** A NOTIFY channel no other test run uses. */
  channel: string;
  close(): Promise<void>;
}

export async function openSqliteFileDatabase(): Promise<TestDatabase> {
  const dir = createTempDir();
  const url = `sqlite:${dir.file('settings.db')}`;
  const opened: Knex[] = [];
  const connect = () => {
    const knex = createKnexFromUrl(url);
    opened.push(knex);
    return knex;
  };
  const knex = connect();
  await migrateSettingsStore(knex);
  return {
    kind: 'SQLite file',
    knex,
    connect,
    channel: 'unused',
    async close() {
      await Promise.all(opened.map((k) => k.destroy()));
      dir.remove();
    },
  };
}

export async function openPostgresDatabase(): Promise<TestDatabase> {
  const schema = await createTestSchema();
  const opened: Knex[] = [];
  const connect = (applicationName?: string) => {
    const knex = createKnexFromUrl(schema.url(applicationName));
    opened.push(knex);
    return knex;
  };
  const knex = connect();
  await migrateSettingsStore(knex);
  return {
    kind: 'PostgreSQL',
    knex,
    connect,
    channel: schema.name,
    async close() {
      await Promise.all(opened.map((k) => k.destroy()));
      await schema.drop();
    },
  };
}

export const DATABASES = [
  ['SQLite file', openSqliteFileDatabase],
  ['PostgreSQL', openPostgresDatabase],
] as const;
