import type { HistoryEntry } from '@llm-settings/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKnexSettingsStore } from '../src/index.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/postgres.js';

/** The database refuses to append an entry of this action: a history append that fails. */
const REFUSED = 'refused-by-trigger';
const refused: HistoryEntry = { scope: 'tx', action: REFUSED, actor: 'admin', fields: ['model'], apiKeyChanged: false };
const kept: HistoryEntry = { ...refused, action: 'update' };

async function refuseHistoryOf(db: TestDatabase): Promise<void> {
  if (db.kind === 'SQLite file') {
    await db.knex.raw(
      `CREATE TRIGGER refuse_history BEFORE INSERT ON settings_history WHEN NEW.action = '${REFUSED}' BEGIN SELECT RAISE(ABORT, 'history refused'); END`,
    );
  } else {
    await db.knex.raw(
      `CREATE FUNCTION refuse_history() RETURNS trigger AS $$ BEGIN IF NEW.action = '${REFUSED}' THEN RAISE EXCEPTION 'history refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
    );
    await db.knex.raw('CREATE TRIGGER refuse_history BEFORE INSERT ON settings_history FOR EACH ROW EXECUTE FUNCTION refuse_history()');
  }
}

describeEachDatabase(DATABASES, 'history in the write transaction on %s', (_name, open) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await open();
    await refuseHistoryOf(db);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('set - a failing history append leaves the value and its version as they were', async () => {
    const store = createKnexSettingsStore(db.knex, { notifyChannel: db.channel });
    const before = await store.set('tx-set', 'old', { history: kept });
    await expect(store.set('tx-set', 'new', { history: refused })).rejects.toThrow();
    await expect(store.set('tx-set', 'new', { expectedVersion: before.version, history: refused })).rejects.toThrow();
    expect(await store.get('tx-set')).toEqual(before);
    expect((await store.readHistory({ scope: 'tx', limit: 10 })).map((entry) => entry.action)).toEqual(['update']);
    await store.close();
  });

  it('setMany and delete - a failing history append writes and removes nothing', async () => {
    const store = createKnexSettingsStore(db.knex, { notifyChannel: db.channel });
    const a = await store.set('tx-a', 'a1');
    const b = await store.set('tx-b', 'b1');
    await expect(store.setMany([{ key: 'tx-a', value: 'a2', history: kept }, { key: 'tx-b', value: 'b2', history: refused }])).rejects.toThrow();
    await expect(store.delete('tx-a', { history: refused })).rejects.toThrow();
    expect(await store.get('tx-a')).toEqual(a);
    expect(await store.get('tx-b')).toEqual(b);
    await store.close();
  });

  it('a set whose history append fails fails alone: the sets batched with it are kept, each with its entry', async () => {
    const store = createKnexSettingsStore(db.knex, { notifyChannel: db.channel });
    const keptEntry: HistoryEntry = { ...kept, scope: 'batch' };
    const refusedEntry: HistoryEntry = { ...refused, scope: 'batch' };
    // Made in one tick: the first goes out alone, the others wait for it and share the next batch.
    const writes = Array.from({ length: 6 }, (_, i) => store.set(`batch-${i}`, `v${i}`, { history: i === 3 ? refusedEntry : keptEntry }));
    const outcomes = await Promise.allSettled(writes);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await store.get('batch-3')).toBeNull();
    for (const i of [0, 1, 2, 4, 5]) expect((await store.get(`batch-${i}`))?.value).toBe(`v${i}`);
    expect((await store.readHistory({ scope: 'batch', limit: 10 })).map((entry) => entry.action)).toEqual(Array(5).fill('update'));
    await store.close();
  });
});
