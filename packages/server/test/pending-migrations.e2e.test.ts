import knexFactory, { type Knex } from 'knex';
import { afterEach, expect, it, vi } from 'vitest';
import { ErrorCodes, isLlmSettingsError, silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createLlmSettings } from '../src/create-llm-settings.js';
import { serve, type RunningServer } from '../src/serve.js';
import { createDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { captureLogs } from './support/logs.js';
import { CLI, assertBuilt, run } from './support/processes.js';

const API_KEY = 'sk-ant-api03-PENDING-MIGRATIONS-0123456789';
/** Any free port: the tests read the server's URL. */
const PORT = '0';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A knex of this test's own, outside the server, for the SQL an operator would type. */
function adminKnex(database: TestDatabase): Knex {
  const knex =
    database.kind === 'sqlite'
      ? knexFactory({ client: 'sqlite3', connection: { filename: database.url.slice('sqlite:'.length) }, useNullAsDefault: true })
      : knexFactory({ client: 'pg', connection: database.url });
  cleanups.push(() => knex.destroy());
  return knex;
}

/** `llm-settings migrate` as a migration job runs it: the built CLI, in a process of its own. */
async function runMigrationJob(env: Record<string, string>): Promise<void> {
  const { code, output } = await run(process.execPath, [CLI, 'migrate'], env);
  expect(code, output).toBe(0);
}

async function readiness(server: RunningServer) {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, string> } };
}

async function put(server: RunningServer) {
  const response = await fetch(`${server.url}/api/settings/llm`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'anthropic', api_key: API_KEY, model: 'claude-sonnet-4-20250514' }),
  });
  return response.status;
}

async function get(server: RunningServer) {
  const response = await fetch(`${server.url}/api/settings/llm`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describeEachDatabase('serve({ migrate: false }) on a %s database that lacks migrations', (kind) => {
  it('warns at the start naming them, is not ready until a migration job runs them, then ready without a restart', async () => {
    assertBuilt();
    const database = await createDatabase(kind);
    cleanups.push(() => database.drop());
    const env = { DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey() };
    await runMigrationJob(env);
    // The database as an older version left it: without the history table, nor the usage table.
    const admin = adminKnex(database);
    await admin.schema.dropTable('settings_history');
    await admin('settings_migrations').where({ name: '0002_create_history_table' }).delete();
    await admin.schema.dropTable('llm_usage');

    const logs = captureLogs();
    const server = await serve({ migrate: false, env: { ...env, PORT }, logger: logs.logger });
    cleanups.push(() => server.close());

    const warning = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => 'pending_migrations' in line);
    expect(warning).toMatchObject({
      level: 40,
      pending_migrations: ['settings/0002_create_history_table', 'usage/0001_create_usage_table'],
      msg: expect.stringContaining('llm-settings migrate'),
    });
    expect(await readiness(server)).toEqual({
      status: 503,
      body: { status: 'not_ready', checks: { storage: 'ok', encryption_keys: 'ok', storage_writable: 'ok', storage_schema: 'fail' } },
    });

    await runMigrationJob(env);
    // /readyz reuses a result for 1 s: wait for the one after the job.
    await vi.waitFor(async () => expect(await readiness(server)).toMatchObject({ status: 200, body: { checks: { storage_schema: 'ok' } } }), {
      timeout: 5_000,
      interval: 200,
    });
    expect(await put(server)).toBe(200);
  });

  it('starts on a database never migrated, without the key check, not ready until a migration job runs, then serves', async () => {
    assertBuilt();
    const database = await createDatabase(kind);
    cleanups.push(() => database.drop());
    const env = { DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey() };

    const logs = captureLogs();
    const server = await serve({ migrate: false, env: { ...env, PORT }, logger: logs.logger });
    cleanups.push(() => server.close());

    const warning = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => 'pending_migrations' in line);
    expect(warning).toMatchObject({
      level: 40,
      pending_migrations: ['settings/0001_create_settings_table', 'settings/0002_create_history_table', 'usage/0001_create_usage_table'],
      key_check: 'skipped',
    });
    expect(await readiness(server)).toMatchObject({ status: 503, body: { status: 'not_ready', checks: { storage_schema: 'fail' } } });
    // Meanwhile the settings are unavailable, as a store that cannot be reached is: a 503, never a 500.
    expect(await get(server)).toMatchObject({ status: 503, body: { code: 'STORAGE.UNAVAILABLE' } });

    await runMigrationJob(env);
    await vi.waitFor(async () => expect(await readiness(server)).toMatchObject({ status: 200, body: { checks: { storage_schema: 'ok' } } }), {
      timeout: 5_000,
      interval: 200,
    });
    expect(await put(server)).toBe(200);
    expect(await get(server)).toMatchObject({ status: 200, body: { provider: 'anthropic', model: 'claude-sonnet-4-20250514' } });
  });

  it.each([
    ['the usage table', (knex: Knex) => knex.schema.dropTable('llm_usage')],
    [
      'the history table (a database made before it)',
      async (knex: Knex) => {
        await knex.schema.dropTable('settings_history');
        await knex('settings_migrations').where({ name: '0002_create_history_table' }).delete();
      },
    ],
  ])('still checks the keys at the start when only %s is to make: the settings table is there', async (_what, unmake) => {
    const database = await createDatabase(kind);
    cleanups.push(() => database.drop());
    const saved = await createLlmSettings({ env: { DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey() }, logger: silentLogger });
    await saved.service.update({ provider: 'anthropic', api_key: API_KEY });
    await saved.close();
    await unmake(adminKnex(database));

    const logs = captureLogs();
    const error = await createLlmSettings({ migrate: false, env: { DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey() }, logger: logs.logger }).then(
      async (settings) => {
        await settings.close();
        return null;
      },
      (thrown: unknown) => thrown,
    );

    expect(logs.text()).toContain('"key_check":"run"');
    expect(isLlmSettingsError(error, ErrorCodes.CONFIG_INVALID) && error.message).toMatch(/^Refusing to start: none of the 1 stored values/);
  });

  it('starts without a warning and reports storage_schema ok when nothing is pending', async () => {
    assertBuilt();
    const database = await createDatabase(kind);
    cleanups.push(() => database.drop());
    const env = { DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey() };
    await runMigrationJob(env);

    const logs = captureLogs();
    const server = await serve({ migrate: false, env: { ...env, PORT }, logger: logs.logger });
    cleanups.push(() => server.close());

    expect(logs.text()).not.toContain('pending_migrations');
    expect(await readiness(server)).toMatchObject({ status: 200, body: { checks: { storage_schema: 'ok' } } });
  });
});
