import type { HistoryEntry, SettingChange, SettingsStore } from '@llm-settings/core';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKnexSettingsStore } from '../src/index.js';
import { DATABASES, openPostgresDatabase, openSqliteFileDatabase, type TestDatabase } from './support/databases.js';
import { describeEachDatabase, describeWithPostgres, sessionsOf } from './support/postgres.js';

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

/** The SQL of every statement `knex` runs, in order. */
function recordStatements(knex: Knex): string[] {
  const statements: string[] = [];
  knex.on('query', (query: { sql: string }) => statements.push(query.sql));
  return statements;
}

const isUpsert = (sql: string) => sql.startsWith('INSERT INTO') || sql.startsWith('WITH written AS (INSERT INTO');
const isBegin = (sql: string) => /^BEGIN/i.test(sql);

/**
 * Records every row version the table holds, from inside the database: a trigger
 * sees each row an INSERT or UPDATE writes, also within a transaction.
 */
async function recordRowVersions(db: TestDatabase): Promise<{ versions(key: string): Promise<{ version: number; value: string }[]>; drop(): Promise<void> }> {
  const { knex } = db;
  await knex.raw('CREATE TABLE row_versions (key TEXT, version INTEGER, value TEXT)');
  if (db.kind === 'SQLite file') {
    for (const event of ['INSERT', 'UPDATE']) {
      await knex.raw(
        `CREATE TRIGGER record_${event.toLowerCase()} AFTER ${event} ON settings BEGIN INSERT INTO row_versions VALUES (NEW.key, NEW.version, NEW.value); END`,
      );
    }
  } else {
    await knex.raw(
      'CREATE FUNCTION record_row_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO row_versions VALUES (NEW.key, NEW.version, NEW.value); RETURN NEW; END $$',
    );
    await knex.raw('CREATE TRIGGER record_row_version AFTER INSERT OR UPDATE ON settings FOR EACH ROW EXECUTE FUNCTION record_row_version()');
  }
  return {
    versions: async (key) =>
      (await knex('row_versions').where({ key }).orderBy('version').select('version', 'value')).map((row: { version: unknown; value: string }) => ({
        version: Number(row.version),
        value: row.value,
      })),
    async drop() {
      if (db.kind === 'SQLite file') {
        await knex.raw('DROP TRIGGER record_insert');
        await knex.raw('DROP TRIGGER record_update');
      } else {
        await knex.raw('DROP TRIGGER record_row_version ON settings');
        await knex.raw('DROP FUNCTION record_row_version()');
      }
      await knex.raw('DROP TABLE row_versions');
    },
  };
}

