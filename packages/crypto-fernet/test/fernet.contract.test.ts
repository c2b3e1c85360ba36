import { describeSecretCipherContract } from '@llm-settings/contract-tests';
import { createFernetCipher, generateFernetKey } from '../src/index.js';

/** Every key made for the suites, which no refusal may show, as configured and as hex. */
const made: string[] = [];
const neverMention = () => made.flatMap((key) => [key, Buffer.from(key, 'base64url').toString('hex')]);
const newKey = () => {
  const key = generateFernetKey();
  made.push(key);
  return key;
};

/** One Fernet key per name, the same for the whole file. */
const keys = new Map<string, string>();
const keysNamed = (names: readonly string[]) =>
  names.map((name) => {
    if (!keys.has(name)) keys.set(name, newKey());
    return keys.get(name)!;
  });

describeSecretCipherContract({
  name: 'Fernet cipher',
  create: () => createFernetCipher({ keys: [newKey(), newKey()] }),
  createWithOtherKey: () => createFernetCipher({ keys: newKey() }),
  createWithKeys: (names) => createFernetCipher({ keys: keysNamed(names) }),
  neverMention,
});

describeSecretCipherContract({
  name: 'Fernet cipher with a TTL',
  create: () => createFernetCipher({ keys: newKey(), ttlSeconds: 3600 }),
  createWithOtherKey: () => createFernetCipher({ keys: newKey(), ttlSeconds: 3600 }),
  createWithKeys: (names) => createFernetCipher({ keys: keysNamed(names), ttlSeconds: 3600 }),
  neverMention,
  clock: {
    create: (now, names) => createFernetCipher({ keys: keysNamed(names), ttlSeconds: 3600, now: () => now().getTime() }),
    ttlSeconds: 3600,
    // The Fernet specification's clock skew, checked when a TTL is set.
    maxClockSkewSeconds: 60,
  },
});
