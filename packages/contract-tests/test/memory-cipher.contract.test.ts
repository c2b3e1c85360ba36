import { createMemoryCipher } from '@llm-settings/core/testing';
import { describeSecretCipherContract } from '../src/index.js';

describeSecretCipherContract({
  name: 'core memory cipher',
  create: () => createMemoryCipher({ keys: ['contract-current', 'contract-previous'] }),
  createWithOtherKey: () => createMemoryCipher({ keys: ['contract-other'] }),
  // Passphrases are the keys: a name makes the same key each time.
  createWithKeys: (names) => createMemoryCipher({ keys: names.map((name) => `contract-key-${name}`) }),
});
