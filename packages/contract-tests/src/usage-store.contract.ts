import type { UsageStore } from '@llm-settings/core';
import { addChecks } from './usage-store/add.contract.js';
import { unavailableChecks } from './usage-store/failures.contract.js';
import type { UsageStoreContractOptions } from './usage-store/options.js';
import { readChecks } from './usage-store/read.contract.js';
import { sharedBackendChecks } from './usage-store/shared-backend.contract.js';
import { describeUsageStoreChecks } from './usage-store/support.js';

export * from './usage-store/options.js';
export { describeUsageStoreAdd } from './usage-store/add.contract.js';
export { describeUsageStoreRead } from './usage-store/read.contract.js';
export { describeUsageStoreSharedBackend } from './usage-store/shared-backend.contract.js';
export { describeUsageStoreFailures } from './usage-store/failures.contract.js';

/**
 * Registers the UsageStore contract: rows created and incremented per (scope, date,
 * provider, model), read per scope and range in order, pruned by date, two instances
 * adding to one row at once losing nothing, and (with `createUnavailable`) an unavailable
 * backend failing with StorageUnavailableError, an `add` that throws adding nothing. Each
 * concern is also a suite of its own (`describeUsageStoreAdd`, `…Read`, `…SharedBackend`,
 * `…Failures`), with the same options. Call it at the top level of a test file.
 */
export function describeUsageStoreContract<S extends UsageStore>(options: UsageStoreContractOptions<S>): void {
  describeUsageStoreChecks(options, addChecks, readChecks, sharedBackendChecks, unavailableChecks);
}
