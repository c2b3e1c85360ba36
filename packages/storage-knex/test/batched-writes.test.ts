import type { SettingChange, SettingsStore } from '@llm-settings/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKnexSettingsStore } from '../src/index.js';
import { DATABASES, openPostgresDatabase, openSqliteFileDatabase, type TestDatabase } from './support/databases.js';
import { sessionsOf } from './support/postgres.js';

const KEYS = 20;
const WRITES_PER_KEY = 3;

/** Opens the database for the enclosing describe block and closes it after. */
function useDatabase(open: () => Promise<TestDatabase>): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });
  return () => db as TestDatabase;
}

describe.each(DATABASES)('concurrent unconditional sets on %s', (_name, open) => {
  const database = useDatabase(open);

  it('share statements, and each write lands once, in call order per key, reported once', async () => {
    const db = database();
    const knex = db.connect();
    const store = createKnexSettingsStore(knex, { notifyChannel: db.channel });
    const local: SettingChange[] = [];
    store.watch((change) => local.push(change));
    const upserts: string[] = [];
    knex.on('query', (query: { sql: string }) => {
      if (query.sql.includes('INSERT INTO')) upserts.push(query.sql);
    });

    // Round-robin over the keys: each key's writes are spread over the batch.
    const calls = Array.from({ length: KEYS * WRITES_PER_KEY }, (_, i) => ({ key: `key-${i % KEYS}`, value: `write ${i}` }));
    const records = await Promise.all(calls.map(({ key, value }) => store.set(key, value)));

    // The first write goes alone; the rest queue behind it and share the next statement,
    // each key's queued writes folded into one row.
    expect(upserts).toHaveLength(2);
    for (let k = 0; k < KEYS; k++) {
      const key = `key-${k}`;
      const ofKey = records.filter((record) => record.key === key);
      expect(ofKey.map((record) => record.version)).toEqual([1, 2, 3]);
      expect(ofKey.map((record) => record.value)).toEqual(calls.filter((call) => call.key === key).map((call) => call.value));
      expect(await store.get(key)).toMatchObject({ version: 3, value: ofKey[2]?.value });
    }
    expect(local).toHaveLength(calls.length);
    expect(new Set(local.map((change) => change.origin))).toEqual(new Set(['local']));
    for (let k = 0; k < KEYS; k++) expect(local.filter((change) => change.key === `key-${k}`)).toHaveLength(WRITES_PER_KEY);
    await store.close();
  });

  it('of one key fold into one row: each writer gets its own value and version, the last value is stored', async () => {
    const knex = database().connect();
    const store = createKnexSettingsStore(knex);
    const upserts: string[] = [];
    knex.on('query', (query: { sql: string }) => {
      if (query.sql.includes('INSERT INTO')) upserts.push(query.sql);
    });
    const before = await store.set('hot', 'before');

    const records = await Promise.all(Array.from({ length: 50 }, (_, i) => store.set('hot', `write ${i}`)));

    expect(upserts).toHaveLength(3);
    expect(records.map((record) => record.version)).toEqual(Array.from({ length: 50 }, (_, i) => before.version + 1 + i));
    expect(records.map((record) => record.value)).toEqual(Array.from({ length: 50 }, (_, i) => `write ${i}`));
    for (const [earlier, later] of records.slice(1).map((record, i) => [records[i], record] as const)) {
      expect(later.updatedAt.getTime()).toBeGreaterThanOrEqual(earlier?.updatedAt.getTime() ?? Infinity);
    }
    expect(await store.get('hot')).toEqual(records[49]);
    // The next write carries on from the last version handed out.
    expect((await store.set('hot', 'after')).version).toBe(before.version + 51);
    await store.close();
  });
});

