import { ErrorCodes, type SettingChange, type SettingRecord, type SettingsStore } from '@llm-settings/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface SettingsStoreContractOptions {
  /** Names the suite, e.g. 'SQLite file'. */
  name: string;
  /** Creates the store under test; called before each test. */
  create: () => Promise<SettingsStore> | SettingsStore;
  /** Empties the backend, called after `create` before each test; needed when stores share storage. */
  reset?: (store: SettingsStore) => Promise<void> | void;
  /**
   * Called after each test.
   * @default (store) => store.close()
   */
  teardown?: (store: SettingsStore) => Promise<void> | void;
  /** Reads a key's value straight from the backend, bypassing the store; null when absent. */
  rawValue?: (key: string) => Promise<string | null>;
}

/** 64 KiB of varied base64url text: the largest value the port promises to keep. */
function largeValue(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let text = '';
  for (let i = 0; text.length < 64 * 1024; i += 1) text += alphabet[(i * 37 + (i >> 6)) % alphabet.length];
  return text;
}

/** Values a store could alter by trimming, normalizing, parsing or re-encoding them. */
const EXACT_VALUES: ReadonlyArray<readonly [string, string]> = [
  ['unicode text', 'Grüße, 你好, مرحبا, 🔑🚀, e\u0301 vs \u00e9, zero\u200bwidth'],
  ['a 64 KiB value', largeValue()],
  ['leading and trailing spaces', '  padded value \t '],
  ['JSON-looking text', '{"provider":"openai","price":1.50,"ok":true}'],
  ['number-looking text', '007'],
  ['newlines, quotes and backslashes', 'line 1\nline 2\r\n"double" \'single\' `back` \\ end'],
  ['SQL-looking text', "'); DROP TABLE settings; --"],
  ['an empty string', ''],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Checks by name and code rather than instanceof, so a store built against another copy of core passes. */
async function expectConflict(promise: Promise<unknown>): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error, 'expected a ConflictError').toBeInstanceOf(Error);
  expect(error).toMatchObject({ name: 'ConflictError', code: ErrorCodes.SETTINGS_CONFLICT });
}

async function listAll(store: SettingsStore): Promise<SettingRecord[]> {
  const records: SettingRecord[] = [];
  for await (const record of store.list()) records.push(record);
  return records;
}

/**
 * Registers the SettingsStore contract: every promise the port makes, checked
 * against the store `create` returns. Call it at the top level of a test file.
 */
