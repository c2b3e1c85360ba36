import { describeSecretCipherContract } from '@llm-settings/contract-tests';
import { createFernetCipher, generateFernetKey } from '../src/index.js';

/** One Fernet key per name, the same for the whole file. */
const keys = new Map<string, string>();
const keysNamed = (names: readonly string[]) =>
  names.map((name) => {
    if (!keys.has(name)) keys.set(name, generateFernetKey());
    return keys.get(name)!;
  });

describeSecretCipherContract({
  name: 'Fernet cipher',
  create: () => createFernetCipher({ keys: [generateFernetKey(), generateFernetKey()] }),
  createWithOtherKey: () => createFernetCipher({ keys: generateFernetKey() }),
  createWithKeys: (names) => createFernetCipher({ keys: keysNamed(names) }),
});

describeSecretCipherContract({
  name: 'Fernet cipher with a TTL',
  create: () => createFernetCipher({ keys: generateFernetKey(), ttlSeconds: 3600 }),
  createWithOtherKey: () => createFernetCipher({ keys: generateFernetKey(), ttlSeconds: 3600 }),
  createWithKeys: (names) => createFernetCipher({ keys: keysNamed(names), ttlSeconds: 3600 }),
  clock: {
    create: (now, names) => createFernetCipher({ keys: keysNamed(names), ttlSeconds: 3600, now: () => now().getTime() }),
    ttlSeconds: 3600,
    // The Fernet specification's clock skew, checked when a TTL is set.
    maxClockSkewSeconds: 60,
  },
});