describe('concurrent unconditional sets on an SQLite file', () => {
  const database = useDatabase(openSqliteFileDatabase);

  it('a shared statement that fails fails each of its writes, and later writes go through', async () => {
    const knex = database().connect();
    const store = createKnexSettingsStore(knex);
    // A page limit at the current size stands in for a full disk (the pool's one connection keeps it).
    const [{ page_count: pages }] = await knex.raw('PRAGMA page_count');
    await knex.raw(`PRAGMA max_page_count = ${pages}`);

    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.set(`full-${i}`, 'x'.repeat(64 * 1024))));
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'STORAGE.UNAVAILABLE' } });
    }

    await knex.raw('PRAGMA max_page_count = 1073741823');
    const written = await Promise.all(Array.from({ length: 10 }, (_, i) => store.set(`full-${i}`, 'fits')));
    expect(written.map((record) => record.version)).toEqual(Array.from({ length: 10 }, () => 1));
    await store.close();
  });
});

describe('concurrent unconditional sets on PostgreSQL', () => {
  const database = useDatabase(openPostgresDatabase);

  it.each([
    ['a shared statement', (store: SettingsStore, a: string, b: string) => [store.set(`${b}-alone`, '2'), store.set(b, '2'), store.set(a, '2')]],
    ['a setMany', (store: SettingsStore, a: string, b: string) => [store.setMany([{ key: b, value: '2' }, { key: a, value: '2' }])]],
  ] as const)('a shared statement and %s in another process, naming the same keys in opposite orders, do not deadlock', async (label, writeBThenA) => {
    const db = database();
    const tag = `${db.channel}_order`;
    const [a, b] = [`${label} a`, `${label} b`];
    const first = createKnexSettingsStore(db.connect(tag), { notifyChannel: db.channel });
    const second = createKnexSettingsStore(db.connect(tag), { notifyChannel: db.channel });
    await first.setMany([
      { key: a, value: '0' },
      { key: b, value: '0' },
    ]);
    // Holding row a makes both writers wait inside the database at the same time.
    const blocker = await db.knex.transaction();
    await blocker.raw('SELECT 1 FROM settings WHERE key = ? FOR UPDATE', [a]);

    // The first store's first write goes alone; the two after it share the next statement.
    const writes: Promise<unknown>[] = [first.set(`${a}-alone`, '1'), first.set(a, '1'), first.set(b, '1'), ...writeBThenA(second, a, b)];
    await vi.waitFor(async () => expect(await sessionsOf(db.knex, tag, { waitingForLock: true })).toHaveLength(2), { timeout: 5_000 });
    await blocker.rollback();

    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    const versions = [(await first.get(a))?.version, (await first.get(b))?.version];
    expect(versions).toEqual([3, 3]);
    await first.close();
    await second.close();
  });

  it('notify other processes of every key of a shared statement', async () => {
    const db = database();
    const reader = createKnexSettingsStore(db.connect(`${db.channel}_reader`), { notifyChannel: db.channel });
    const remote: SettingChange[] = [];
    reader.watch((change) => remote.push(change));
    const writer = createKnexSettingsStore(db.connect(), { notifyChannel: db.channel });
    // The reader's LISTEN session is up once it hears a write.
    await vi.waitFor(async () => {
      await writer.set('ready', 'r');
      expect(remote).toContainEqual({ key: 'ready', origin: 'remote' });
    });

    await Promise.all(Array.from({ length: KEYS }, (_, i) => writer.set(`remote-${i}`, 'v')));
    // Notifications arrive in commit order: once the marker is in, the batch's are too.
    await writer.set('marker', 'm');
    await vi.waitFor(() => expect(remote.at(-1)).toEqual({ key: 'marker', origin: 'remote' }), { timeout: 1_000, interval: 10 });

    const batched = remote.filter((change) => change.key?.startsWith('remote-'));
    expect(batched).toHaveLength(KEYS);
    expect(batched).toEqual(expect.arrayContaining(Array.from({ length: KEYS }, (_, i) => ({ key: `remote-${i}`, origin: 'remote' }))));
    await reader.close();
    await writer.close();
  });
});
