import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKnexSettingsStore } from '../src/index.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/postgres.js';

const VALUES = {
  unicode: 'Grüße 你好 🔑 e\u0301',
  padded: '  spaces around\t ',
  json: '{"a":1.50,"b":[true,null]}',
  numeric: '00042',
  large: 'x'.repeat(65_536 - 7) + '🔑end',
};

describeEachDatabase(DATABASES, 'stored rows on %s', (_name, open) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await open();
  });

  afterAll(async () => {
    await db?.close();
  });

  it('keeps each value byte for byte in the value column', async () => {
    const store = createKnexSettingsStore(db.knex, { notifyChannel: db.channel });
    for (const [key, value] of Object.entries(VALUES)) await store.set(key, value);
    const rows = await db.knex('settings').select('key', 'value').orderBy('key');
    expect(Object.fromEntries(rows.map((row) => [row.key, row.value]))).toEqual(VALUES);
    await store.close();
  });

  it('stores the version as an integer and updated_at as the instant the record reports', async () => {
    const store = createKnexSettingsStore(db.knex, { notifyChannel: db.channel });
    await store.set('stamped', 'a');
    const record = await store.set('stamped', 'b');
    const row = await db.knex('settings').where({ key: 'stamped' }).first();
    expect(row.version).toBe(2);
    expect(new Date(row.updated_at).getTime()).toBe(record.updatedAt.getTime());
    await store.close();
  });

  it('has the documented columns: key primary key, value, version and updated_at, all required', async () => {
    const columns = await db.knex('settings').columnInfo();
    expect(Object.keys(columns).sort()).toEqual(['key', 'updated_at', 'value', 'version']);
    for (const name of ['key', 'value', 'version', 'updated_at'] as const) expect(columns[name]?.nullable).toBe(false);
    if (db.kind === 'PostgreSQL') {
      expect(Object.fromEntries(Object.entries(columns).map(([name, info]) => [name, info.type]))).toEqual({
        key: 'text',
        value: 'text',
        version: 'integer',
        updated_at: 'timestamp with time zone',
      });
    }
    await db.knex('settings').insert({ key: 'dup', value: 'a', version: 1, updated_at: new Date().toISOString() });
    await expect(db.knex('settings').insert({ key: 'dup', value: 'b', version: 1, updated_at: new Date().toISOString() })).rejects.toThrow();
  });
});
