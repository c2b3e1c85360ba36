import { afterEach, describe, expect, it } from 'vitest';
import { migrateUsageStore, pendingUsageStoreMigrations } from '../src/index.js';
import { describeWithPostgres, postgresDatabase, sqliteFileDatabase, type TestDatabase } from './support/databases.js';

const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const database of databases.splice(0)) await database.drop();
});

function describeOn(name: string, open: () => TestDatabase | Promise<TestDatabase>, describeIt: typeof describe | typeof describeWithPostgres) {
  describeIt(`pendingUsageStoreMigrations on ${name}`, () => {
    const knexOn = async () => {
      const database = await open();
      databases.push(database);
      return database.open();
    };

    it('names the table’s creation while the table is absent, and creates nothing while looking', async () => {
      const knex = await knexOn();
      expect(await pendingUsageStoreMigrations(knex)).toEqual(['0001_create_usage_table']);
      expect(await knex.schema.hasTable('llm_usage')).toBe(false);
    });

    it('names none once migrateUsageStore ran', async () => {
      const knex = await knexOn();
      await migrateUsageStore(knex);
      expect(await pendingUsageStoreMigrations(knex)).toEqual([]);
    });

    it('reads the table name it is given', async () => {
      const knex = await knexOn();
      await migrateUsageStore(knex, { tableName: 'tenant_usage' });
      expect(await pendingUsageStoreMigrations(knex, { tableName: 'tenant_usage' })).toEqual([]);
      expect(await pendingUsageStoreMigrations(knex)).toEqual(['0001_create_usage_table']);
    });
  });
}

describeOn('SQLite file', sqliteFileDatabase, describe);
describeOn('PostgreSQL', postgresDatabase, describeWithPostgres);
