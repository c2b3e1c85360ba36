import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SettingRecord, SettingsStore } from '@llm-settings/core';
import { createFernetCipher, generateFernetKey } from '@llm-settings/crypto-fernet';
import { createKnexFromUrl, createKnexSettingsStore, DEFAULT_SETTINGS_TABLE, migrateSettingsStore } from '@llm-settings/storage-knex';
import type { Knex } from 'knex';
import { createDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { CLI, assertBuilt, run, start } from './support/processes.js';

/*
 * rotate-key killed (SIGKILL) once it has written some of its values: what it wrote stays,
 * the rest stays as it was, all of it readable with "NEW,OLD", and running it again
 * finishes the job and says how many values that run moved.
 */

const COUNT = 3_000;
const [OLD, NEW] = [generateFernetKey(), generateFernetKey()];
const oldOnly = createFernetCipher({ keys: OLD });
const newOnly = createFernetCipher({ keys: NEW });
const ring = createFernetCipher({ keys: [NEW, OLD] });
const keyOf = (index: number) => `llm_config:team-${String(index).padStart(5, '0')}`;
const plaintextOf = (index: number) => JSON.stringify({ provider: 'openai', api_key: `sk-rotation-${index}` });

describeEachDatabase('rotate-key interrupted by kill -9 on %s', (kind) => {
  let database: TestDatabase;
  let knex: Knex;
  let store: SettingsStore;

  beforeAll(async () => {
    assertBuilt();
    database = await createDatabase(kind);
    knex = createKnexFromUrl(database.url);
    await migrateSettingsStore(knex);
    store = createKnexSettingsStore(knex, { listenForRemoteChanges: false });
    const values = await Promise.all(Array.from({ length: COUNT }, async (_, i) => ({ key: keyOf(i), value: await oldOnly.encrypt(plaintextOf(i)) })));
    for (let start = 0; start < COUNT; start += 500) await store.setMany(values.slice(start, start + 500));
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await knex?.destroy();
    await database?.drop();
  });

  const rotateKey = () => ({ DATABASE_URL: database.url, ENCRYPTION_KEY: `${NEW},${OLD}`, LOG_LEVEL: 'warn' });

  it('leaves values under NEW and OLD, all readable, and a second run finishes, reporting what it moved', async () => {
    const rotation = start('node', [CLI, 'rotate-key'], rotateKey());
    let exited = false;
    void rotation.exited.then(() => (exited = true));
    // Killed as soon as a first write is seen (a rotation writes each value once, bumping its version).
    while (!exited && Number((await knex(DEFAULT_SETTINGS_TABLE).where('version', '>', 1).count({ n: '*' }))[0]!.n) === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(exited, `rotate-key finished before any of its writes was seen: ${rotation.output()}`).toBe(false);
    process.kill(-rotation.child.pid!, 'SIGKILL');
    await rotation.exited;

    const interrupted = await all(store.list());
    const moved = interrupted.filter((record) => newOnly.isCurrent(record.value)).length;
    expect(moved).toBeGreaterThan(0);
    expect(moved, 'every value was rotated before the kill').toBeLessThan(COUNT);
    expect(await Promise.all(interrupted.map((record) => ring.decrypt(record.value)))).toEqual(interrupted.map((_, i) => plaintextOf(i)));

    const again = await run('node', [CLI, 'rotate-key'], rotateKey());
    expect(again.output).toContain(`Re-encrypted ${COUNT - moved} of ${COUNT} stored value(s) under the first key, in `);
    expect(again.code).toBe(0);
    const rotated = await all(store.list());
    expect(await Promise.all(rotated.map((record) => newOnly.decrypt(record.value)))).toEqual(rotated.map((_, i) => plaintextOf(i)));
  }, 60_000);
});

async function all(records: AsyncIterable<SettingRecord>): Promise<SettingRecord[]> {
  const out: SettingRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}
