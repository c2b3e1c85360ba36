import { describeUsageStoreContract } from '@llm-settings/contract-tests';
import type { Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { createKnexUsageStore, migrateUsageStore } from '../src/index.js';
import { describeWithPostgres, postgresDatabase, sqliteFileDatabase, type TestDatabase } from './support/databases.js';

/** The contract on `database`: each test on an emptied table; the second instance a knex of its own (other connections), as another process. */
function describeOn(database: () => TestDatabase, name: string): void {
  let main: Knex;
  beforeAll(async () => {
    main = database().open();
    await migrateUsageStore(main);
  });
  describeUsageStoreContract({
    name,
    create: async () => {
      await main('llm_usage').del();
      return createKnexUsageStore(main);
    },
    openSecondInstance: () => createKnexUsageStore(database().open()),
  });
}

const sqlite = sqliteFileDatabase();
afterAll(() => sqlite.drop());
describeOn(() => sqlite, 'SQLite file');

describeWithPostgres('PostgreSQL', () => {
  let postgres: TestDatabase;
  beforeAll(async () => {
    postgres = await postgresDatabase();
  });
  afterAll(() => postgres.drop());
  describeOn(() => postgres, 'PostgreSQL');
});
