import { ErrorCodes } from '@llm-settings/core';
import knexFactory from 'knex';
import { afterAll, describe, expect, it } from 'vitest';
import { createKnexUsageStore, migrateUsageStore } from '../src/index.js';
import { sqliteFileDatabase } from './support/databases.js';

describe('migrateUsageStore', () => {
  const database = sqliteFileDatabase();
  afterAll(() => database.drop());

  it('creates the table once: run again, or by two instances at once, it keeps the rows', async () => {
    const [a, b] = [database.open(), database.open()];
    await Promise.all([migrateUsageStore(a), migrateUsageStore(b)]);
    const store = createKnexUsageStore(a);
    await store.add([{ scope: 's', date: '2026-01-01', provider: 'p', model: 'm', calls: 1, failedCalls: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 }]);
    await migrateUsageStore(b);
    expect(await createKnexUsageStore(b).read({ scope: 's', from: '2026-01-01', to: '2026-01-01' })).toHaveLength(1);
  });

  it('a database that cannot be reached fails with StorageUnavailableError naming neither host nor user', async () => {
    const unreachable = knexFactory({
      client: 'pg',
      connection: { connectionString: 'postgres://secret-user@127.0.0.1:1/nowhere', connectionTimeoutMillis: 500 },
      pool: { min: 0, max: 1 },
      acquireConnectionTimeout: 2000,
    });
    try {
      const store = createKnexUsageStore(unreachable);
      for (const attempt of [migrateUsageStore(unreachable), store.read({ scope: 's', from: '2026-01-01', to: '2026-01-02' }), store.prune('2026-01-01')]) {
        const error = await attempt.then(
          () => null,
          (failure: Error & { code?: string }) => failure,
        );
        expect(error).toMatchObject({ name: 'StorageUnavailableError', code: ErrorCodes.STORAGE_UNAVAILABLE });
        expect(error?.message).not.toMatch(/secret-user|127\.0\.0\.1|nowhere/);
      }
    } finally {
      await unreachable.destroy();
    }
  });
});
