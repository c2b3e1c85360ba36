import { createMemoryUsageStore } from '@llm-settings/core/testing';
import { describeUsageStoreContract } from '../src/index.js';

describeUsageStoreContract({ name: 'core memory usage store', create: () => createMemoryUsageStore() });
