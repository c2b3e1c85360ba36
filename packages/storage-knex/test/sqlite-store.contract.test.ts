import { describeSettingsStoreContract } from '@llm-settings/contract-tests';
import type { Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { createTempDir } from './support/sqlite.js';

const dir = createTempDir();
const databases: Record<'file' | 'memory', Knex> = {
  file: createKnexFromUrl(`sqlite:${dir.file('settings.db')}`),
  memory: createKnexFromUrl('sqlite::memory:'),
};

beforeAll(async () => {
  await migrateSettingsStore(databases.file);
  await migrateSettingsStore(databases.memory);
});

afterAll(async () => {
  await databases.file.destroy();
  await databases.memory.destroy();
  dir.remove();
});

for (const [name, knex] of [
  ['SQLite file', databases.file],
  ['SQLite :memory:', databases.memory],
] as const) {
  describeSettingsStoreContract({
    name,
    create: () => createKnexSettingsStore(knex),
    reset: async () => {
      await knex('settings').del();
    },
    rawValue: async (key) => (await knex('settings').where({ key }).first('value'))?.value ?? null,
  });
}
