import type { SettingsStore } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { SettingsStoreContractOptions } from './options.js';
import { byCodePoint, listAll, describeStoreChecks, type StoreSubject } from './support.js';

/**
 * Keys whose code point order differs from JavaScript's default sort (UTF-16 code units):
 * U+FF5E and U+FFFD sort before the emoji by code point, after it by code unit.
 */
const NON_ASCII_KEYS = ['～', '😀', 'é', 'z', 'Z', '中', '\uFFFD', '𝒜', 'ä', 'a', 'ÿ', 'Ā', 'e\u0301', '~'];

/** `list`. */
export function listChecks<S extends SettingsStore>(_options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  describe('list', () => {
    it('list - yields nothing for an empty store', async () => {
      expect(await listAll(subject.store)).toEqual([]);
    });

    it('list - yields every record in key order (code point order, case-sensitive)', async () => {
      const keys = ['b', 'a', 'B', 'A', 'a-1', 'a_1', 'aa', 'Z', '1', '~', 'a.b'];
      for (const key of keys) await subject.store.set(key, `value of ${key}`);
      await subject.store.set('a', 'a again');
      const records = await listAll(subject.store);
      expect(records.map((r) => r.key)).toEqual([...keys].sort());
      for (const record of records) expect(await subject.store.get(record.key)).toEqual(record);
    });

    it('list - yields non-ASCII keys in code point order, not UTF-16 code unit order', async () => {
      for (const key of NON_ASCII_KEYS) await subject.store.set(key, `value of ${key}`);
      const records = await listAll(subject.store);
      expect(records.map((r) => r.key)).toEqual([...NON_ASCII_KEYS].sort(byCodePoint));
      for (const record of records) expect(record.value).toBe(`value of ${record.key}`);
    });

    it('list - yields a larger store of non-ASCII keys in code point order, each once', async () => {
      const keys = Array.from({ length: 230 }, (_, i) => `${NON_ASCII_KEYS[i % NON_ASCII_KEYS.length]}${i}`);
      await subject.store.setMany(keys.map((key) => ({ key, value: `v${key}` })));
      const records = await listAll(subject.store);
      expect(records.map((r) => r.key)).toEqual([...keys].sort(byCodePoint));
    });

    it('list - yields each record of a larger store exactly once', async () => {
      const keys = Array.from({ length: 250 }, (_, i) => `key-${String(i).padStart(3, '0')}`);
      await subject.store.setMany(keys.map((key) => ({ key, value: `v${key}` })));
      const records = await listAll(subject.store);
      expect(records.map((r) => r.key)).toEqual(keys);
      expect(records.every((r) => r.value === `v${r.key}`)).toBe(true);
    });
  });
}

/**
 * Registers the checks of `list`: every record once, in code point order.
 * Call it at the top level of a test file.
 */
export function describeSettingsStoreList<S extends SettingsStore>(options: SettingsStoreContractOptions<S>): void {
  describeStoreChecks(options, listChecks);
}
