import type { SettingChange, SettingsStore } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { SettingsStoreContractOptions } from './options.js';
import { largeValue, sleep, listAll, describeStoreChecks, type StoreSubject, watchLocal } from './support.js';

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

/** The longest keys the port allows (255 characters), in one-, two- and three-byte UTF-8. */
const LONGEST_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['ASCII', 'k'.repeat(254) + 'z'],
  ['two-byte UTF-8 (é)', 'é'.repeat(255)],
  ['three-byte UTF-8 (中)', '中'.repeat(255)],
];

/** `get` and `set`: records, versions, exact values. */
export function getAndSetChecks<S extends SettingsStore>(options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  const { rawValue } = options;
  describe('get and set', () => {
    it('get - returns null for a missing key', async () => {
      expect(await subject.store.get('missing')).toBeNull();
    });

    it('set - returns the record written, and get reads the same record back', async () => {
      const written = await subject.store.set('provider', 'openai');
      expect(written).toMatchObject({ key: 'provider', value: 'openai', version: 1 });
      expect(await subject.store.get('provider')).toEqual(written);
    });

    it('set - version starts at 1 and each write increments it by one', async () => {
      const versions: number[] = [];
      for (const value of ['a', 'b', 'c', 'd']) versions.push((await subject.store.set('counter', value)).version);
      expect(versions).toEqual([1, 2, 3, 4]);
      expect((await subject.store.get('counter'))?.version).toBe(4);
    });

    it('set - versions are counted per key', async () => {
      await subject.store.set('one', 'x');
      await subject.store.set('one', 'y');
      expect((await subject.store.set('two', 'z')).version).toBe(1);
    });

    it('set - updatedAt is a valid Date that moves forward with a later write', async () => {
      const first = await subject.store.set('timed', 'a');
      await sleep(10);
      const second = await subject.store.set('timed', 'b');
      expect(first.updatedAt).toBeInstanceOf(Date);
      expect(Number.isNaN(first.updatedAt.getTime())).toBe(false);
      expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
      expect((await subject.store.get('timed'))?.updatedAt.getTime()).toBe(second.updatedAt.getTime());
    });

    it('set - without expectedVersion replaces the value whatever the version', async () => {
      await subject.store.set('free', 'a');
      await subject.store.set('free', 'b');
      expect(await subject.store.set('free', 'c')).toMatchObject({ value: 'c', version: 3 });
    });

    for (const [description, value] of EXACT_VALUES) {
      it(`set - get returns ${description} exactly as given`, async () => {
        expect((await subject.store.set('exact', value)).value).toBe(value);
        expect((await subject.store.get('exact'))?.value).toBe(value);
      });

      it.skipIf(!rawValue)(`set - the backend holds ${description} exactly as given${rawValue ? '' : ' (skipped: no rawValue hook)'}`, async () => {
        await subject.store.set('exact', value);
        expect(await rawValue!('exact')).toBe(value);
      });
    }
  });
}

/** Keys: the longest allowed, and keys that differ only in case or normalization. */
export function keyChecks<S extends SettingsStore>(_options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  describe('keys', () => {
    for (const [label, key] of LONGEST_KEYS) {
      it(`set - a key of the longest allowed length (255 characters, ${label}) round-trips through set, get, list, watch and delete`, async () => {
        const changes: SettingChange[] = [];
        watchLocal(subject.store, (change) => changes.push(change));
        expect((await subject.store.set(key, 'long key')).key).toBe(key);
        expect(await subject.store.get(key)).toMatchObject({ key, value: 'long key', version: 1 });
        expect(await subject.store.get(key.slice(0, -1))).toBeNull();
        expect((await listAll(subject.store)).map((r) => r.key)).toEqual([key]);
        expect((await subject.store.setMany([{ key, value: 'again', expectedVersion: 1 }]))[0]).toMatchObject({ key, version: 2 });
        expect(await subject.store.delete(key, { expectedVersion: 2 })).toBe(true);
        expect(changes.map((c) => c.key)).toEqual([key, key, key]);
      });
    }

    it('set - keys differing only in case, accents or normalization are distinct', async () => {
      const keys = ['key', 'Key', 'KEY', 'ké', 'ke\u0301', 'ke'];
      for (const key of keys) await subject.store.set(key, `value of ${key}`);
      for (const key of keys) expect((await subject.store.get(key))?.value).toBe(`value of ${key}`);
      expect(await listAll(subject.store)).toHaveLength(keys.length);
    });
  });
}

/**
 * Registers the checks that a store keeps what it is given: records, versions, exact values, the longest keys.
 * Call it at the top level of a test file.
 */
export function describeSettingsStoreValues<S extends SettingsStore>(options: SettingsStoreContractOptions<S>): void {
  describeStoreChecks(options, getAndSetChecks, keyChecks);
}
