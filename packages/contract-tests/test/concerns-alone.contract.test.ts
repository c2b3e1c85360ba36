import { createMemoryCipher, createMemoryModelLister, createMemorySettingsStore, createMemoryUsageStore } from '@llm-settings/core/testing';
import { describe, expect, it } from 'vitest';
import * as suites from '../src/index.js';

// Each concern of a suite runs on its own, with the options of the whole suite.
suites.describeSettingsStoreList({ name: 'list alone', create: () => createMemorySettingsStore() });
suites.describeSettingsStoreWatch({ name: 'watch alone', create: () => createMemorySettingsStore() });
suites.describeSecretCipherRejection({ name: 'rejection alone', create: () => createMemoryCipher({ keys: ['contract-current'] }) });
suites.describeUsageStoreRead({ name: 'read alone', create: () => createMemoryUsageStore() });
suites.describeModelListerFailures({
  name: 'failures alone',
  providers: ['anthropic', 'openai'],
  startFake: async () => createMemoryModelLister(),
  create: (fake) => fake,
});

describe('the suites by concern', () => {
  it('are each exported beside the whole suite', () => {
    const concerns = Object.keys(suites).filter((name) => /^describe\w+$/.test(name) && !name.endsWith('Contract'));
    expect(concerns.sort()).toEqual([
      'describeLoggerLevels',
      'describeLoggerRedaction',
      'describeModelListerDeadline',
      'describeModelListerFailures',
      'describeModelListerListing',
      'describeSecretCipherRejection',
      'describeSecretCipherRotation',
      'describeSecretCipherRoundTrip',
      'describeSecretCipherTime',
      'describeSettingsStoreFailures',
      'describeSettingsStoreHistory',
      'describeSettingsStoreList',
      'describeSettingsStoreSharedBackend',
      'describeSettingsStoreValues',
      'describeSettingsStoreWatch',
      'describeSettingsStoreWrites',
      'describeTokenVerifierIdentityProvider',
      'describeTokenVerifierRejection',
      'describeTokenVerifierRevocation',
      'describeTokenVerifierRotation',
      'describeTokenVerifierRoundTrip',
      'describeTokenVerifierTime',
      'describeUsageStoreAdd',
      'describeUsageStoreFailures',
      'describeUsageStoreRead',
      'describeUsageStoreSharedBackend',
    ]);
  });
});
