import { ErrorCodes, type SettingChange, type SettingsStore } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { SettingsStoreContractOptions } from './options.js';
import { rejectionOf, listAll, describeStoreChecks, type StoreSubject, watchLocal } from './support.js';

/** Room for eight calls on an unreachable backend, each waiting for its connection timeout. */
const UNAVAILABLE_TEST_TIMEOUT_MS = 80_000;

/** `close()`: later calls fail and listeners hear nothing more. */
export function closeChecks<S extends SettingsStore>(_options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  describe('close', () => {
    it('close - later calls fail with an error and listeners hear nothing more', async () => {
      await subject.store.set('k', 'before close');
      const changes: SettingChange[] = [];
      watchLocal(subject.store, (change) => changes.push(change));
      await subject.store.close();
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['get', () => subject.store.get('k')],
        ['set', () => subject.store.set('k', 'after close')],
        ['setMany', () => subject.store.setMany([{ key: 'k', value: 'after close' }])],
        ['delete', () => subject.store.delete('k')],
        ['list', () => listAll(subject.store)],
        ['readHistory', () => subject.store.readHistory({ scope: 's1', limit: 10 })],
        ['pruneHistory', () => subject.store.pruneHistory(new Date())],
      ];
      for (const [method, call] of calls) {
        const error = await rejectionOf((async () => call())());
        expect(error, `${method} after close() did not fail`).toBeInstanceOf(Error);
        expect((error as Error).message, `${method} after close() failed without a message`).toMatch(/\S/);
      }
      expect(changes).toEqual([]);
    });
  });
}

/** With `createUnavailable`: StorageUnavailableError that names no host or password. */
export function unavailableChecks<S extends SettingsStore>(options: SettingsStoreContractOptions<S>, subject: StoreSubject<S>): void {
  const { createUnavailable } = options;
  describe.skipIf(!createUnavailable)(
    `unavailable backend${createUnavailable ? '' : ' (skipped: no createUnavailable hook)'}`,
    () => {
      it('set, setMany, delete and pruneHistory - an unavailable backend fails with StorageUnavailableError whose message names no host or password; reads, readHistory included, fail alike or answer', async () => {
        const { store: unavailable, neverMention } = await createUnavailable!();
        subject.closeAfterTest(unavailable);
        const changes: SettingChange[] = [];
        watchLocal(unavailable, (change) => changes.push(change));
        const writes: Array<[string, () => Promise<unknown>]> = [
          ['set', () => unavailable.set('k', 'v')],
          ['set with expectedVersion', () => unavailable.set('k', 'v', { expectedVersion: 0 })],
          ['setMany', () => unavailable.setMany([{ key: 'k', value: 'v' }])],
          ['delete', () => unavailable.delete('k')],
          ['pruneHistory', () => unavailable.pruneHistory(new Date())],
        ];
        const reads: Array<[string, () => Promise<unknown>]> = [
          ['get', () => unavailable.get('k')],
          ['list', () => listAll(unavailable)],
          ['readHistory', () => unavailable.readHistory({ scope: 's1', limit: 10 })],
        ];
        const failures: Array<[string, unknown]> = [];
        for (const [method, call] of writes) {
          const error = await rejectionOf((async () => call())());
          expect(error, `${method} on an unavailable backend did not fail`).toBeInstanceOf(Error);
          failures.push([method, error]);
        }
        for (const [method, call] of reads) {
          const error = await rejectionOf((async () => call())());
          if (error !== undefined) failures.push([method, error]);
        }
        for (const [method, error] of failures) {
          expect(error, method).toMatchObject({ name: 'StorageUnavailableError', code: ErrorCodes.STORAGE_UNAVAILABLE });
          for (const text of [(error as Error).message, String(error)]) {
            for (const secret of neverMention) expect(text, `${method}'s message names ${secret}`).not.toContain(secret);
          }
        }
        expect(changes).toEqual([]);
      }, UNAVAILABLE_TEST_TIMEOUT_MS);
    },
  );
}

/**
 * Registers the checks of a store that cannot serve: after `close()`, and (with `createUnavailable`) on an unavailable backend.
 * Call it at the top level of a test file.
 */
export function describeSettingsStoreFailures<S extends SettingsStore>(options: SettingsStoreContractOptions<S>): void {
  describeStoreChecks(options, closeChecks, unavailableChecks);
}
