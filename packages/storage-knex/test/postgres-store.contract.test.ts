import { describeSettingsStoreContract } from '@llm-settings/contract-tests';
import type { Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { createTestSchema, type TestSchema } from './support/postgres.js';

let schema: TestSchema;
let knex: Knex;

beforeAll(async () => {
  schema = await createTestSchema();
  knex = createKnexFromUrl(schema.url());
  await migrateSettingsStore(knex);
});

afterAll(async () => {
  await knex?.destroy();
  await schema?.drop();
});

describeSettingsStoreContract({
  name: 'PostgreSQL',
  // A channel of its own, so other test runs on the same database are not heard.
  create: () => createKnexSettingsStore(knex, { notifyChannel: schema.name }),
  reset: async () => {
    await knex('settings').del();
  },
  rawValue: async (key) => (await schema.admin('settings').where({ key }).first('value'))?.value ?? null,
});
