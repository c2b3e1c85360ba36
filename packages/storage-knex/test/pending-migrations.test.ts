import type { Knex } from 'knex';
import knexFactory from 'knex';
import { afterEach, expect, it } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore, pendingSettingsStoreMigrations } from '../src/index.js';
import { createTestSchema, describeEachDatabase } from './support/postgres.js';
import { createTempDir } from './support/sqlite.js';

const ALL = ['0001_create_settings_table', '0002_create_history_table'];

/** An empty database, and a knex on it as the application would create one. */
interface EmptyDatabase {
  knex: Knex;
  close(): Promise<void>;
}

async function emptySqlite(): Promise<EmptyDatabase> {
  const dir = createTempDir();
  const knex = createKnexFromUrl(`sqlite:${dir.file('settings.db')}`);
  return {
    knex,
    async close() {
      await knex.destroy();
      dir.remove();
    },
  };
}

async function emptyPostgres(): Promise<EmptyDatabase> {
  const schema = await createTestSchema();
  const knex = createKnexFromUrl(schema.url());
  return {
    knex,
    async close() {
      await knex.destroy();
      await schema.drop();
    },
  };
}

const opened: EmptyDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

async function open(factory: () => Promise<EmptyDatabase>): Promise<Knex> {
  const db = await factory();
  opened.push(db);
  return db.knex;
}

const DATABASES = [
  ['SQLite file', emptySqlite],
  ['PostgreSQL', emptyPostgres],
] as const;

describeEachDatabase(DATABASES, 'pendingSettingsStoreMigrations on %s', (_name, factory) => {
  it('names every migration on an empty database, and creates no table while looking', async () => {
    const knex = await open(factory);
    expect(await pendingSettingsStoreMigrations(knex)).toEqual(ALL);
    for (const table of ['settings', 'settings_migrations', 'settings_migrations_lock']) expect(await knex.schema.hasTable(table)).toBe(false);
  });

  it('writes no lock row while a migration job is still setting up its bookkeeping (the row would race the job’s own)', async () => {
    const knex = await open(factory);
    await knex.schema.createTable('settings_migrations_lock', (t) => {
      t.increments('index').primary();
      t.integer('is_locked');
    });
    await knex.schema.createTable('settings_migrations', (t) => {
      t.increments();
      t.string('name');
    });
    expect(await pendingSettingsStoreMigrations(knex)).toEqual(ALL);
    expect(await knex('settings_migrations_lock').select()).toEqual([]);
  });

  it('names none once migrated', async () => {
    const knex = await open(factory);
    await migrateSettingsStore(knex);
    expect(await pendingSettingsStoreMigrations(knex)).toEqual([]);
  });

  it('names the newest migration when the database lacks it, and none once migrateSettingsStore ran it', async () => {
    const knex = await open(factory);
    await migrateSettingsStore(knex);
    await knex.schema.dropTable('settings_history');
    await knex('settings_migrations').where({ name: '0002_create_history_table' }).delete();

    expect(await pendingSettingsStoreMigrations(knex)).toEqual(['0002_create_history_table']);
    await migrateSettingsStore(knex);
    expect(await pendingSettingsStoreMigrations(knex)).toEqual([]);
  });

  it('ignores a migration recorded by a newer version', async () => {
    const knex = await open(factory);
    await migrateSettingsStore(knex);
    await knex('settings_migrations').insert({ name: '0099_from_a_newer_version', batch: 2, migration_time: new Date() });
    expect(await pendingSettingsStoreMigrations(knex)).toEqual([]);
  });

  it('a store on the database before its migrations ran fails every call with StorageUnavailableError saying so (a 503 while the job runs)', async () => {
    const knex = await open(factory);
    const store = createKnexSettingsStore(knex, { listenForRemoteChanges: false });
    try {
      for (const call of [() => store.get('a'), () => store.set('a', 'v'), () => store.readHistory({ scope: 'a', limit: 1 })]) {
        await expect(call()).rejects.toMatchObject({ code: 'STORAGE.UNAVAILABLE', message: expect.stringContaining('Run the storage migrations') });
      }
    } finally {
      await store.close();
    }
  });

  it('reads the table name it is given', async () => {
    const knex = await open(factory);
    await migrateSettingsStore(knex, { tableName: 'tenant_settings' });
    expect(await pendingSettingsStoreMigrations(knex, { tableName: 'tenant_settings' })).toEqual([]);
    expect(await pendingSettingsStoreMigrations(knex)).toEqual(ALL);
  });
});

it('an unreachable database fails with StorageUnavailableError naming neither host nor user', async () => {
  const unreachable = knexFactory({
    client: 'pg',
    connection: { connectionString: 'postgres://secret-user@127.0.0.1:1/nowhere', connectionTimeoutMillis: 500 },
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: 2000,
  });
  try {
    const error = await pendingSettingsStoreMigrations(unreachable).catch((failure: Error) => failure);
    expect(error).toMatchObject({ name: 'StorageUnavailableError', code: 'STORAGE.UNAVAILABLE' });
    expect((error as Error).message).not.toMatch(/secret-user|127\.0\.0\.1|nowhere/);
  } finally {
    await unreachable.destroy();
  }
});
