import { ErrorCodes, type SettingChange, type SettingRecord, type SettingWrite, type SettingsStore } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { SettingsStoreContractOptions } from './options.js';
import { byCodePoint, expectConflict, listAll, describeStoreChecks, type StoreSubject, watchLocal } from './support.js';

/** Compare-and-set writes. */
export function compareAndSetChecks<S extends SettingsStore>(_options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  describe('compare-and-set', () => {
    it('set - with expectedVersion equal to the current version writes and increments', async () => {
      const first = await subject.store.set('cas', 'a');
      expect(await subject.store.set('cas', 'b', { expectedVersion: first.version })).toMatchObject({ value: 'b', version: 2 });
    });

    it('set - with a stale expectedVersion throws ConflictError (SETTINGS.CONFLICT) and changes nothing', async () => {
      await subject.store.set('cas', 'a');
      const current = await subject.store.set('cas', 'b');
      await expectConflict(subject.store.set('cas', 'c', { expectedVersion: 1 }));
      expect(await subject.store.get('cas')).toEqual(current);
    });

    it('set - with expectedVersion 0 creates a missing key', async () => {
      expect(await subject.store.set('new', 'a', { expectedVersion: 0 })).toMatchObject({ value: 'a', version: 1 });
    });

    it('set - with expectedVersion 0 throws ConflictError when the key exists', async () => {
      const existing = await subject.store.set('taken', 'a');
      await expectConflict(subject.store.set('taken', 'b', { expectedVersion: 0 }));
      expect(await subject.store.get('taken')).toEqual(existing);
    });

    it('set - with expectedVersion above 0 on a missing key throws ConflictError and creates nothing', async () => {
      await expectConflict(subject.store.set('ghost', 'a', { expectedVersion: 1 }));
      expect(await subject.store.get('ghost')).toBeNull();
    });

    it('set - of 20 concurrent writers expecting the same version, exactly one wins', async () => {
      const base = await subject.store.set('contended', 'start');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => subject.store.set('contended', `writer ${i}`, { expectedVersion: base.version })),
      );
      const winners = outcomes.filter((o): o is PromiseFulfilledResult<SettingRecord> => o.status === 'fulfilled');
      const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(winners).toHaveLength(1);
      for (const loser of losers) expect(loser.reason).toMatchObject({ code: ErrorCodes.SETTINGS_CONFLICT });
      const stored = await subject.store.get('contended');
      expect(stored?.version).toBe(base.version + 1);
      expect(stored?.value).toBe(winners[0]?.value.value);
    });

    it('set - 20 concurrent unconditional writers all land: versions 1 to 20, none lost', async () => {
      const records = await Promise.all(Array.from({ length: 20 }, (_, i) => subject.store.set('busy', `writer ${i}`)));
      expect(records.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const stored = await subject.store.get('busy');
      expect(stored?.version).toBe(20);
      expect(stored?.value).toBe(records.find((r) => r.version === 20)?.value);
    });
  });
}

/** `delete`, plain and compare-and-set. */
export function deleteChecks<S extends SettingsStore>(_options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  describe('delete', () => {
    it('delete - returns true and removes an existing key', async () => {
      await subject.store.set('doomed', 'a');
      expect(await subject.store.delete('doomed')).toBe(true);
      expect(await subject.store.get('doomed')).toBeNull();
    });

    it('delete - returns false for a missing key', async () => {
      expect(await subject.store.delete('missing')).toBe(false);
    });

    it('delete - with a matching expectedVersion removes the key', async () => {
      const record = await subject.store.set('doomed', 'a');
      expect(await subject.store.delete('doomed', { expectedVersion: record.version })).toBe(true);
      expect(await subject.store.get('doomed')).toBeNull();
    });

    it('delete - with another expectedVersion throws ConflictError and keeps the key', async () => {
      await subject.store.set('kept', 'a');
      const current = await subject.store.set('kept', 'b');
      await expectConflict(subject.store.delete('kept', { expectedVersion: 1 }));
      expect(await subject.store.get('kept')).toEqual(current);
    });

    it('delete - with expectedVersion on a missing key returns false', async () => {
      expect(await subject.store.delete('missing', { expectedVersion: 3 })).toBe(false);
    });
  });
}

