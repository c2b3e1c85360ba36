import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROVIDER_REGISTRY,
  ErrorCodes,
  LlmSettingsService,
  TokenRevocations,
  UsageMeter,
  ValidationError,
  confirmProviderEndpoint,
  rotateStoredSecrets,
} from '../src/index.js';
import { createMemoryCipher, createMemorySettingsStore, createMemoryUsageStore, createScriptedProbe } from '../src/testing/index.js';

const ANTHROPIC_KEY = 'sk-ant-api03-OPTIONS-KEY-abcdefgh1234';

/** What a caller without types may pass where an options object goes: a scope name alone among them. */
const NOT_OPTIONS: unknown[] = [null, 'tenant-a', 5, true, [], () => ({ scope: 'tenant-a' })];

function setUp() {
  const store = createMemorySettingsStore();
  const cipher = createMemoryCipher({ keys: ['options'] });
  const service = new LlmSettingsService({ store, cipher, probe: createScriptedProbe() });
  const meter = new UsageMeter({ store: createMemoryUsageStore(), flushMs: 3_600_000 });
  const revocations = new TokenRevocations(store, cipher);
  const candidate = { provider: 'anthropic', api_key: ANTHROPIC_KEY };
  // Every public call that takes options, as an untyped caller (JavaScript, JSON) would make it.
  const calls: Record<string, (options: unknown) => Promise<unknown>> = {
    get: (options) => service.get(options as never),
    resolve: (options) => service.resolve(options as never),
    update: (options) => service.update(candidate, options as never),
    history: (options) => service.history(options as never),
    listModels: (options) => service.listModels(options as never),
    listCandidateModels: (options) => service.listCandidateModels(candidate, options as never),
    clear: (options) => service.clear(options as never),
    test: (options) => service.test(options as never),
    'UsageMeter.read': (options) => meter.read(options as never),
    rotateStoredSecrets: (options) => rotateStoredSecrets(store, cipher, options as never),
    confirmProviderEndpoint: (options) => confirmProviderEndpoint(store, cipher, DEFAULT_PROVIDER_REGISTRY, 'anthropic', options as never),
    'TokenRevocations.revoke': (options) => revocations.revoke('tenant-a', options as never),
  };
  return { service, meter, calls };
}

describe('an options argument that is not an object', () => {
  it('is refused by every public call with a ValidationError naming the argument, never a TypeError', async () => {
    const { calls, meter, service } = setUp();
    for (const [name, call] of Object.entries(calls)) {
      for (const options of NOT_OPTIONS) {
        const error = await call(options).then(
          () => new Error(`${name}(${String(options)}) succeeded`),
          (e: unknown) => e,
        );
        expect(error, `${name}(${String(options)})`).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).code).toBe(ErrorCodes.VALIDATION_INVALID_INPUT);
        expect((error as ValidationError).message).toBe('Invalid request: options must be an object');
        expect((error as ValidationError).issues).toEqual([{ path: 'options', message: 'options must be an object' }]);
      }
    }
    // Refused before anything was written: a scope name passed alone did not mean the default scope.
    expect((await service.history()).entries).toEqual([]);
    await meter.close();
  });

  it('undefined is no options: the default scope, the default actor', async () => {
    const { calls, meter, service } = setUp();
    await calls.update!(undefined);
    expect((await calls.get!(undefined)) as object).toMatchObject({ view: { api_key_set: true } });
    await expect(calls.resolve!(undefined)).resolves.toMatchObject({ provider: 'anthropic' });
    await expect(calls.test!(undefined)).resolves.toMatchObject({ code: 'ok' });
    await expect(calls.listModels!(undefined)).resolves.toMatchObject({ provider: 'anthropic' });
    await expect(calls.listCandidateModels!(undefined)).resolves.toMatchObject({ provider: 'anthropic' });
    await expect(calls.rotateStoredSecrets!(undefined)).resolves.toMatchObject({ total: 1 });
    await expect(calls.confirmProviderEndpoint!(undefined)).resolves.toMatchObject({ total: 1 });
    await expect(calls['TokenRevocations.revoke']!(undefined)).resolves.toBeInstanceOf(Date);
    await calls.clear!(undefined);
    const { entries } = await service.history();
    expect(entries.map(({ action, actor }) => `${action} by ${actor}`)).toEqual(['delete by embedded', 'update by embedded']);
    // Usage needs its dates: without options they are missing, and named.
    await expect(calls['UsageMeter.read']!(undefined)).rejects.toMatchObject({ code: ErrorCodes.VALIDATION_INVALID_INPUT, issues: [{ path: 'from' }] });
    await meter.close();
  });
});
