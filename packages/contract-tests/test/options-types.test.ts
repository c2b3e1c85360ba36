// Type tests, checked by `pnpm lint` (tsc): the options of each suite are typed by the
// adapter that `create` returns, so hooks can use the adapter's own methods.
import type { Logger, ProviderProbe, SecretCipher, SettingsStore } from '@llm-settings/core';
import { createFetchProbe, createMemoryCipher, createMemorySettingsStore } from '@llm-settings/core/testing';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  LoggerContractOptions,
  ProbeContractFake,
  ProviderProbeContractOptions,
  SecretCipherContractOptions,
  SettingsStoreContractOptions,
} from '../src/index.js';

/** The inference each describe…Contract function makes, without registering a suite. */
const storeOptions = <S extends SettingsStore>(options: SettingsStoreContractOptions<S>) => options;
const cipherOptions = <C extends SecretCipher>(options: SecretCipherContractOptions<C>) => options;
const probeOptions = <F extends ProbeContractFake, P extends ProviderProbe>(options: ProviderProbeContractOptions<F, P>) => options;
const loggerOptions = <L extends Logger>(options: LoggerContractOptions<L>) => options;

const clearableStore = () => Object.assign(createMemorySettingsStore(), { clearForTests: async () => undefined });
const cipherWithKeyId = () => Object.assign(createMemoryCipher(), { keyId: 'k1' });
const probeWithStats = () => Object.assign(createFetchProbe({ baseUrls: { anthropic: 'http://127.0.0.1', openai: 'http://127.0.0.1/v1' } }), { calls: 0 });

describe('contract options are generic over the adapter', () => {
  it('describeSettingsStoreContract - reset and teardown receive the store create made, with its own methods', () => {
    const options = storeOptions({ name: 'clearable', create: async () => clearableStore(), reset: (store) => store.clearForTests() });
    expectTypeOf(options.reset).parameter(0).toHaveProperty('clearForTests');
    expectTypeOf(options.teardown).exclude<undefined>().parameter(0).toEqualTypeOf<ReturnType<typeof clearableStore>>();
    // @ts-expect-error a method the store does not have
    storeOptions({ name: 'clearable', create: async () => clearableStore(), reset: (store) => store.dropEverything() });
  });

  it('describeSecretCipherContract - teardown and the ring hook are typed by the cipher', () => {
    const options = cipherOptions({ name: 'with key id', create: () => cipherWithKeyId(), teardown: (cipher) => void cipher.keyId });
    expectTypeOf(options.teardown).exclude<undefined>().parameter(0).toHaveProperty('keyId');
    // @ts-expect-error createWithKeys must build the same kind of cipher as create
    cipherOptions({ name: 'mixed', create: () => cipherWithKeyId(), createWithKeys: () => ({ encrypt: async () => '' }) });
  });

  it('describeProviderProbeContract - create returns the probe type the hooks share', () => {
    const options = probeOptions({
      name: 'with stats',
      providers: ['openai'],
      startFake: async () => ({ requests: [], setBehavior() {}, reset() {}, close: async () => undefined }),
      create: () => probeWithStats(),
    });
    expectTypeOf(options.create).returns.toMatchTypeOf<ReturnType<typeof probeWithStats> | Promise<ReturnType<typeof probeWithStats>>>();
  });

  it('describeLoggerContract - the logger under test keeps its type', () => {
    const options = loggerOptions({ name: 'silent', create: () => ({ logger: { ...console, level: 'debug' as const }, written: () => '', lines: () => [] }) });
    expectTypeOf(options.create).returns.resolves.toHaveProperty('logger').toHaveProperty('level');
  });
});
