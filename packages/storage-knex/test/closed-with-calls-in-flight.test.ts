import { StorageUnavailableError } from '@llm-settings/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKnexSettingsStore } from '../src/index.js';
import { openPostgresDatabase, openSqliteFileDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/postgres.js';

const CLOSED = 'The settings store is closed.';

/** Every kind of call the store makes, `rounds` times over, settled as they are made (none left unhandled meanwhile). */
function callsOf(store: ReturnType<typeof createKnexSettingsStore>, rounds: number): Promise<PromiseSettledResult<unknown>[]> {
  const calls = Array.from({ length: rounds }, (_, i) => [
    store.set(`in-flight:set:${i}`, 'value'),
    store.get(`in-flight:set:${i}`),
    store.setMany([
      { key: `in-flight:many:${i}`, value: 'value' },
      { key: `in-flight:other:${i}`, value: 'value' },
    ]),
    store.delete(`in-flight:set:${i}`),
    store.readHistory({ scope: `scope-${i}`, limit: 10 }),
    (async () => {
      for await (const record of store.list()) void record;
    })(),
  ]).flat();
  return Promise.allSettled(calls);
}

/** The failures of `calls`: each StorageUnavailableError (never INTERNAL), its message fixed wording. */
async function storageFailuresOf(calls: Promise<PromiseSettledResult<unknown>[]>): Promise<StorageUnavailableError[]> {
  const failures = (await calls).flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
  for (const failure of failures) {
    expect(failure, String(failure.cause)).toBeInstanceOf(StorageUnavailableError);
    expect(failure.message).not.toContain('127.0.0.1');
  }
  return failures as StorageUnavailableError[];
}

describeEachDatabase(
  [
    ['SQLite file', openSqliteFileDatabase],
    ['PostgreSQL', openPostgresDatabase],
  ] as const,
  'closing a store on %s with calls in flight',
  (_kind, open) => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await open();
    });
    afterAll(async () => database.close());

    it('fails every call it cuts short with StorageUnavailableError saying the store is closed, as every call after close', async () => {
      const knex = database.connect();
      const store = createKnexSettingsStore(knex, { notifyChannel: database.channel });
      store.watch(() => undefined);
      const inFlight = callsOf(store, 40);
      // As an embedder's close() does: the store, then the pool its owner made.
      await store.close();
      await knex.destroy();
      const cutShort = await storageFailuresOf(inFlight);
      expect(cutShort.length, 'no call was cut short by the pool closing').toBeGreaterThan(0);
      expect(new Set(cutShort.map(({ message }) => message))).toEqual(new Set([CLOSED]));
      expect((await storageFailuresOf(callsOf(store, 1))).map(({ message }) => message)).toEqual(Array(6).fill(CLOSED));
    });

    it('refuses at once, saying the store is closed, the gets and sets batched behind a running statement when it closes', async () => {
      const knex = database.connect();
      const store = createKnexSettingsStore(knex, { notifyChannel: database.channel });
      // The first get and the first set go out at once; the others wait for them, to go together after.
      // Settled as they end, while the store closes: a failure met before a handler is there would be unhandled.
      const running = Promise.allSettled([store.get('queued:running'), store.set('queued:running', 'value')]);
      const queued = Array.from({ length: 20 }, (_, i) => [store.get(`queued:get:${i}`), store.set(`queued:set:${i}`, 'value')]).flat();
      const queuedFailures = storageFailuresOf(Promise.allSettled(queued));
      const closing = Date.now();
      await store.close();
      await knex.destroy();
      const failures = await queuedFailures;
      expect(failures.map(({ message }) => message)).toEqual(Array(queued.length).fill(CLOSED));
      expect(Date.now() - closing, 'a queued batch waited out the acquire timeout').toBeLessThan(1000);
      await running;
    });

    it('fails calls with StorageUnavailableError saying the store is closed once its pool is destroyed under it', async () => {
      const knex = database.connect();
      const store = createKnexSettingsStore(knex, { notifyChannel: database.channel });
      const inFlight = callsOf(store, 40);
      await knex.destroy();
      expect((await storageFailuresOf(inFlight)).length).toBeGreaterThan(0);
      expect((await storageFailuresOf(callsOf(store, 1))).map(({ message }) => message)).toEqual(Array(6).fill(CLOSED));
      await store.close();
    });
  },
);
