import type { SettingsStore } from '@llm-settings/core';
import { closeChecks, unavailableChecks } from './settings-store/failures.contract.js';
import { historyChecks } from './settings-store/history.contract.js';
import { listChecks } from './settings-store/list.contract.js';
import type { SettingsStoreContractOptions } from './settings-store/options.js';
import { sharedBackendChecks } from './settings-store/shared-backend.contract.js';
import { describeStoreChecks } from './settings-store/support.js';
import { getAndSetChecks, keyChecks } from './settings-store/values.contract.js';
import { heldCommitChecks, watchChecks } from './settings-store/watch.contract.js';
import { compareAndSetChecks, deleteChecks, setManyChecks } from './settings-store/writes.contract.js';

export * from './settings-store/options.js';
export { describeSettingsStoreValues } from './settings-store/values.contract.js';
export { describeSettingsStoreWrites } from './settings-store/writes.contract.js';
export { describeSettingsStoreList } from './settings-store/list.contract.js';
export { describeSettingsStoreWatch } from './settings-store/watch.contract.js';
export { describeSettingsStoreSharedBackend } from './settings-store/shared-backend.contract.js';
export { describeSettingsStoreFailures } from './settings-store/failures.contract.js';
export { describeSettingsStoreHistory } from './settings-store/history.contract.js';

/**
 * Registers the SettingsStore contract: every promise the port makes, checked
 * against the store `create` returns. Call it at the top level of a test file.
 * Each concern is also a suite of its own (`describeSettingsStoreValues`, `…Writes`,
 * `…List`, `…Watch`, `…SharedBackend`, `…Failures`, `…History`), with the same options.
 */
export function describeSettingsStoreContract<S extends SettingsStore>(options: SettingsStoreContractOptions<S>): void {
  describeStoreChecks(
    options,
    getAndSetChecks,
    keyChecks,
    compareAndSetChecks,
    deleteChecks,
    setManyChecks,
    listChecks,
    watchChecks,
    heldCommitChecks,
    closeChecks,
    sharedBackendChecks,
    unavailableChecks,
    historyChecks,
  );
}
