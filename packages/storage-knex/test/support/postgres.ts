import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ensurePostgresAnswers, postgresAnswers, postgresOrSkip, TEST_POSTGRES_URL } from '@llm-settings/contract-tests';
import knexFactory, { type Knex } from 'knex';
import { describe } from 'vitest';

/**
 * The PostgreSQL server the tests use, shared with other test runs (only our own schema is
 * touched). Its user must be allowed to create schemas in its database.
 */
export const POSTGRES_URL = TEST_POSTGRES_URL;
const DEFAULT_SERVER = !process.env.TEST_DATABASE_URL;

/** Starts the local cluster when this user may (root) and waits for it; tests never stop it: others share it. */
async function startLocalCluster(): Promise<void> {
  if (!DEFAULT_SERVER || process.getuid?.() !== 0) return;
  try {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', 'start'], { stdio: 'ignore' });
  } catch {
    // Already starting, or started by a concurrent test file: the polling below decides.
  }
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (await postgresAnswers(POSTGRES_URL)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Resolves once PostgreSQL answers, starting the local cluster when it is down and this user may. */
export async function ensurePostgresRunning(): Promise<void> {
  await ensurePostgresAnswers(POSTGRES_URL, startLocalCluster);
}

const POSTGRES = await postgresOrSkip({ url: POSTGRES_URL, bringUp: startLocalCluster });
/** Why this run skips the tests that need PostgreSQL, or undefined when they run. */
export const POSTGRES_SKIPPED = POSTGRES.skipped;
export const describeWithPostgres = POSTGRES.describe;

/**
 * `describe.each` over rows that start with the database's name (`%s` in the title): the
 * 'PostgreSQL' row goes through {@link describeWithPostgres}.
 */
export function describeEachDatabase<Row extends readonly [string, ...unknown[]]>(rows: readonly Row[], title: string, body: (...row: [...Row]) => void): void {
  for (const row of rows) {
    const named = title.replace('%s', row[0]);
    const run = () => body(...(row as [...Row]));
    if (row[0] === 'PostgreSQL') describeWithPostgres(named, run);
    else describe(named, run);
  }
}

export interface TestSchema {
  /** Schema name, also usable as a unique NOTIFY channel. */
  name: string;
  /** A URL whose connections use only this schema; `applicationName` tags them in pg_stat_activity. */
  url(applicationName?: string): string;
  /** A knex outside the store code, for direct SQL on the schema. */
  admin: Knex;
  drop(): Promise<void>;
}

/** A fresh schema `llm_settings_test_<random>` in the shared test database. */
export async function createTestSchema(): Promise<TestSchema> {
  await ensurePostgresRunning();
  const name = `llm_settings_test_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: POSTGRES_URL, searchPath: [name], pool: { min: 0, max: 4 } });
  await admin.raw('CREATE SCHEMA ??', [name]);
  return {
    name,
    url(applicationName = name) {
      const params = new URLSearchParams({ options: `-c search_path=${name}`, application_name: applicationName });
      return `${POSTGRES_URL}?${params.toString()}`;
    },
    admin,
    async drop() {
      await admin.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [name]);
      await admin.destroy();
    },
  };
}

/** Process ids of the sessions tagged `applicationName`, optionally only those LISTENing or waiting for a lock. */
export async function sessionsOf(
  admin: Knex,
  applicationName: string,
  options: { listening?: boolean; waitingForLock?: boolean } = {},
): Promise<number[]> {
  const conditions = ['application_name = ?', 'pid <> pg_backend_pid()'];
  if (options.listening) conditions.push("query ILIKE 'LISTEN %'");
  if (options.waitingForLock) conditions.push("wait_event_type = 'Lock'");
  const result = await admin.raw(`SELECT pid FROM pg_stat_activity WHERE ${conditions.join(' AND ')}`, [applicationName]);
  return (result.rows as { pid: number }[]).map((row) => row.pid);
}
