import { createMemorySettingsStore } from '@llm-settings/core/testing';
import { createCommitGate, describeSettingsStoreContract } from '../src/settings-store.contract.js';

const commits = createCommitGate();

describeSettingsStoreContract({
  name: 'core in-memory reference store',
  create: () => createMemorySettingsStore({ beforeCommit: commits.pass }),
  holdNextCommit: () => commits.holdNext(),
});
