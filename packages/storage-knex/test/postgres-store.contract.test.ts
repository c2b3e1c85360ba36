import { describeSettingsStoreContract, type CommitHold } from '@llm-settings/contract-tests';
import type { Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { commitHoldsOn } from './support/commit-hold.js';
import { createTestSchema, describeWithPostgres, type TestSchema } from './support/postgres.js';

/** Credentials of a server that is not there: no error message may repeat them. */
const UNREACHABLE = { user: 'contract_user', password: 'contract-secret-pw', host: '127.0.0.1', port: '1' };

let schema: TestSchema;
let knex: Knex;
let holdCommit: (() => CommitHold) | undefined;
/** Knex instances the hooks opened, destroyed after the suite. */
const opened: Knex[] = [];

beforeAll(async () => {
  schema = await createTestSchema();
  knex = createKnexFromUrl(schema.url());
  await migrateSettingsStore(knex);
});

afterAll(async () => {
  await Promise.all([knex, ...opened].map((k) => k?.destroy()));
  await schema?.drop();
});

describeWithPostgres('PostgreSQL settings store', () =>
  describeSettingsStoreContract({
  name: 'PostgreSQL',
  // A channel of its own, so other test runs on the same database are not heard.
  create: () => createKnexSettingsStore(knex, { notifyChannel: schema.name }),
  reset: async () => {
    await knex('settings').del();
    await knex('settings_history').del();
  },
  rawValue: async (key) => (await schema.admin('settings').where({ key }).first('value'))?.value ?? null,
  // On the stores' knex, which beforeAll creates.
  holdNextCommit: () => (holdCommit ??= commitHoldsOn(knex))(),
  // Another process: a pool and a LISTEN connection of its own.
  openSecondInstance: () => {
    const other = createKnexFromUrl(schema.url('contract second instance'));
    opened.push(other);
    return createKnexSettingsStore(other, { notifyChannel: schema.name });
  },
  createUnavailable: () => {
    const { user, password, host, port } = UNREACHABLE;
    const unreachable = createKnexFromUrl(`postgres://${user}:${password}@${host}:${port}/test`);
    opened.push(unreachable);
    return { store: createKnexSettingsStore(unreachable, { notifyChannel: schema.name }), neverMention: [user, password, host] };
  },
}),
);
