import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';

/** This machine's PostgreSQL (trust auth), shared with other test runs: only our own schema is touched. */
export const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

async function canConnect(): Promise<boolean> {
  const probe = knexFactory({ client: 'pg', connection: { connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 }, pool: { min: 0, max: 1 } });
  try {
    await probe.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await probe.destroy();
  }
}

/** Starts the local cluster when it is down (tests never stop it: others share it). */
export async function ensurePostgresRunning(): Promise<void> {
  if (await canConnect()) return;
  try {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', 'start'], { stdio: 'ignore' });
  } catch {
    // Already starting, or started by a concurrent test file: the polling below decides.
  }
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (await canConnect()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('PostgreSQL on 127.0.0.1:5432 did not come up');
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
