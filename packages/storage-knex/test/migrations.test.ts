import type { Knex } from 'knex';
import { afterEach, expect, it } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { createTestSchema, describeEachDatabase } from './support/postgres.js';
import { createTempDir } from './support/sqlite.js';

/** A fresh, empty database reachable through `count` separate knex instances (stand-ins for processes). */
interface EmptyDatabase {
  knexes: Knex[];
  close(): Promise<void>;
}

async function emptySqlite(count: number): Promise<EmptyDatabase> {
  const dir = createTempDir();
  const knexes = Array.from({ length: count }, () => createKnexFromUrl(`sqlite:${dir.file('settings.db')}`));
  return {
    knexes,
    async close() {
      await Promise.all(knexes.map((knex) => knex.destroy()));
      dir.remove();
    },
  };
}

async function emptyPostgres(count: number): Promise<EmptyDatabase> {
  const schema = await createTestSchema();
  const knexes = Array.from({ length: count }, () => createKnexFromUrl(schema.url()));
  return {
    knexes,
    async close() {
      await Promise.all(knexes.map((knex) => knex.destroy()));
      await schema.drop();
    },
  };
}

const opened: EmptyDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

async function open(factory: (count: number) => Promise<EmptyDatabase>, count = 1): Promise<EmptyDatabase> {
  const db = await factory(count);
  opened.push(db);
  return db;
}

const DATABASES = [
  ['SQLite file', emptySqlite],
  ['PostgreSQL', emptyPostgres],
] as const;

describeEachDatabase(DATABASES, 'migrateSettingsStore on %s', (_name, factory) => {
  it('is idempotent: running it again keeps the table, its rows and a single migration record', async () => {
    const { knexes } = await open(factory);
    const knex = knexes[0] as Knex;
    await migrateSettingsStore(knex);
    await createKnexSettingsStore(knex, { listenForRemoteChanges: false }).set('kept', 'value');
    await migrateSettingsStore(knex);
    await migrateSettingsStore(knex);

    expect(await knex('settings_migrations').pluck('name')).toEqual(['0001_create_settings_table', '0002_create_history_table']);
    expect(await knex('settings_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }]);
    expect(await knex('settings').select('key', 'value')).toEqual([{ key: 'kept', value: 'value' }]);
  });

  it('is safe when four processes run it at the same moment on an empty database', async () => {
    // Several rounds: each one is a fresh race between the processes.
    for (let round = 0; round < 3; round += 1) {
      const db = await open(factory, 4);
      await Promise.all(db.knexes.map((knex) => migrateSettingsStore(knex)));
      const knex = db.knexes[0] as Knex;
      expect(await knex('settings_migrations').pluck('name')).toEqual(['0001_create_settings_table', '0002_create_history_table']);
      expect(await knex('settings_migrations_lock').select('is_locked')).toEqual([{ is_locked: 0 }]);
      expect(await createKnexSettingsStore(knex, { listenForRemoteChanges: false }).set('k', 'v')).toMatchObject({ version: 1 });
    }
  }, 60_000);

  it('with a tableName, creates that table and its own migration record, apart from the app\'s knex_migrations', async () => {
    const { knexes } = await open(factory);
    const knex = knexes[0] as Knex;
    await migrateSettingsStore(knex, { tableName: 'app_llm_settings' });

    expect(await knex.schema.hasTable('app_llm_settings')).toBe(true);
    expect(await knex.schema.hasTable('settings')).toBe(false);
    expect(await knex.schema.hasTable('knex_migrations')).toBe(false);
    expect(await knex('app_llm_settings_migrations').pluck('name')).toEqual(['0001_create_settings_table', '0002_create_history_table']);
    const store = createKnexSettingsStore(knex, { tableName: 'app_llm_settings', listenForRemoteChanges: false });
    await store.set('k', 'v');
    expect(await knex('app_llm_settings').pluck('value')).toEqual(['v']);
  });
});