export function describeSettingsStoreContract(options: SettingsStoreContractOptions): void {
  const { create, reset, rawValue } = options;
  const teardown = options.teardown ?? ((store: SettingsStore) => store.close());

  describe(`SettingsStore contract: ${options.name}`, () => {
    let store: SettingsStore;

    beforeEach(async () => {
      store = await create();
      await reset?.(store);
    });

    afterEach(async () => {
      await teardown(store);
    });

    describe('get and set', () => {
      it('get - returns null for a missing key', async () => {
        expect(await store.get('missing')).toBeNull();
      });

      it('set - returns the record written, and get reads the same record back', async () => {
        const written = await store.set('provider', 'openai');
        expect(written).toMatchObject({ key: 'provider', value: 'openai', version: 1 });
        expect(await store.get('provider')).toEqual(written);
      });

      it('set - version starts at 1 and each write increments it by one', async () => {
        const versions: number[] = [];
        for (const value of ['a', 'b', 'c', 'd']) versions.push((await store.set('counter', value)).version);
        expect(versions).toEqual([1, 2, 3, 4]);
        expect((await store.get('counter'))?.version).toBe(4);
      });

      it('set - versions are counted per key', async () => {
        await store.set('one', 'x');
        await store.set('one', 'y');
        expect((await store.set('two', 'z')).version).toBe(1);
      });

      it('set - updatedAt is a valid Date that moves forward with a later write', async () => {
        const first = await store.set('timed', 'a');
        await sleep(10);
        const second = await store.set('timed', 'b');
        expect(first.updatedAt).toBeInstanceOf(Date);
        expect(Number.isNaN(first.updatedAt.getTime())).toBe(false);
        expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
        expect((await store.get('timed'))?.updatedAt.getTime()).toBe(second.updatedAt.getTime());
      });

      it('set - without expectedVersion replaces the value whatever the version', async () => {
        await store.set('free', 'a');
        await store.set('free', 'b');
        expect(await store.set('free', 'c')).toMatchObject({ value: 'c', version: 3 });
      });

      for (const [description, value] of EXACT_VALUES) {
        it(`set - get returns ${description} exactly as given`, async () => {
          expect((await store.set('exact', value)).value).toBe(value);
          expect((await store.get('exact'))?.value).toBe(value);
        });

        if (rawValue) {
          it(`set - the backend holds ${description} exactly as given`, async () => {
            await store.set('exact', value);
            expect(await rawValue('exact')).toBe(value);
          });
        }
      }
    });

    describe('compare-and-set', () => {
      it('set - with expectedVersion equal to the current version writes and increments', async () => {
        const first = await store.set('cas', 'a');
        expect(await store.set('cas', 'b', { expectedVersion: first.version })).toMatchObject({ value: 'b', version: 2 });
      });

      it('set - with a stale expectedVersion throws ConflictError (SETTINGS.CONFLICT) and changes nothing', async () => {
        await store.set('cas', 'a');
        const current = await store.set('cas', 'b');
        await expectConflict(store.set('cas', 'c', { expectedVersion: 1 }));
        expect(await store.get('cas')).toEqual(current);
      });

      it('set - with expectedVersion 0 creates a missing key', async () => {
        expect(await store.set('new', 'a', { expectedVersion: 0 })).toMatchObject({ value: 'a', version: 1 });
      });

      it('set - with expectedVersion 0 throws ConflictError when the key exists', async () => {
        const existing = await store.set('taken', 'a');
        await expectConflict(store.set('taken', 'b', { expectedVersion: 0 }));
        expect(await store.get('taken')).toEqual(existing);
      });

      it('set - with expectedVersion above 0 on a missing key throws ConflictError and creates nothing', async () => {
        await expectConflict(store.set('ghost', 'a', { expectedVersion: 1 }));
        expect(await store.get('ghost')).toBeNull();
      });

      it('set - of 20 concurrent writers expecting the same version, exactly one wins', async () => {
        const base = await store.set('contended', 'start');
        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.set('contended', `writer ${i}`, { expectedVersion: base.version })),
        );
        const winners = outcomes.filter((o): o is PromiseFulfilledResult<SettingRecord> => o.status === 'fulfilled');
        const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(winners).toHaveLength(1);
        for (const loser of losers) expect(loser.reason).toMatchObject({ code: ErrorCodes.SETTINGS_CONFLICT });
        const stored = await store.get('contended');
        expect(stored?.version).toBe(base.version + 1);
        expect(stored?.value).toBe(winners[0]?.value.value);
      });

      it('set - 20 concurrent unconditional writers all land: versions 1 to 20, none lost', async () => {
        const records = await Promise.all(Array.from({ length: 20 }, (_, i) => store.set('busy', `writer ${i}`)));
        expect(records.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        const stored = await store.get('busy');
        expect(stored?.version).toBe(20);
        expect(stored?.value).toBe(records.find((r) => r.version === 20)?.value);
      });
    });

    describe('delete', () => {
      it('delete - returns true and removes an existing key', async () => {
        await store.set('doomed', 'a');
        expect(await store.delete('doomed')).toBe(true);
        expect(await store.get('doomed')).toBeNull();
      });

      it('delete - returns false for a missing key', async () => {
        expect(await store.delete('missing')).toBe(false);
      });

      it('delete - with a matching expectedVersion removes the key', async () => {
        const record = await store.set('doomed', 'a');
        expect(await store.delete('doomed', { expectedVersion: record.version })).toBe(true);
        expect(await store.get('doomed')).toBeNull();
      });

      it('delete - with another expectedVersion throws ConflictError and keeps the key', async () => {
        await store.set('kept', 'a');
        const current = await store.set('kept', 'b');
        await expectConflict(store.delete('kept', { expectedVersion: 1 }));
        expect(await store.get('kept')).toEqual(current);
      });

      it('delete - with expectedVersion on a missing key returns false', async () => {
        expect(await store.delete('missing', { expectedVersion: 3 })).toBe(false);
      });
    });

    describe('setMany', () => {
      it('setMany - writes every key and returns the records in the order given', async () => {
        await store.set('b', 'old b');
        const records = await store.setMany([
          { key: 'c', value: 'new c' },
          { key: 'a', value: 'new a', expectedVersion: 0 },
          { key: 'b', value: 'new b', expectedVersion: 1 },
        ]);
        expect(records.map((r) => [r.key, r.value, r.version])).toEqual([
          ['c', 'new c', 1],
          ['a', 'new a', 1],
          ['b', 'new b', 2],
        ]);
        for (const record of records) expect(await store.get(record.key)).toEqual(record);
      });

      it('setMany - a conflict in the last write leaves every key untouched', async () => {
        const a = await store.set('a', 'a1');
        const b = await store.set('b', 'b1');
        await expectConflict(
          store.setMany([
            { key: 'a', value: 'a2' },
            { key: 'fresh', value: 'f1' },
            { key: 'b', value: 'b2', expectedVersion: 7 },
          ]),
        );
        expect(await store.get('a')).toEqual(a);
        expect(await store.get('b')).toEqual(b);
        expect(await store.get('fresh')).toBeNull();
      });

      it('setMany - an empty list writes nothing and returns an empty list', async () => {
        expect(await store.setMany([])).toEqual([]);
        expect(await listAll(store)).toEqual([]);
      });
    });

    describe('list', () => {
      it('list - yields nothing for an empty store', async () => {
        expect(await listAll(store)).toEqual([]);
      });

      it('list - yields every record in key order (code point order, case-sensitive)', async () => {
        const keys = ['b', 'a', 'B', 'A', 'a-1', 'a_1', 'aa', 'Z', '1', '~', 'a.b'];
        for (const key of keys) await store.set(key, `value of ${key}`);
        await store.set('a', 'a again');
        const records = await listAll(store);
        expect(records.map((r) => r.key)).toEqual([...keys].sort());
        for (const record of records) expect(await store.get(record.key)).toEqual(record);
      });

      it('list - yields each record of a larger store exactly once', async () => {
        const keys = Array.from({ length: 250 }, (_, i) => `key-${String(i).padStart(3, '0')}`);
        await store.setMany(keys.map((key) => ({ key, value: `v${key}` })));
        const records = await listAll(store);
        expect(records.map((r) => r.key)).toEqual(keys);
        expect(records.every((r) => r.value === `v${r.key}`)).toBe(true);
      });
    });

    describe('watch', () => {
      it('watch - reports each set with the key and origin local, never the value', async () => {
        const changes: SettingChange[] = [];
        store.watch((change) => changes.push(change));
        await store.set('watched', 'not-in-the-event');
        await store.set('watched', 'still-not');
        expect(changes).toEqual([
          { key: 'watched', origin: 'local' },
          { key: 'watched', origin: 'local' },
        ]);
        expect(JSON.stringify(changes)).not.toContain('not-in-the-event');
      });

      it('watch - reports every key of a setMany and a delete', async () => {
        const changes: SettingChange[] = [];
        store.watch((change) => changes.push(change));
        await store.setMany([
          { key: 'x', value: '1' },
          { key: 'y', value: '2' },
        ]);
        await store.delete('x');
        expect(changes).toEqual([
          { key: 'x', origin: 'local' },
          { key: 'y', origin: 'local' },
          { key: 'x', origin: 'local' },
        ]);
      });

      it('watch - stays silent for rejected writes', async () => {
        await store.set('k', 'a');
        const changes: SettingChange[] = [];
        store.watch((change) => changes.push(change));
        await expectConflict(store.set('k', 'b', { expectedVersion: 0 }));
        await expectConflict(store.setMany([{ key: 'k', value: 'c', expectedVersion: 9 }]));
        await expectConflict(store.delete('k', { expectedVersion: 9 }));
        expect(changes).toEqual([]);
      });

      it('watch - a delete that finds nothing still reports the key, before it resolves', async () => {
        const changes: SettingChange[] = [];
        store.watch((change) => changes.push(change));
        expect(await store.delete('missing')).toBe(false);
        expect(changes).toEqual([{ key: 'missing', origin: 'local' }]);
        expect(await store.delete('missing', { expectedVersion: 0 })).toBe(false);
        expect(changes).toHaveLength(2);
      });

      it('watch - a listener sees the write already durable', async () => {
        const reads: Promise<SettingRecord | null>[] = [];
        store.watch((change) => reads.push(store.get(change.key ?? '')));
        await store.set('durable', 'written');
        expect(reads).toHaveLength(1);
        expect((await reads[0])?.value).toBe('written');
      });

      it('watch - the returned function unsubscribes', async () => {
        const changes: SettingChange[] = [];
        const unsubscribe = store.watch((change) => changes.push(change));
        await store.set('k', 'a');
        unsubscribe();
        await store.set('k', 'b');
        expect(changes).toEqual([{ key: 'k', origin: 'local' }]);
      });

      it('watch - a throwing listener affects neither the write nor the other listeners', async () => {
        const changes: SettingChange[] = [];
        store.watch(() => {
          throw new Error('listener failure');
        });
        store.watch((change) => changes.push(change));
        const record = await store.set('k', 'a');
        expect(record.value).toBe('a');
        expect((await store.get('k'))?.value).toBe('a');
        expect(changes).toEqual([{ key: 'k', origin: 'local' }]);
      });
    });
  });
}
