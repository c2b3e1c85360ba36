import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { describe } from 'vitest';

/**
 * The PostgreSQL server the tests use, shared with other test runs (only our own schema is
 * touched): `TEST_DATABASE_URL`, or this machine's on 127.0.0.1:5432 with trust
 * authentication. Its user must be allowed to create schemas in its database.
 */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const DEFAULT_SERVER = !process.env.TEST_DATABASE_URL;

async function canConnect(): Promise<boolean> {
  const quiet = () => undefined;
  const probe = knexFactory({
    client: 'pg',
    connection: { connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 },
    pool: { min: 0, max: 1 },
    // A refused probe is an answer, not an error to print.
    log: { warn: quiet, error: quiet, debug: quiet, deprecate: quiet },
  });
  try {
    await probe.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await probe.destroy();
  }
}

/** Starts the local cluster when it is down and this user may (root); tests never stop it: others share it. */
export async function ensurePostgresRunning(): Promise<void> {
  if (await canConnect()) return;
  if (DEFAULT_SERVER && process.getuid?.() === 0) {
    try {
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', 'start'], { stdio: 'ignore' });
    } catch {
      // Already starting, or started by a concurrent test file: the polling below decides.
    }
    for (let attempt = 0; attempt < 50; attempt += 1) {
      if (await canConnect()) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const { hostname, port } = new URL(POSTGRES_URL);
  throw new Error(`PostgreSQL on ${hostname}:${port || '5432'} did not answer; start it, or point TEST_DATABASE_URL at one`);
}

/**
 * Why this run skips the tests that need PostgreSQL, or undefined when they run. Outside
 * CI an unreachable server skips them; in CI (`CI` set) they always run, so that an
 * unreachable server fails them instead of losing them silently.
 */
export const POSTGRES_SKIPPED: string | undefined = process.env.CI
  ? undefined
  : await ensurePostgresRunning().then(
      () => undefined,
      (error: Error) => error.message,
    );
// The reporter names a skipped test, not why: say it once per file, plainly.
if (POSTGRES_SKIPPED) console.warn(`PostgreSQL tests skipped: ${POSTGRES_SKIPPED}`);

/** `describe` for tests that need PostgreSQL: skipped, with the reason in its title, when {@link POSTGRES_SKIPPED}. */
export function describeWithPostgres(title: string, body: () => void): void {
  describe.skipIf(POSTGRES_SKIPPED !== undefined)(POSTGRES_SKIPPED ? `${title} (skipped: ${POSTGRES_SKIPPED})` : title, body);
}

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