/** `setMany`: all writes or none. */
export function setManyChecks<S extends SettingsStore>(_options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  describe('setMany', () => {
    it('setMany - writes every key and returns the records in the order given', async () => {
      await subject.store.set('b', 'old b');
      const records = await subject.store.setMany([
        { key: 'c', value: 'new c' },
        { key: 'a', value: 'new a', expectedVersion: 0 },
        { key: 'b', value: 'new b', expectedVersion: 1 },
      ]);
      expect(records.map((r) => [r.key, r.value, r.version])).toEqual([
        ['c', 'new c', 1],
        ['a', 'new a', 1],
        ['b', 'new b', 2],
      ]);
      for (const record of records) expect(await subject.store.get(record.key)).toEqual(record);
    });

    // Stores may write in the order given or in key order: the conflicting write is put
    // first, in the middle and last of both.
    const conflicts: ReadonlyArray<readonly [string, SettingWrite, 'first' | 'middle' | 'last']> = [
      ['the first write (a stale version)', { key: 'a', value: 'new', expectedVersion: 7 }, 'first'],
      ['a middle write (a stale version)', { key: 'c', value: 'new', expectedVersion: 7 }, 'middle'],
      ['the last write (a stale version)', { key: 'e', value: 'new', expectedVersion: 7 }, 'last'],
      ['the last write (expectedVersion 0 on an existing key)', { key: 'e', value: 'new', expectedVersion: 0 }, 'last'],
      ['the last write (a version expected of a missing key)', { key: 'f', value: 'new', expectedVersion: 1 }, 'last'],
      ['the last write given, first in key order', { key: 'a', value: 'new', expectedVersion: 7 }, 'last'],
    ];
    for (const [which, conflicting, place] of conflicts) {
      it(`setMany - a conflict in ${which} writes nothing, reports nothing and throws ConflictError`, async () => {
        const before = await Promise.all(['a', 'c', 'e'].map((key) => subject.store.set(key, `${key}1`)));
        const changes: SettingChange[] = [];
        watchLocal(subject.store, (change) => changes.push(change));
        const rest: SettingWrite[] = [
          { key: 'a', value: 'a2' },
          { key: 'b', value: 'b1', expectedVersion: 0 },
          { key: 'c', value: 'c2' },
          { key: 'd', value: 'd1' },
          { key: 'e', value: 'e2', expectedVersion: 1 },
        ].filter((write) => write.key !== conflicting.key);
        const writes =
          place === 'first'
            ? [conflicting, ...rest]
            : place === 'last'
              ? [...rest, conflicting]
              : [...rest, conflicting].sort((x, y) => byCodePoint(x.key, y.key));
        await expectConflict(subject.store.setMany(writes));
        for (const record of before) expect(await subject.store.get(record.key)).toEqual(record);
        for (const key of ['b', 'd', 'f']) expect(await subject.store.get(key)).toBeNull();
        expect(changes).toEqual([]);
      });
    }

    it('setMany - an empty list writes nothing and returns an empty list', async () => {
      expect(await subject.store.setMany([])).toEqual([]);
      expect(await listAll(subject.store)).toEqual([]);
    });
  });
}

/**
 * Registers the checks of conditional and several-key writes: compare-and-set, `delete`, `setMany`.
 * Call it at the top level of a test file.
 */
export function describeSettingsStoreWrites<S extends SettingsStore>(options: SettingsStoreContractOptions<S>): void {
  describeStoreChecks(options, compareAndSetChecks, deleteChecks, setManyChecks);
}
