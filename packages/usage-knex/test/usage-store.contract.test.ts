import { dirname } from 'node:path';
import { describeUsageStoreContract, type UnavailableUsageStore } from '@llm-settings/contract-tests';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { createKnexUsageStore, migrateUsageStore } from '../src/index.js';
import { describeWithPostgres, postgresDatabase, sqliteFileDatabase, type TestDatabase } from './support/databases.js';

/** Credentials of a server that is not there: no error message may repeat them. */
const UNREACHABLE = { user: 'contract_user', password: 'contract-secret-pw', host: '127.0.0.1', port: '1' };

/** Knex instances the unavailable stores hold, destroyed after the suites. */
const unavailable: Knex[] = [];
afterAll(() => Promise.all(unavailable.splice(0).map((knex) => knex.destroy())));

/**
 * The contract on `database`: each test on an emptied table; the second instance a knex of its own (other connections), as another process;
 * the unavailable store one that `unavailableKnex` opens, given the suite's knex.
 */
function describeOn(database: () => TestDatabase, name: string, unavailableKnex: (main: Knex) => { knex: Knex; neverMention: string[] }): void {
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
    createUnavailable: (): UnavailableUsageStore => {
      const { knex, neverMention } = unavailableKnex(main);
      unavailable.push(knex);
      return { store: createKnexUsageStore(knex), neverMention };
    },
  });
}

const sqlite = sqliteFileDatabase();
afterAll(() => sqlite.drop());
// The suite's file opened read-only (root ignores file permissions), as SQLite opens a read-only file or mount.
describeOn(() => sqlite, 'SQLite file', (main) => {
  const { filename } = main.client.config.connection as { filename: string };
  const readOnly = knexFactory({ client: 'sqlite3', connection: { filename: `file:${filename}?mode=ro`, flags: ['OPEN_URI'] }, useNullAsDefault: true });
  return { knex: readOnly, neverMention: [dirname(filename)] };
});

describeWithPostgres('PostgreSQL', () => {
  let postgres: TestDatabase;
  beforeAll(async () => {
    postgres = await postgresDatabase();
  });
  afterAll(() => postgres.drop());
  // A server that is not there, reached with a user and password.
  describeOn(() => postgres, 'PostgreSQL', () => {
    const { user, password, host, port } = UNREACHABLE;
    // knex warns of each refused connection on the console: the suite's checks are what tell.
    const knex = knexFactory({ client: 'pg', connection: `postgres://${user}:${password}@${host}:${port}/test`, log: { warn: () => undefined } });
    return { knex, neverMention: [user, password, host] };
  });
});