describeEachDatabase(DATABASES, 'concurrent unconditional sets on %s', (_name, open) => {
  const database = useDatabase(open);

  it('of different keys share statements; each write lands once, in call order per key, reported once', async () => {
    const db = database();
    const knex = db.connect();
    const store = createKnexSettingsStore(knex, { notifyChannel: db.channel });
    const changes: SettingChange[] = [];
    store.watch((change) => changes.push(change));
    const statements = recordStatements(knex);

    // Round-robin over the keys: each key's writes are spread over the batch.
    const calls = Array.from({ length: KEYS * WRITES_PER_KEY }, (_, i) => ({ key: `key-${i % KEYS}`, value: `write ${i}` }));
    const records = await Promise.all(calls.map(({ key, value }) => store.set(key, value)));

    // The first write goes alone; the rest queue behind it and go as one batch: a statement
    // of every key, then one of each key's second write, then one of the third writes.
    const upserts = statements.filter(isUpsert);
    expect(upserts).toHaveLength(1 + WRITES_PER_KEY);
    expect(statements.filter(isBegin)).toHaveLength(1);
    for (let k = 0; k < KEYS; k++) {
      const key = `key-${k}`;
      const ofKey = records.filter((record) => record.key === key);
      expect(ofKey.map((record) => record.version)).toEqual([1, 2, 3]);
      expect(ofKey.map((record) => record.value)).toEqual(calls.filter((call) => call.key === key).map((call) => call.value));
      expect(await store.get(key)).toEqual(ofKey[2]);
    }
    // Besides the writes, the feed says once that it started (a null key).
    const local = changes.filter((change) => change.key !== null);
    expect(local).toHaveLength(calls.length);
    expect(new Set(local.map((change) => change.origin))).toEqual(new Set(['local']));
    for (let k = 0; k < KEYS; k++) expect(local.filter((change) => change.key === `key-${k}`)).toHaveLength(WRITES_PER_KEY);
    await store.close();
  });

  it('of one key are each their own row version: 50 writers get versions 1 to 50, each one the row really held', async () => {
    const db = database();
    const rowVersions = await recordRowVersions(db);
    const knex = db.connect();
    const store = createKnexSettingsStore(knex, { notifyChannel: db.channel });
    const statements = recordStatements(knex);

    const records = await Promise.all(Array.from({ length: 50 }, (_, i) => store.set('hot', `write ${i}`)));

    // Every version the row held, as the trigger saw it: 1 to 50, each the value its writer wrote.
    const held = await rowVersions.versions('hot');
    expect(held.map((row) => row.version)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(records.map((record) => ({ version: record.version, value: record.value }))).toEqual(held);
    // In call order, since a later write of the key waits for the next statement.
    expect(records.map((record) => record.value)).toEqual(Array.from({ length: 50 }, (_, i) => `write ${i}`));
    for (const [earlier, later] of records.slice(1).map((record, i) => [records[i], record] as const)) {
      expect(later.updatedAt.getTime()).toBeGreaterThanOrEqual(earlier?.updatedAt.getTime() ?? Infinity);
    }
    expect(await store.get('hot')).toEqual(records[49]);
    // One statement per write, and two commits: the first write alone, the 49 queued behind it in one transaction.
    expect(statements.filter(isUpsert)).toHaveLength(50);
    expect(statements.filter(isBegin)).toHaveLength(1);
    expect((await store.set('hot', 'after')).version).toBe(51);
    await store.close();
    await rowVersions.drop();
  });
});

describeEachDatabase(DATABASES, 'concurrent unconditional sets with history on %s', (_name, open) => {
  const database = useDatabase(open);

  it("of one key append every write's entry, in write order, in one statement for the batch", async () => {
    const knex = database().connect();
    const store = createKnexSettingsStore(knex);
    const statements = recordStatements(knex);
    const entry = (i: number): HistoryEntry => ({ scope: 'hot-history', action: 'update', actor: `writer-${i}`, fields: ['model'], apiKeyChanged: false });

    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set('hot-history', `write ${i}`, { history: entry(i) })));

    const newestFirst = await store.readHistory({ scope: 'hot-history', limit: 50 });
    expect(newestFirst.map((record) => record.actor).reverse()).toEqual(Array.from({ length: 20 }, (_, i) => `writer-${i}`));
    // The first write alone, then the 19 queued behind it: one upsert each, one history append for all.
    expect(statements.filter((sql) => sql.startsWith('INSERT INTO') && sql.includes('history'))).toHaveLength(2);
    expect(statements.filter(isBegin)).toHaveLength(2);
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

describeWithPostgres('concurrent unconditional sets on PostgreSQL', () => {
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

  it('notify other processes of every key of a batch that writes each key twice', async () => {
    const db = database();
    const reader = createKnexSettingsStore(db.connect(`${db.channel}_twice`), { notifyChannel: db.channel });
    const remote: SettingChange[] = [];
    reader.watch((change) => remote.push(change));
    const writer = createKnexSettingsStore(db.connect(), { notifyChannel: db.channel });
    await vi.waitFor(async () => {
      await writer.set('ready', 'r');
      expect(remote).toContainEqual({ key: 'ready', origin: 'remote' });
    });
    remote.length = 0;

    // Each key twice: the batch behind the first write is two statements in one transaction.
    const records = await Promise.all(Array.from({ length: 2 * KEYS }, (_, i) => writer.set(`twice-${i % KEYS}`, `v${i}`)));
    expect(records.map((record) => record.version)).toEqual(Array.from({ length: 2 * KEYS }, (_, i) => (i < KEYS ? 1 : 2)));
    await writer.set('marker', 'm');
    await vi.waitFor(() => expect(remote.at(-1)).toEqual({ key: 'marker', origin: 'remote' }), { timeout: 1_000, interval: 10 });
    // (A late notification of the ready loop's last write may be among them.)
    const heard = new Set(remote.map((change) => change.key).filter((key) => key !== 'ready'));
    expect(heard).toEqual(new Set([...Array.from({ length: KEYS }, (_, i) => `twice-${i}`), 'marker']));
    await reader.close();
    await writer.close();
  });
});
