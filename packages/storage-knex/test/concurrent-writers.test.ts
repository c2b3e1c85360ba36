import { ConflictError, type SettingRecord, type SettingsStore } from '@llm-settings/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKnexSettingsStore } from '../src/index.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/postgres.js';

const WRITERS = 50;

/** Read, then compare-and-set; on a lost race read again. Resolves with the accepted write. */
async function writeWithRetry(store: SettingsStore, key: string, value: string): Promise<SettingRecord> {
  for (;;) {
    const current = await store.get(key);
    try {
      return await store.set(key, value, { expectedVersion: current?.version ?? 0 });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

describeEachDatabase(DATABASES, 'concurrent writers on %s', (_name, open) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await open();
  });

  afterAll(async () => {
    await db?.close();
  });

  it(`${WRITERS} compare-and-set writers on one key through several connections lose no accepted write`, async () => {
    // Each knex stands for a process with its own connections: the database's locking,
    // not one shared connection, must then keep the writers apart. SQLite gets 3:
    // node-sqlite3 waits for a lock on a libuv pool thread (4 by default), and with all
    // of them waiting in one process no thread is left to commit (separate processes
    // each have their own threads).
    const processes = db.kind === 'SQLite file' ? 3 : 2;
    const stores = Array.from({ length: processes }, () => createKnexSettingsStore(db.connect(), { notifyChannel: db.channel }));

    const accepted = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) => writeWithRetry(stores[i % processes] as SettingsStore, 'contended', `writer ${i}`)),
    );

    const versions = accepted.map((record) => record.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 1));
    const final = await stores[0]?.get('contended');
    expect(final?.version).toBe(WRITERS);
    expect(final?.value).toBe(accepted.find((record) => record.version === WRITERS)?.value);
    await Promise.all(stores.map((store) => store.close()));
  }, 60_000);

  it('setMany transactions in several processes on the same keys wait for each other instead of failing', async () => {
    // Each transaction writes in its first statement, which takes the write lock (on SQLite
    // waiting for busy_timeout), so none fails on upgrading a read to a write.
    const processes = db.kind === 'SQLite file' ? 3 : 2;
    const stores = Array.from({ length: processes }, () => createKnexSettingsStore(db.connect(), { notifyChannel: db.channel }));
    const writes = Array.from({ length: 30 }, (_, i) =>
      (stores[i % processes] as SettingsStore).setMany([
        { key: 'pair-a', value: `a ${i}` },
        { key: 'pair-b', value: `b ${i}` },
      ]),
    );
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    expect((await stores[0]?.get('pair-a'))?.version).toBe(30);
    expect((await stores[0]?.get('pair-b'))?.version).toBe(30);
    await Promise.all(stores.map((store) => store.close()));
  }, 60_000);
});
