import { createMemorySettingsStore } from '@llm-settings/core/testing';
import { describeSettingsStoreContract } from '../src/settings-store.contract.js';

describeSettingsStoreContract({
  name: 'core in-memory reference store',
  create: () => createMemorySettingsStore(),
});
