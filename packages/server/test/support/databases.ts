import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { postgresOrSkip, TEST_POSTGRES_URL } from '@llm-settings/contract-tests';
import { describe } from 'vitest';

/**
 * A PostgreSQL server where the tests may create and drop databases: `TEST_DATABASE_URL`
 * (an admin URL), or this machine's on 127.0.0.1:5432 with trust authentication.
 */
export const POSTGRES_ADMIN_URL = TEST_POSTGRES_URL;

/** The admin URL with another database. */
function postgresUrlOf(database: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

const POSTGRES = await postgresOrSkip({ url: POSTGRES_ADMIN_URL });
/** Why this run skips the tests that need PostgreSQL, or undefined when they run. */
export const POSTGRES_SKIPPED = POSTGRES.skipped;
export const describeWithPostgres = POSTGRES.describe;

/** `describe.each(['sqlite', 'postgres'])` (`%s` in the title is the kind), the PostgreSQL one through {@link describeWithPostgres}. */
export function describeEachDatabase(title: string, body: (kind: TestDatabase['kind']) => void): void {
  for (const kind of ['sqlite', 'postgres'] as const) {
    const named = title.replace('%s', kind);
    if (kind === 'postgres') describeWithPostgres(named, () => body(kind));
    else describe(named, () => body(kind));
  }
}

export interface TestDatabase {
  kind: 'sqlite' | 'postgres';
  url: string;
  drop(): Promise<void>;
}

/** A SQLite file in a fresh temp folder. */
export function createSqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'llm-e2e-'));
  return {
    kind: 'sqlite',
    url: `sqlite:${join(dir, 'settings.db')}`,
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh PostgreSQL database, dropped (with its connections) afterwards. */
export async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `llm_e2e_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: POSTGRES_ADMIN_URL, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.destroy();
  }
  return {
    kind: 'postgres',
    url: postgresUrlOf(name),
    async drop() {
      const cleanup = knexFactory({ client: 'pg', connection: POSTGRES_ADMIN_URL, pool: { min: 0, max: 1 } });
      try {
        await cleanup.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await cleanup.destroy();
      }
    },
  };
}

export async function createDatabase(kind: TestDatabase['kind']): Promise<TestDatabase> {
  return kind === 'sqlite' ? createSqliteDatabase() : createPostgresDatabase();
}
