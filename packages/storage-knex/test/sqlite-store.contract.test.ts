import { describeSettingsStoreContract } from '@llm-settings/contract-tests';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { commitHoldsOn } from './support/commit-hold.js';
import { createTempDir } from './support/sqlite.js';

const dir = createTempDir();
const filename = dir.file('settings.db');
const databases: Record<'file' | 'memory', Knex> = {
  file: createKnexFromUrl(`sqlite:${filename}`),
  memory: createKnexFromUrl('sqlite::memory:'),
};
/** Knex instances the hooks opened, destroyed after the suites. */
const opened: Knex[] = [];
const open = (knex: Knex) => {
  opened.push(knex);
  return knex;
};

beforeAll(async () => {
  await migrateSettingsStore(databases.file);
  await migrateSettingsStore(databases.memory);
});

afterAll(async () => {
  await Promise.all([databases.file, databases.memory, ...opened].map((knex) => knex.destroy()));
  dir.remove();
});

describeSettingsStoreContract({
  name: 'SQLite file',
  create: () => createKnexSettingsStore(databases.file),
  reset: async () => {
    await databases.file('settings').del();
    await databases.file('settings_history').del();
  },
  rawValue: async (key) => (await databases.file('settings').where({ key }).first('value'))?.value ?? null,
  holdNextCommit: commitHoldsOn(databases.file),
  // Another process: a connection of its own to the same file.
  openSecondInstance: () => createKnexSettingsStore(open(createKnexFromUrl(`sqlite:${filename}`))),
  // Root ignores file permissions, so the file is opened read-only, as SQLite does for a read-only file or mount.
  createUnavailable: () => ({
    store: createKnexSettingsStore(
      open(knexFactory({ client: 'sqlite3', connection: { filename: `file:${filename}?mode=ro`, flags: ['OPEN_URI'] }, useNullAsDefault: true })),
    ),
    neverMention: [dir.path],
  }),
});

describeSettingsStoreContract({
  name: 'SQLite :memory:',
  create: () => createKnexSettingsStore(databases.memory),
  reset: async () => {
    await databases.memory('settings').del();
    await databases.memory('settings_history').del();
  },
  rawValue: async (key) => (await databases.memory('settings').where({ key }).first('value'))?.value ?? null,
  holdNextCommit: commitHoldsOn(databases.memory),
});
