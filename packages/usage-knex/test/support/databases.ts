import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { postgresOrSkip } from '@llm-settings/contract-tests';

const POSTGRES = await postgresOrSkip();
/** This machine's PostgreSQL (trust authentication), or `TEST_DATABASE_URL`; only a schema of our own is touched. */
export const POSTGRES_URL = POSTGRES.url;
/** Why the PostgreSQL tests are skipped (outside CI, an unreachable server), or undefined when they run. */
export const POSTGRES_SKIPPED = POSTGRES.skipped;
export const describeWithPostgres = POSTGRES.describe;

/** A database the tests open knex instances on, each with its own connections, as processes would. */
export interface TestDatabase {
  readonly name: 'SQLite file' | 'PostgreSQL';
  open(): Knex;
  drop(): Promise<void>;
}

/**
 * A SQLite file in a fresh folder: one connection per knex (as the server's), in WAL mode
 * with a busy timeout, so that two instances take turns at writing.
 */
export function sqliteFileDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'llm-usage-knex-'));
  const opened: Knex[] = [];
  return {
    name: 'SQLite file',
    open() {
      const knex = knexFactory({
        client: 'sqlite3',
        connection: { filename: join(dir, 'usage.db') },
        useNullAsDefault: true,
        pool: {
          min: 1,
          max: 1,
          afterCreate: (connection: { exec(sql: string, done: (error: Error | null) => void): void }, done: (error: Error | null) => void) =>
            connection.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;', done),
        },
      });
      opened.push(knex);
      return knex;
    },
    async drop() {
      await Promise.all(opened.map((knex) => knex.destroy()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh schema of the test database. */
export async function postgresDatabase(): Promise<TestDatabase> {
  const schema = `llm_usage_test_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: POSTGRES_URL, pool: { min: 0, max: 1 } });
  await admin.raw('CREATE SCHEMA ??', [schema]);
  const opened: Knex[] = [];
  return {
    name: 'PostgreSQL',
    open() {
      const knex = knexFactory({ client: 'pg', connection: POSTGRES_URL, searchPath: [schema], pool: { min: 0, max: 4 } });
      opened.push(knex);
      return knex;
    },
    async drop() {
      await Promise.all(opened.map((knex) => knex.destroy()));
      await admin.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
      await admin.destroy();
    },
  };
}
