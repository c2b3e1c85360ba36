import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKnexSettingsStore } from '../src/index.js';
import { createReadBatcher } from '../src/read-batcher.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/postgres.js';

const isRead = (sql: string) => /^SELECT "key", "value"/.test(sql);

describe('createReadBatcher', () => {
  /** A read of many keys held until released, recording each batch's keys. */
  function heldReads(rows: Record<string, string>) {
    const batches: string[][] = [];
    const pending: Array<() => void> = [];
    const read = createReadBatcher(async (keys) => {
      batches.push([...keys]);
      await new Promise<void>((resolve) => pending.push(resolve));
      return keys.filter((key) => key in rows).map((key) => ({ key, value: rows[key] }));
    });
    return { read, batches, release: () => pending.shift()?.() };
  }

  it('reads a lone key at once, and the keys asked for meanwhile together in the next read, each once', async () => {
    const held = heldReads({ a: '1', b: '2' });
    const first = held.read('a');
    const later = [held.read('b'), held.read('a'), held.read('missing'), held.read('b')];
    expect(held.batches).toEqual([['a']]);
    held.release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(held.batches).toEqual([['a'], ['b', 'a', 'missing']]);
    held.release();
    expect((await Promise.all(later)).map((row) => row?.value ?? null)).toEqual(['2', '1', null, '2']);
  });

  it('fails the reads of a failed batch only; the next read runs', async () => {
    let calls = 0;
    const read = createReadBatcher(async (keys) => {
      calls++;
      if (calls === 1) throw new Error('connection lost');
      return keys.map((key) => ({ key, value: 'v' }));
    });
    await expect(read('a')).rejects.toThrow('connection lost');
    expect(await read('a')).toEqual({ key: 'a', value: 'v' });
  });
});

describeEachDatabase(DATABASES, 'concurrent reads on %s', (_name, open) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(() => db.close());

  it('get - concurrent reads of many keys share statements, each answered with its own record', async () => {
    const knex: Knex = db.connect();
    const store = createKnexSettingsStore(knex, { notifyChannel: db.channel });
    const keys = Array.from({ length: 40 }, (_, i) => `read-${i}`);
    for (const key of keys.slice(0, 30)) await store.set(key, `value of ${key}`);
    const statements: string[] = [];
    knex.on('query', (query: { sql: string }) => statements.push(query.sql));
    const records = await Promise.all(keys.map((key) => store.get(key)));
    expect(records.map((record) => record?.value ?? null)).toEqual(keys.map((key, i) => (i < 30 ? `value of ${key}` : null)));
    // The first read alone, then the other 39 together.
    expect(statements.filter(isRead)).toHaveLength(2);
    await store.close();
  });
});
