import { ConfigError, type SettingChange, type SettingsStore } from '@llm-settings/core';
import knexFactory, { type Knex } from 'knex';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKnexSettingsStore, type KnexSettingsStoreOptions } from '../src/index.js';
import { connectionFactsOf } from '../src/knex-connection-facts.js';
import { openSqliteFileDatabase, type TestDatabase } from './support/databases.js';

/** What a store reports when other connections committed: SQLite does not say which keys. */
const REMOTE_CHANGE: SettingChange = { key: null, origin: 'remote' };

/** The bound: a write in one process is seen by the others within 1 s. */
const VISIBLE_WITHIN_MS = 1_000;

let db: TestDatabase;
const stores: SettingsStore[] = [];

beforeAll(async () => {
  db = await openSqliteFileDatabase();
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await db?.close();
});

/** A store over a knex of its own on the shared file, standing for another process. */
function openProcess(options: KnexSettingsStoreOptions = {}) {
  const knex = db.connect();
  const store = createKnexSettingsStore(knex, options);
  stores.push(store);
  const changes: SettingChange[] = [];
  const polls: number[] = [];
  knex.on('query', (query: { sql: string }) => {
    if (query.sql.includes('data_version')) polls.push(performance.now());
  });
  return { knex, store, changes, polls };
}

/** Watches `reader`, waits until its feed hears `writer`, then starts from a clean slate. */
async function watchRemote(reader: ReturnType<typeof openProcess>, writer: ReturnType<typeof openProcess>): Promise<void> {
  reader.store.watch((change) => reader.changes.push(change));
  await vi.waitFor(
    async () => {
      await writer.store.set('ready', 'r');
      expect(reader.changes).toContainEqual(REMOTE_CHANGE);
    },
    { timeout: 5_000, interval: 100 },
  );
  // The last write may be heard by the next poll: let it pass (polls run one after another).
  const polled = reader.polls.length;
  await vi.waitFor(() => expect(reader.polls.length).toBeGreaterThan(polled + 1), { timeout: 2_000, interval: 10 });
  reader.changes.length = 0;
}

describe('SQLite change feed (PRAGMA data_version)', () => {
  it('a write by another process reaches the watch listener within 1 s, as a remote change of unknown keys', async () => {
    const writer = openProcess();
    const reader = openProcess();
    await watchRemote(reader, writer);

    await writer.store.set('provider', 'anthropic');
    const written = performance.now();
    await vi.waitFor(() => expect(reader.changes).toEqual([REMOTE_CHANGE]), { timeout: VISIBLE_WITHIN_MS, interval: 10 });
    expect(performance.now() - written).toBeLessThan(VISIBLE_WITHIN_MS);

    await writer.store.delete('provider');
    await vi.waitFor(() => expect(reader.changes).toEqual([REMOTE_CHANGE, REMOTE_CHANGE]), { timeout: VISIBLE_WITHIN_MS, interval: 10 });
  });

  it('its first poll reports a remote change of unknown keys, once: commits made before it are in its starting value, unseen', async () => {
    const reader = openProcess({ pollIntervalMs: 20 });
    reader.store.watch((change) => reader.changes.push(change));
    await vi.waitFor(() => expect(reader.changes).toEqual([REMOTE_CHANGE]), { timeout: VISIBLE_WITHIN_MS, interval: 10 });
    // Later polls, with no commit anywhere, report nothing more.
    const polled = reader.polls.length;
    await vi.waitFor(() => expect(reader.polls.length).toBeGreaterThan(polled + 2), { timeout: 2_000, interval: 10 });
    expect(reader.changes).toEqual([REMOTE_CHANGE]);
  });

  it("a store's own writes are reported once, as local, never again as remote", async () => {
    const writer = openProcess();
    const self = openProcess();
    await watchRemote(self, writer);

    await self.store.set('own', 'a');
    await self.store.setMany([{ key: 'own', value: 'b' }]);
    await self.store.delete('own');
    // Several polls later, still only the local events.
    const pollsBefore = self.polls.length;
    await vi.waitFor(() => expect(self.polls.length).toBeGreaterThan(pollsBefore + 2), { timeout: 2_000, interval: 20 });
    expect(self.changes).toEqual([
      { key: 'own', origin: 'local' },
      { key: 'own', origin: 'local' },
      { key: 'own', origin: 'local' },
    ]);
  });

  it('a connection the pool replaced is reported as a remote change, and remote writes are heard again after', async () => {
    const writer = openProcess();
    const reader = openProcess();
    await watchRemote(reader, writer);

    // As after SQLITE_READONLY: the pool opens a new connection, whose data_version
    // cannot be compared with the old one's; what happened in between went unseen.
    const { replaceConnections } = connectionFactsOf(reader.knex);
    expect(replaceConnections, 'createKnexFromUrl hands the pool hook along').toBeTypeOf('function');
    replaceConnections?.();
    await reader.store.get('ready');
    await vi.waitFor(() => expect(reader.changes).toEqual([REMOTE_CHANGE]), { timeout: VISIBLE_WITHIN_MS, interval: 10 });

    await writer.store.set('fresh', 'after the new connection');
    await vi.waitFor(() => expect(reader.changes).toEqual([REMOTE_CHANGE, REMOTE_CHANGE]), { timeout: VISIBLE_WITHIN_MS, interval: 10 });
  });

  it('polls every pollIntervalMs, starting at the first watch call; close() stops polling and leaves the knex usable', async () => {
    const reader = openProcess({ pollIntervalMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reader.polls).toEqual([]);

    reader.store.watch((change) => reader.changes.push(change));
    await vi.waitFor(() => expect(reader.polls.length).toBeGreaterThanOrEqual(5), { timeout: 2_000, interval: 10 });
    await reader.store.close();
    const pollsAtClose = reader.polls.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reader.polls).toHaveLength(pollsAtClose);
    expect(await reader.knex.raw('select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('with listenForRemoteChanges false, never polls and reports only local writes', async () => {
    const writer = openProcess();
    const quiet = openProcess({ listenForRemoteChanges: false, pollIntervalMs: 20 });
    quiet.store.watch((change) => quiet.changes.push(change));
    await writer.store.set('k', 'v');
    await quiet.store.set('mine', 'v');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(quiet.polls).toEqual([]);
    expect(quiet.changes).toEqual([{ key: 'mine', origin: 'local' }]);
  });

  it('refuses a knex pool of several connections, whose data_version values could not be compared', async () => {
    const knex: Knex = knexFactory({ client: 'sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true, pool: { min: 1, max: 2 } });
    try {
      expect(() => createKnexSettingsStore(knex)).toThrow(ConfigError);
      expect(() => createKnexSettingsStore(knex, { listenForRemoteChanges: false })).not.toThrow();
    } finally {
      await knex.destroy();
    }
  });
});
