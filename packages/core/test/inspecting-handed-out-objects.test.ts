import { inspect, type InspectOptions } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROVIDER_REGISTRY,
  LlmSettingsService,
  ProviderRegistry,
  TokenRevocations,
  UsageMeter,
  confirmProviderEndpoint,
  rotateStoredSecrets,
} from '../src/index.js';
import { createMemoryCipher, createMemoryModelLister, createMemorySettingsStore, createMemoryUsageStore, createScriptedProbe } from '../src/testing/index.js';

const ANTHROPIC_KEY = 'sk-ant-api03-INSPECT-KEY-abcdefgh1234';
const OPENAI_KEY = 'sk-proj-INSPECT-KEY-qrstuvwx9876';

/**
 * An inspection that runs every getter it reaches, hidden properties included: zod 4.6's lazy
 * internals live as accessors on prototypes every schema shares, and running one there, on
 * the prototype itself, breaks every schema of its kind in the process.
 */
const EVERYTHING: InspectOptions = { showHidden: true, getters: true, depth: Infinity };

function newService(): LlmSettingsService {
  return new LlmSettingsService({
    store: createMemorySettingsStore(),
    cipher: createMemoryCipher({ keys: ['inspect'] }),
    probe: createScriptedProbe(),
    modelLister: createMemoryModelLister({ models: { anthropic: ['claude-x'] } }),
    viewCache: true,
  });
}

/** The service and everything its calls answer or throw, once each call has filled its caches. */
async function handedOut(service: LlmSettingsService): Promise<Record<string, unknown>> {
  await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { scope: 'tenant-a' });
  await service.update({ inherit_from: 'tenant-a' }, { scope: 'tenant-b' });
  const refused = await service.update({ provider: 'nobody' }).catch((error: unknown) => error);
  return {
    service,
    registry: service.providers,
    defaultRegistry: DEFAULT_PROVIDER_REGISTRY,
    snapshot: await service.get({ scope: 'tenant-b' }),
    resolved: await service.resolve({ scope: 'tenant-a' }),
    history: await service.history({ scope: 'tenant-a' }),
    tested: await service.test({ scope: 'tenant-a' }),
    models: await service.listModels({ scope: 'tenant-a' }),
    candidateModels: await service.listCandidateModels({ provider: 'openai', api_key: OPENAI_KEY }),
    providers: service.listProviders(),
    refused,
  };
}

/** Works as before: an update (the update schema), a candidate's test (its own schema), a page of history (the query's). */
async function expectWorking(service: LlmSettingsService): Promise<void> {
  await expect(service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { scope: 'tenant-c' })).resolves.toMatchObject({ version: 1 });
  await expect(service.test({ candidate: { provider: 'openai', api_key: OPENAI_KEY } })).resolves.toMatchObject({ code: 'ok' });
  await expect(service.history({ scope: 'tenant-c', limit: 5 })).resolves.toMatchObject({ entries: [{ action: 'update' }] });
  await expect(service.listCandidateModels({ provider: 'anthropic', api_key: ANTHROPIC_KEY })).resolves.toMatchObject({ source: 'live' });
}

describe('inspecting what the API hands out, getters and hidden properties included', () => {
  it('reaches no zod schema', async () => {
    const store = createMemorySettingsStore();
    const cipher = createMemoryCipher({ keys: ['inspect'] });
    const meter = new UsageMeter({ store: createMemoryUsageStore(), flushMs: 3_600_000 });
    const revocations = new TokenRevocations(store, cipher);
    await revocations.revoke('tenant-a');
    const objects = {
      ...(await handedOut(newService())),
      revocations,
      meter,
      usage: await meter.read({ from: '2026-01-01', to: '2026-01-02' }),
      rotation: await rotateStoredSecrets(store, cipher),
      confirmation: await confirmProviderEndpoint(store, cipher, new ProviderRegistry(), 'anthropic'),
    };
    // A schema shows its internals as `_zod`; nothing else we hand out is called so.
    const leadingToASchema = Object.entries(objects).filter(([, object]) => inspect(object, EVERYTHING).includes('_zod'));
    expect(leadingToASchema.map(([name]) => name)).toEqual([]);
    await meter.close();
  });

  it('twice, leaves the service, and a service made afterwards, validating input', async () => {
    const service = newService();
    const objects = await handedOut(service);
    for (let time = 0; time < 2; time++) for (const object of Object.values(objects)) inspect(object, EVERYTHING);
    await expectWorking(service);
    await expectWorking(newService());
  });
});
