import { rotateStoredSecrets, type SettingRecord, type SettingsStore } from '@llm-settings/core';
import { createMemoryCipher } from '@llm-settings/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKnexSettingsStore } from '../src/index.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { describeEachDatabase } from './support/postgres.js';

/*
 * rotate-key beside a running server: the rotation's store and the server's are on
 * separate connections (another process), and the server keeps writing while it runs.
 */

const COUNT = 2_000;
const oldOnly = createMemoryCipher({ keys: ['OLD'] });
const newOnly = createMemoryCipher({ keys: ['NEW'] });
const ring = createMemoryCipher({ keys: ['NEW', 'OLD'] });
const keyOf = (index: number) => `llm_config:team-${String(index).padStart(5, '0')}`;

describeEachDatabase(DATABASES, 'key rotation while another connection writes, on %s', (_name, open) => {
  let db: TestDatabase;
  let rotating: SettingsStore;
  let server: SettingsStore;

  beforeAll(async () => {
    db = await open();
    rotating = createKnexSettingsStore(db.knex, { notifyChannel: db.channel, listenForRemoteChanges: false });
    server = createKnexSettingsStore(db.connect('server'), { notifyChannel: db.channel, listenForRemoteChanges: false });
    const values = await Promise.all(Array.from({ length: COUNT }, async (_, i) => ({ key: keyOf(i), value: await oldOnly.encrypt(`settings ${i}`) })));
    for (let start = 0; start < COUNT; start += 500) await rotating.setMany(values.slice(start, start + 500));
  }, 60_000);

  afterAll(async () => {
    await rotating?.close();
    await server?.close();
    await db?.close();
  });

  it('completes, losing none of the writes made meanwhile, and no write waits for the whole rotation', async () => {
    const latest = new Map<string, string>();
    const waits: number[] = [];
    const failures: unknown[] = [];
    /** The server, restarted with "NEW,OLD": a write every few milliseconds, spread over the keys. */
    const serverWrite = async (index: number, plaintext: string, cipher = newOnly) => {
      const since = performance.now();
      try {
        await server.set(keyOf(index), await cipher.encrypt(plaintext));
        latest.set(keyOf(index), plaintext);
      } catch (error) {
        failures.push(error);
      }
      waits.push(performance.now() - since);
    };
    // Deterministically, once the rotation has read every value: two writes to keys its
    // batches have not reached, one by a server still running with OLD.
    let listed = false;
    const rotatingStore: SettingsStore = {
      ...rotating,
      async setMany(writes) {
        if (!listed) {
          listed = true;
          await serverWrite(COUNT - 2, 'saved under NEW before its batch');
          await serverWrite(COUNT - 1, 'saved under OLD before its batch', oldOnly);
        }
        return rotating.setMany(writes);
      },
    };
    let done = false;
    const writer = (async () => {
      for (let i = 0; !done; i++) {
        await serverWrite((i * 37) % (COUNT - 2), `saved meanwhile ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    const started = performance.now();
    const report = await rotateStoredSecrets(rotatingStore, ring).finally(() => (done = true));
    const took = performance.now() - started;
    await writer;

    expect(failures).toEqual([]);
    expect(report.total).toBe(COUNT);
    const stored = await all(server.list());
    expect(stored.every((record) => newOnly.isCurrent(record.value))).toBe(true);
    const plaintexts = await Promise.all(stored.map((record) => newOnly.decrypt(record.value)));
    expect(plaintexts).toEqual(stored.map((record, i) => latest.get(record.key) ?? `settings ${i}`));
    expect(latest.get(keyOf(COUNT - 1))).toBe('saved under OLD before its batch');
    // A write waits for a batch at most, not for the rotation: on SQLite, batches back to
    // back would keep its one writer from the server for the whole write phase.
    expect(Math.max(...waits), `the longest of ${waits.length} writes, during a rotation of ${Math.round(took)} ms`).toBeLessThan(Math.max(took / 3, 250));
  }, 60_000);
});

async function all(records: AsyncIterable<SettingRecord>): Promise<SettingRecord[]> {
  const out: SettingRecord[] = [];
  for await (const record of records) out.push(record);
  return out;
}
