import { ErrorCodes, type UsageStore } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { UsageStoreContractOptions } from './options.js';
import { describeUsageStoreChecks, rejectionOf, usage, type UsageStoreSubject } from './support.js';

/** Room for three calls on an unreachable backend, each waiting for its connection timeout. */
const UNAVAILABLE_TEST_TIMEOUT_MS = 60_000;
const EVERY_DAY = { from: '2000-01-01', to: '2999-12-31' };

/** With `createUnavailable`: StorageUnavailableError that names no host or password, and a failed `add` that adds nothing. */
export function unavailableChecks<S extends UsageStore>(options: UsageStoreContractOptions<S>, subject: UsageStoreSubject<S>): void {
  const { createUnavailable } = options;
  describe.skipIf(!createUnavailable)(`unavailable backend${createUnavailable ? '' : ' (skipped: no createUnavailable hook)'}`, () => {
    it('add and prune - an unavailable backend fails with StorageUnavailableError whose message names no host or password; read fails alike or answers', async () => {
      const { store, neverMention } = await createUnavailable!();
      const failures: Array<[string, unknown]> = [];
      const writes: Array<[string, () => Promise<unknown>]> = [
        ['add', () => store.add([usage()])],
        ['prune', () => store.prune('2026-03-05')],
      ];
      for (const [method, call] of writes) {
        const error = await rejectionOf((async () => call())());
        expect(error, `${method} on an unavailable backend did not fail`).toBeInstanceOf(Error);
        failures.push([method, error]);
      }
      const readError = await rejectionOf((async () => store.read({ scope: 'tenant-a', ...EVERY_DAY }))());
      if (readError !== undefined) failures.push(['read', readError]);
      for (const [method, error] of failures) {
        expect(error, method).toMatchObject({ name: 'StorageUnavailableError', code: ErrorCodes.STORAGE_UNAVAILABLE });
        for (const text of [(error as Error).message, String(error)]) {
          for (const secret of neverMention) expect(text, `${method}'s message names ${secret}`).not.toContain(secret);
        }
      }
    }, UNAVAILABLE_TEST_TIMEOUT_MS);

    it('add - when it throws, none of its entries is added: neither to a row that exists nor as a new row', async () => {
      await subject.store.add([usage({ calls: 2 })]);
      const { store } = await createUnavailable!();
      const error = await rejectionOf((async () => store.add([usage({ calls: 5 }), usage({ model: 'claude-new' }), usage({ scope: 'tenant-b' })]))());
      expect(error, 'add on an unavailable backend did not fail').toBeInstanceOf(Error);
      expect(await subject.store.read({ scope: 'tenant-a', ...EVERY_DAY })).toEqual([usage({ calls: 2 })]);
      expect(await subject.store.read({ scope: 'tenant-b', ...EVERY_DAY })).toEqual([]);
    }, UNAVAILABLE_TEST_TIMEOUT_MS);
  });
}

/**
 * Registers the checks of an unavailable backend alone; skipped without `createUnavailable`.
 * Call it at the top level of a test file.
 */
export function describeUsageStoreFailures<S extends UsageStore>(options: UsageStoreContractOptions<S>): void {
  describeUsageStoreChecks(options, unavailableChecks);
}
