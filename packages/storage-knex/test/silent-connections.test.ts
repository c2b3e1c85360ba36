import { performance } from 'node:perf_hooks';
import { StorageUnavailableError, type HistoryEntry } from '@llm-settings/core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { createFreezingProxy, type FreezingProxy } from './support/freezing-proxy.js';
import { createTestSchema, describeWithPostgres, POSTGRES_URL, type TestSchema } from './support/postgres.js';

/** The deadline the stores under test get: short, for a quick test. */
const DEADLINE_MS = 400;
/** What a statement may take past its deadline to fail, and a fresh connection to answer. */
const MARGIN_MS = 1_000;

const HISTORY: HistoryEntry = { scope: 'silent', action: 'update', actor: 'admin', fields: ['model'], apiKeyChanged: false };

let schema: TestSchema;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  schema = await createTestSchema();
  const knex = createKnexFromUrl(schema.url());
  await migrateSettingsStore(knex);
  await knex.destroy();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await schema?.drop();
});

async function proxy(): Promise<FreezingProxy> {
  const target = new URL(POSTGRES_URL);
  const created = await createFreezingProxy({ host: target.hostname, port: Number(target.port) });
  cleanups.push(() => created.close());
  return created;
}

/** A knex and its store whose connections go through `through`, with the test's deadline. */
function storeVia(through: FreezingProxy) {
  const url = new URL(schema.url());
  url.port = String(through.port);
  const knex = createKnexFromUrl(url.toString(), { statementTimeoutMs: DEADLINE_MS });
  const store = createKnexSettingsStore(knex, { notifyChannel: schema.name, listenForRemoteChanges: false });
  cleanups.push(async () => {
    await store.close();
    await knex.destroy();
  });
  return { knex, store };
}

/** How `call` settled, and when, in ms from `since`; unsettled after `withinMs`: `{ settled: false }`. */
async function settled(call: Promise<unknown>, since: number, withinMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ settled: false }>((resolve) => (timer = setTimeout(() => resolve({ settled: false }), withinMs)));
  const outcome = call.then(
    (value) => ({ settled: true as const, value, afterMs: performance.now() - since }),
    (error: unknown) => ({ settled: true as const, error, afterMs: performance.now() - since }),
  );
  const result = await Promise.race([outcome, late]);
  clearTimeout(timer);
  return result;
}

describeWithPostgres('PostgreSQL connections gone silent', () => {
  it('a get and a set on silent connections fail as StorageUnavailableError at the deadline; what waited behind them and later calls go on fresh connections', async () => {
    const silence = await proxy();
    const { knex, store } = storeVia(silence);
    await store.set('seed', 'v1');
    // Two pooled connections, one for the get and one for the set.
    await Promise.all([knex.raw('SELECT pg_sleep(0.05)'), knex.raw('SELECT pg_sleep(0.05)')]);
    expect(silence.openConnections()).toBe(2);

    silence.freeze();
    const since = performance.now();
    const within = DEADLINE_MS + MARGIN_MS;
    const [get, set, waitedBehindGet] = await Promise.all([
      settled(store.get('seed'), since, within),
      // With a history entry: a transaction, whose BEGIN goes unanswered.
      settled(store.set('seed', 'v2', { history: HISTORY }), since, within),
      // Sent while the get's statement is in flight: it waits for the next one.
      settled(store.get('seed'), since, within + MARGIN_MS),
    ]);

    for (const stuck of [get, set]) {
      expect(stuck).toMatchObject({ settled: true, error: expect.any(StorageUnavailableError) });
      expect((stuck as { afterMs: number }).afterMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    }
    expect(waitedBehindGet).toMatchObject({ settled: true, value: { value: 'v1' } });
    // Both silent connections were closed by the pool, not left to the kernel.
    expect(silence.openSilentConnections()).toBe(0);

    expect(await store.set('seed', 'v3', { history: HISTORY })).toMatchObject({ value: 'v3', version: 2 });
    expect(await store.get('seed')).toMatchObject({ value: 'v3' });
  });

  it('destroying the knex does not wait for a statement stuck on a silent connection beyond its deadline', async () => {
    const silence = await proxy();
    const { knex, store } = storeVia(silence);
    await store.get('seed');
    silence.freeze();
    const sent = new Promise((resolve) => knex.once('query', resolve));
    const stuck = store.get('seed').catch((error: unknown) => error);
    await sent;

    const since = performance.now();
    const destroyed = await settled(knex.destroy(), since, DEADLINE_MS + MARGIN_MS);
    expect(destroyed).toMatchObject({ settled: true });
    expect((destroyed as { afterMs: number }).afterMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(await stuck).toBeInstanceOf(StorageUnavailableError);
  });
});
