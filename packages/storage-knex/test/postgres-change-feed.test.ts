import { ConfigError, type SettingChange, type SettingsStore } from '@llm-settings/core';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { createKnexFromUrl, createKnexSettingsStore, migrateSettingsStore, type KnexSettingsStoreOptions } from '../src/index.js';
import { createTestSchema, describeWithPostgres, POSTGRES_URL, sessionsOf, type TestSchema } from './support/postgres.js';
import { createTcpProxy } from './support/tcp-proxy.js';

let schema: TestSchema;
const opened: { knex: Knex; store: SettingsStore }[] = [];

/** A store over its own knex, standing for another process; `name` tags its sessions. */
function openProcess(name: string, options: KnexSettingsStoreOptions = {}) {
  const knex: Knex = createKnexFromUrl(schema.url(`${schema.name}_${name}`));
  const store = createKnexSettingsStore(knex, { notifyChannel: schema.name, ...options });
  const changes: SettingChange[] = [];
  opened.push({ knex, store });
  return { knex, store, changes, applicationName: `${schema.name}_${name}` };
}

/** What a store reports once its feed is first up, and when it goes down or comes back. */
const FEED_GAP: SettingChange = { key: null, origin: 'remote' };

/** Watches `process`'s store until its LISTEN session is up and has said so, then forgets that first change. */
async function watchRemote(process: ReturnType<typeof openProcess>) {
  process.store.watch((change) => process.changes.push(change));
  await vi.waitFor(() => expect(process.changes).toEqual([FEED_GAP]), { timeout: 5_000, interval: 10 });
  expect(await sessionsOf(schema.admin, process.applicationName, { listening: true })).toHaveLength(1);
  process.changes.length = 0;
}

beforeAll(async () => {
  schema = await createTestSchema();
  const knex = createKnexFromUrl(schema.url());
  await migrateSettingsStore(knex);
  await knex.destroy();
});

afterEach(async () => {
  for (const { knex, store } of opened.splice(0)) {
    await store.close();
    await knex.destroy();
  }
});

afterAll(async () => {
  await schema?.drop();
});

