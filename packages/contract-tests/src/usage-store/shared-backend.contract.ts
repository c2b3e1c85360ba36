import type { UsageStore } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { UsageStoreContractOptions } from './options.js';
import { describeUsageStoreChecks, usage, type UsageStoreSubject } from './support.js';

/** Batches each instance adds at once, to one row. */
const CONCURRENT_BATCHES = 25;

/** With `openSecondInstance`: two instances adding to the same rows at once lose nothing. */
export function sharedBackendChecks<S extends UsageStore>(options: UsageStoreContractOptions<S>, subject: UsageStoreSubject<S>): void {
  describe.skipIf(!options.openSecondInstance)(`another instance on the same backend${options.openSecondInstance ? '' : ' (skipped: no openSecondInstance hook)'}`, () => {
    it('add - two instances adding to the same rows at once lose no count', async () => {
      const other = await subject.secondInstance();
      const batch = [usage({ inputTokens: 7, outputTokens: 3 }), usage({ model: 'second-row', failedCalls: 1 })];
      await Promise.all(Array.from({ length: CONCURRENT_BATCHES }, () => [subject.store.add(batch), other.add(batch)]).flat());
      const rows = await other.read({ scope: 'tenant-a', from: '2026-03-04', to: '2026-03-04' });
      expect(rows).toEqual([
        usage({ calls: 2 * CONCURRENT_BATCHES, inputTokens: 14 * CONCURRENT_BATCHES, outputTokens: 6 * CONCURRENT_BATCHES }),
        usage({ model: 'second-row', calls: 2 * CONCURRENT_BATCHES, failedCalls: 2 * CONCURRENT_BATCHES }),
      ]);
    }, 60_000);
  });
}

/** Registers the check of two instances on one backend alone. Call it at the top level of a test file. */
export function describeUsageStoreSharedBackend<S extends UsageStore>(options: UsageStoreContractOptions<S>): void {
  describeUsageStoreChecks(options, sharedBackendChecks);
}
