import { describeSecretCipherContract } from '@llm-settings/contract-tests';
import { createFernetCipher, generateFernetKey } from '../src/index.js';

describeSecretCipherContract({
  name: 'Fernet cipher',
  create: () => createFernetCipher({ keys: [generateFernetKey(), generateFernetKey()] }),
  createWithOtherKey: () => createFernetCipher({ keys: generateFernetKey() }),
});

describeSecretCipherContract({
  name: 'Fernet cipher with a TTL',
  create: () => createFernetCipher({ keys: generateFernetKey(), ttlSeconds: 3600 }),
  createWithOtherKey: () => createFernetCipher({ keys: generateFernetKey(), ttlSeconds: 3600 }),
});