describeWithPostgres('PostgreSQL change feed', () => {
  it('a write by one process reaches the other as origin remote within 1 s', async () => {
    const writer = openProcess('writer');
    const reader = openProcess('reader');
    await watchRemote(reader);
    await writer.store.set('provider', 'anthropic');
    await vi.waitFor(() => expect(reader.changes).toEqual([{ key: 'provider', origin: 'remote' }]), { timeout: 1_000, interval: 10 });
  });

  it('a write made while the LISTEN connection is on its way is covered: once LISTENing, a null key, then remote changes', async () => {
    const target = new URL(POSTGRES_URL);
    const slowNetwork = await createTcpProxy({ host: target.hostname, port: Number(target.port) });
    try {
      await slowNetwork.start();
      slowNetwork.holdOpens();
      const listenUrl = new URL(schema.url(`${schema.name}_slow_listener`));
      listenUrl.port = String(slowNetwork.port);
      const reader = openProcess('reader', { listenConnection: listenUrl.toString() });
      const writer = openProcess('writer');
      reader.store.watch((change) => reader.changes.push(change));
      // The LISTEN connection is accepted and held: the write commits and NOTIFYs before it is up.
      await vi.waitFor(() => expect(slowNetwork.openSockets()).toBe(1), { timeout: 5_000, interval: 10 });
      await writer.store.set('early', 'written while the reader connected');
      expect(reader.changes).toEqual([]);
      slowNetwork.releaseOpens();
      // What the reader derived before now may miss that write: the null key says so.
      await vi.waitFor(() => expect(reader.changes).toEqual([FEED_GAP]), { timeout: 5_000, interval: 10 });
      await writer.store.set('later', 'written once the reader listened');
      await vi.waitFor(() => expect(reader.changes).toEqual([FEED_GAP, { key: 'later', origin: 'remote' }]), { timeout: 1_000, interval: 10 });
      await reader.store.close();
    } finally {
      slowNetwork.close();
    }
  });

  it('reports remote setMany keys and deletes, and stays silent for a write that rolled back', async () => {
    const writer = openProcess('writer');
    const reader = openProcess('reader');
    await watchRemote(reader);
    await writer.store.setMany([
      { key: 'x', value: '1' },
      { key: 'y', value: '2' },
    ]);
    await writer.store.delete('x');
    await expect(writer.store.setMany([{ key: 'z', value: '3' }, { key: 'y', value: '4', expectedVersion: 9 }])).rejects.toMatchObject({
      code: 'SETTINGS.CONFLICT',
    });
    // Notifications arrive in commit order: once `marker` is in, nothing else is on its way.
    await writer.store.set('marker', 'm');
    await vi.waitFor(() => expect(reader.changes.at(-1)?.key).toBe('marker'), { timeout: 1_000, interval: 10 });
    expect(reader.changes).toEqual([
      { key: 'x', origin: 'remote' },
      { key: 'y', origin: 'remote' },
      { key: 'x', origin: 'remote' },
      { key: 'marker', origin: 'remote' },
    ]);
  });

  it("a store hears its own writes once, as local, never echoed back as remote", async () => {
    const self = openProcess('self');
    const other = openProcess('other');
    await watchRemote(self);
    await self.store.set('own', 'a');
    await other.store.set('marker', 'm');
    await vi.waitFor(() => expect(self.changes.at(-1)).toEqual({ key: 'marker', origin: 'remote' }), { timeout: 1_000, interval: 10 });
    expect(self.changes).toEqual([
      { key: 'own', origin: 'local' },
      { key: 'marker', origin: 'remote' },
    ]);
  });

  it('the NOTIFY payload names the key and never carries the value', async () => {
    const writer = openProcess('writer');
    const client = new pg.Client({ connectionString: schema.url(`${schema.name}_raw`) });
    await client.connect();
    try {
      const payloads: string[] = [];
      client.on('notification', (message) => payloads.push(message.payload ?? ''));
      await client.query(`LISTEN ${client.escapeIdentifier(schema.name)}`);
      await writer.store.set('api-key', 'sk-ant-secret-value-123');
      await writer.store.setMany([{ key: 'other', value: 'another-secret-value' }]);
      await vi.waitFor(() => expect(payloads).toHaveLength(2), { timeout: 1_000, interval: 10 });
      expect(payloads.join('\n')).not.toMatch(/secret-value/);
      expect(payloads.map((payload) => JSON.parse(payload).k)).toEqual(['api-key', 'other']);
    } finally {
      await client.end();
    }
  });

  it('with listenForRemoteChanges false, opens no LISTEN session and reports only local writes', async () => {
    const quiet = openProcess('quiet', { listenForRemoteChanges: false });
    const listening = openProcess('listening');
    const writer = openProcess('writer');
    quiet.store.watch((change) => quiet.changes.push(change));
    await watchRemote(listening);
    await writer.store.set('k', 'v');
    await vi.waitFor(() => expect(listening.changes).toEqual([{ key: 'k', origin: 'remote' }]), { timeout: 1_000, interval: 10 });
    expect(quiet.changes).toEqual([]);
    expect(await sessionsOf(schema.admin, quiet.applicationName, { listening: true })).toEqual([]);
  });

  it('a pg knex not made by createKnexFromUrl LISTENs with listenConnection, and without it is a ConfigError', async () => {
    const applicationName = `${schema.name}_own_knex`;
    const url = schema.url(applicationName);
    const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
    expect(() => createKnexSettingsStore(knex, { notifyChannel: schema.name })).toThrow(ConfigError);
    const store = createKnexSettingsStore(knex, { notifyChannel: schema.name, listenConnection: url });
    opened.push({ knex, store });
    const reader = { knex, store, changes: [] as SettingChange[], applicationName };
    await watchRemote(reader);
    await openProcess('writer').store.set('k', 'v');
    await vi.waitFor(() => expect(reader.changes).toEqual([{ key: 'k', origin: 'remote' }]), { timeout: 1_000, interval: 10 });
  });

  it('close ends the LISTEN session and leaves the knex instance usable', async () => {
    const process = openProcess('closing');
    await watchRemote(process);
    await process.store.close();
    await vi.waitFor(async () => expect(await sessionsOf(schema.admin, process.applicationName, { listening: true })).toEqual([]), {
      timeout: 5_000,
    });
    expect((await process.knex.raw('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await expect(process.store.get('k')).rejects.toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
  });
});
