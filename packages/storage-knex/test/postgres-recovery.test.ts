import { StorageUnavailableError, type SettingChange } from '@llm-settings/core';
import type { Knex } from 'knex';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore } from '../src/index.js';
import { createTestSchema, describeWithPostgres, sessionsOf, type TestSchema } from './support/postgres.js';

/** What a store reports once its feed of remote changes is first up, and when it goes down or comes back. */
const FEED_GAP: SettingChange = { key: null, origin: 'remote' };

let schema: TestSchema;
const knexes: Knex[] = [];

function connect(applicationName: string): Knex {
  const knex = createKnexFromUrl(schema.url(applicationName));
  knexes.push(knex);
  return knex;
}

/** Kills the server side of every session tagged `applicationName`, as a server restart would. */
async function terminateSessions(applicationName: string): Promise<void> {
  const pids = await sessionsOf(schema.admin, applicationName);
  expect(pids.length).toBeGreaterThan(0);
  await schema.admin.raw('SELECT pg_terminate_backend(pid) FROM unnest(?::int[]) AS pid', [pids]);
  await vi.waitFor(async () => {
    const alive = await sessionsOf(schema.admin, applicationName);
    expect(alive.filter((pid) => pids.includes(pid))).toEqual([]);
  });
}

beforeAll(async () => {
  schema = await createTestSchema();
  await migrateSettingsStore(connect(schema.name));
});

afterAll(async () => {
  await Promise.all(knexes.map((knex) => knex.destroy()));
  await schema?.drop();
});

describeWithPostgres('PostgreSQL recovery after the server drops the connections', () => {
  it('the call during the fault fails as StorageUnavailableError or succeeds, and the next call succeeds', async () => {
    const appName = `${schema.name}_pool`;
    const store = createKnexSettingsStore(connect(appName), { notifyChannel: schema.name, listenForRemoteChanges: false });
    // Several pooled connections, so every one of them is idle and dead afterwards.
    await Promise.all(Array.from({ length: 5 }, (_, i) => store.set(`warm-${i}`, 'x')));

    await terminateSessions(appName);

    const during = await store.get('warm-0').catch((error: unknown) => error);
    if (during instanceof Error) {
      expect(during).toBeInstanceOf(StorageUnavailableError);
    } else {
      expect(during).toMatchObject({ key: 'warm-0', value: 'x' });
    }
    expect(await store.get('warm-0')).toMatchObject({ value: 'x' });
    expect(await store.set('after', 'y')).toMatchObject({ value: 'y', version: 1 });
    await store.close();
  });

  it('a write cut off mid-flight fails as StorageUnavailableError, and the next write succeeds', async () => {
    const appName = `${schema.name}_inflight`;
    const store = createKnexSettingsStore(connect(appName), { notifyChannel: schema.name, listenForRemoteChanges: false });
    await store.set('locked', 'v1');
    // Holding the row lock parks the store's UPDATE on the server until its session is killed.
    const blocker = await schema.admin.transaction();
    await blocker.raw('SELECT 1 FROM settings WHERE key = ? FOR UPDATE', ['locked']);
    const pending = store.set('locked', 'v2').catch((error: unknown) => error);
    await vi.waitFor(async () => expect(await sessionsOf(schema.admin, appName, { waitingForLock: true })).toHaveLength(1));

    await terminateSessions(appName);

    const error = await pending;
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toBe('The settings storage is unavailable.');
    await blocker.rollback();
    expect(await store.set('locked', 'v3')).toMatchObject({ value: 'v3', version: 2 });
    await store.close();
  });

  it('terminating the LISTEN session reports a null key at once, another once it is back (and one reconnect), then remote changes again', async () => {
    const appName = `${schema.name}_listener`;
    let reconnects = 0;
    const reader = createKnexSettingsStore(connect(appName), { notifyChannel: schema.name, onRemoteFeedResumed: () => (reconnects += 1) });
    const writer = createKnexSettingsStore(connect(`${schema.name}_writer`), { notifyChannel: schema.name });
    await writer.set('seed', 'before the fault');
    const changes: SettingChange[] = [];
    reader.watch((change) => changes.push(change));
    // The reader's pool holds a session too; only the LISTEN one is terminated.
    await reader.get('seed');
    let listening: number[] = [];
    await vi.waitFor(async () => {
      listening = await sessionsOf(schema.admin, appName, { listening: true });
      expect(listening).toHaveLength(1);
    });
    const pooled = (await sessionsOf(schema.admin, appName)).filter((pid) => !listening.includes(pid));
    expect(pooled).toHaveLength(1);
    // The first gap: the feed is up, and what was read while it started may be stale.
    await vi.waitFor(() => expect(changes).toEqual([FEED_GAP]), { timeout: 1_000, interval: 5 });
    changes.length = 0;

    await schema.admin.raw('SELECT pg_terminate_backend(pid) FROM unnest(?::int[]) AS pid', [listening]);
    // One gap on the drop itself, a second one with the reconnect (its first try is 100 ms later).
    await vi.waitFor(() => expect(changes.slice(0, 1)).toEqual([FEED_GAP]), { timeout: 1_000, interval: 5 });

    expect(reconnects).toBe(0);
    await vi.waitFor(() => expect(changes).toEqual([FEED_GAP, FEED_GAP]), { timeout: 5_000, interval: 10 });
    expect(reconnects).toBe(1);
    const relistening = await sessionsOf(schema.admin, appName, { listening: true });
    expect(relistening).toHaveLength(1);
    expect(relistening).not.toEqual(listening);
    expect(await sessionsOf(schema.admin, appName)).toEqual(expect.arrayContaining(pooled));

    await writer.set('fresh', 'after the fault');
    await vi.waitFor(() => expect(changes).toEqual([FEED_GAP, FEED_GAP, { key: 'fresh', origin: 'remote' }]), { timeout: 1_000, interval: 10 });
    await reader.close();
    await writer.close();
  });
});
