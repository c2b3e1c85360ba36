import { performance } from 'node:perf_hooks';
import { StorageUnavailableError, type SettingChange, type SettingsStore } from '@llm-settings/core';
import type { Knex } from 'knex';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { createTestSchema, describeWithPostgres, POSTGRES_URL, sessionsOf, type TestSchema } from './support/postgres.js';
import { createTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

/** The bound: a GET on a stopped database answers 503 within 2 s. */
const UNAVAILABLE_WITHIN_MS = 2_000;

const FEED_GAP: SettingChange = { key: null, origin: 'remote' };

let schema: TestSchema;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  schema = await createTestSchema();
  const knex = createKnexFromUrl(schema.url());
  await migrateSettingsStore(knex);
  await createKnexSettingsStore(knex, { listenForRemoteChanges: false }).set('seed', 'stored before the fault');
  await knex.destroy();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await schema?.drop();
});

/** A proxy to the local PostgreSQL, not yet accepting. */
async function proxy(): Promise<TcpProxy> {
  const target = new URL(POSTGRES_URL);
  const created = await createTcpProxy({ host: target.hostname, port: Number(target.port) });
  cleanups.push(() => created.close());
  return created;
}

/** A store whose connections go through `through`, tagged `applicationName`. */
function storeVia(through: TcpProxy, applicationName: string, listenForRemoteChanges = false): SettingsStore {
  const url = new URL(schema.url(applicationName));
  url.port = String(through.port);
  const knex: Knex = createKnexFromUrl(url.toString());
  const store = createKnexSettingsStore(knex, { notifyChannel: schema.name, listenForRemoteChanges });
  cleanups.push(async () => {
    await store.close();
    await knex.destroy();
  });
  return store;
}

/** How `get` fails, and how long it took to. */
async function timedGetFailure(store: SettingsStore): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  const error = await store.get('seed').then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, elapsedMs: performance.now() - started };
}

describeWithPostgres('PostgreSQL unreachable', () => {
  it('nothing listening on the port: get fails as StorageUnavailableError within 2 s, and works once the server is reachable', async () => {
    const gate = await proxy();
    const store = storeVia(gate, `${schema.name}_refused`);

    const { error, elapsedMs } = await timedGetFailure(store);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(elapsedMs).toBeLessThan(UNAVAILABLE_WITHIN_MS);

    await gate.start();
    expect(await store.get('seed')).toMatchObject({ value: 'stored before the fault' });
  });

  it('every pooled session terminated and new ones refused: get fails as StorageUnavailableError within 2 s, and works once the server is back', async () => {
    const gate = await proxy();
    await gate.start();
    const appName = `${schema.name}_terminated`;
    const store = storeVia(gate, appName);
    // Several pooled connections, all of them dead afterwards.
    await Promise.all(Array.from({ length: 3 }, () => store.get('seed')));
    expect(await sessionsOf(schema.admin, appName)).not.toEqual([]);

    // As a server shutdown does: no new connections, and the open ones terminated. Repeated
    // until nothing is forwarded: a connection the pool was still opening shows up late.
    gate.stop();
    await vi.waitFor(async () => {
      await schema.admin.raw('SELECT pg_terminate_backend(pid) FROM unnest(?::int[]) AS pid', [await sessionsOf(schema.admin, appName)]);
      expect(gate.openSockets()).toBe(0);
    });
    await gate.drained();

    const { error, elapsedMs } = await timedGetFailure(store);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(elapsedMs).toBeLessThan(UNAVAILABLE_WITHIN_MS);

    await gate.start();
    expect(await store.get('seed')).toMatchObject({ value: 'stored before the fault' });
  });

  it('a connection whose session the server ended mid-query is not reused, even before its socket closes', async () => {
    const gate = await proxy();
    await gate.start();
    const appName = `${schema.name}_ended`;
    const store = storeVia(gate, appName);
    await store.set('locked', 'v1');
    // Holding the row lock parks the store's next write on the server until its session is ended.
    const blocker = await schema.admin.transaction();
    await blocker.raw('SELECT 1 FROM settings WHERE key = ? FOR UPDATE', ['locked']);
    const pending = store.set('locked', 'v2').catch((error: unknown) => error);
    await vi.waitFor(async () => expect(await sessionsOf(schema.admin, appName, { waitingForLock: true })).toHaveLength(1));

    // The FATAL message reaches the client; the socket's close does not, for now.
    gate.holdCloses();
    await schema.admin.raw('SELECT pg_terminate_backend(pid) FROM unnest(?::int[]) AS pid', [await sessionsOf(schema.admin, appName)]);
    expect(await pending).toBeInstanceOf(StorageUnavailableError);
    await blocker.rollback();

    expect(await store.set('locked', 'v3')).toMatchObject({ value: 'v3', version: 2 });
    gate.releaseCloses();
  });

  it('a change feed that cannot connect reports a null key, another once connected, then remote changes', async () => {
    const gate = await proxy();
    const reader = storeVia(gate, `${schema.name}_feed`, true);
    const changes: SettingChange[] = [];
    reader.watch((change) => changes.push(change));
    await vi.waitFor(() => expect(changes).toEqual([FEED_GAP]), { timeout: 1_000, interval: 5 });

    await gate.start();
    await vi.waitFor(() => expect(changes).toEqual([FEED_GAP, FEED_GAP]), { timeout: 10_000, interval: 20 });

    const writerKnex = createKnexFromUrl(schema.url(`${schema.name}_feed_writer`));
    cleanups.push(() => writerKnex.destroy());
    await createKnexSettingsStore(writerKnex, { notifyChannel: schema.name, listenForRemoteChanges: false }).set('fresh', 'v');
    await vi.waitFor(() => expect(changes).toEqual([FEED_GAP, FEED_GAP, { key: 'fresh', origin: 'remote' }]), { timeout: 1_000, interval: 10 });
  });
});
