import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  confirmProviderEndpoint,
  ErrorCodes,
  LlmSettingsService,
  ModelSchema,
  openAiCompatible,
  PROVIDERS,
  ProviderRegistry,
  isLlmSettingsError,
  type ProviderRegistryOptions,
} from '../src/index.js';
import { createMemoryCipher, createMemoryModelLister, createMemorySettingsStore, createScriptedProbe, settingsKeyFor } from '../src/testing/index.js';
import { AZURE_OPENAI_MODELS, OPENAI_MODELS } from '../src/built-in-catalogues.js';

const ROUTER_KEY = 'sk-or-v1-REAL-KEY-abcdefgh12345678';

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  expect(isLlmSettingsError(error)).toBe(true);
  return error as { code: string; message: string };
}

function setUp() {
  const store = createMemorySettingsStore();
  const cipher = createMemoryCipher({ keys: ['key-a'] });
  const probe = createScriptedProbe();
  const serviceWith = (options: ProviderRegistryOptions) => new LlmSettingsService({ store, cipher, probe, providers: new ProviderRegistry(options) });
  return { store, cipher, probe, serviceWith };
}

describe('the provider registry', () => {
  it('has the ten built-ins, each with its dialect, its key header and a default model in its catalogue', () => {
    expect(PROVIDERS.map((p) => p.id)).toEqual(['anthropic', 'openai', 'openrouter', 'gemini', 'mistral', 'groq', 'deepseek', 'xai', 'azure-openai', 'ollama']);
    for (const p of PROVIDERS) {
      expect(p.dialect, p.id).toBe(p.id === 'anthropic' ? 'anthropic' : 'openai');
      expect(p.catalogue.some((m) => m.id === p.defaultModel), p.id).toBe(true);
    }
    expect(PROVIDERS.find((p) => p.id === 'azure-openai')).toMatchObject({ auth: 'api-key', defaultBaseUrl: null });
    expect(PROVIDERS.find((p) => p.id === 'ollama')).toMatchObject({ auth: 'none', keyRequired: false, defaultBaseUrl: 'http://127.0.0.1:11434/v1' });
  });

  it('enables anthropic and openai when configured with nothing', () => {
    expect(new ProviderRegistry().enabledIds).toEqual(['anthropic', 'openai']);
  });

  it('refuses an unknown id, a custom id that shadows a built-in, and Azure without its API root', () => {
    expect(() => new ProviderRegistry({ enabled: ['openai', 'nope'] })).toThrow(/unknown providers: nope/);
    const shadow = { ...PROVIDERS[1]!, id: 'openai' };
    expect(() => new ProviderRegistry({ custom: [shadow] })).toThrow(ConfigError);
    expect(() => new ProviderRegistry({ enabled: ['azure-openai'] })).toThrow(/AZURE_OPENAI_BASE_URL is required when azure-openai is enabled/);
    const azure = new ProviderRegistry({ enabled: ['azure-openai'], baseUrls: { 'azure-openai': 'https://res.openai.azure.com/openai/v1' } });
    expect(azure.baseUrl('azure-openai')).toBe('https://res.openai.azure.com/openai/v1');
  });

  it("has built-in default models and catalogues that pass the settings' model rule", () => {
    for (const p of PROVIDERS) {
      expect(ModelSchema.safeParse(p.defaultModel).success, `${p.id} default`).toBe(true);
      for (const model of p.catalogue) expect(ModelSchema.safeParse(model.id).success, `${p.id} ${model.id}`).toBe(true);
    }
  });

  it.each(['constructor', '__proto__'])('takes %s, a name every object has, as any other provider id', (id) => {
    const custom = openAiCompatible({ id, displayName: 'Odd', defaultBaseUrl: 'http://127.0.0.1:8000/v1', defaultModel: 'm', catalogue: [] });
    expect(new ProviderRegistry({ custom: [custom], baseUrls: { openai: 'https://gw.example/v1' } }).baseUrl(id)).toBe('http://127.0.0.1:8000/v1');
    // A computed key: the own property `__proto__`, as JSON.parse and Object.fromEntries make it.
    const moved = new ProviderRegistry({ custom: [custom], baseUrls: { [id]: 'http://127.0.0.1:9000/v1' } });
    expect(moved.baseUrl(id)).toBe('http://127.0.0.1:9000/v1');
    expect(moved.withBaseUrls({ openai: 'https://gw.example/v1' }).origin(id)).toBe('http://127.0.0.1:9000');
  });

  it('refuses an API root with a user name, password, query or fragment, naming the provider, never the root', () => {
    const roots = ['https://user:s3cret@gw.example/v1', 'https://:s3cret@gw.example/v1', 'https://gw.example/v1?key=s3cret', 'https://gw.example/v1?', 'https://gw.example/v1#s3cret'];
    for (const root of roots) {
      const custom = openAiCompatible({ id: 'gw', displayName: 'Gateway', defaultBaseUrl: root, defaultModel: 'm', catalogue: [] });
      for (const options of [{ baseUrls: { groq: root } }, { custom: [custom] }]) {
        const error = (() => {
          try {
            new ProviderRegistry(options);
          } catch (e) {
            return e as Error;
          }
        })();
        expect(error, root).toBeInstanceOf(ConfigError);
        expect(error?.message).toMatch(/^provider (groq|gw): its API root must not hold a user name, password, query or fragment$/);
      }
    }
    expect(() => new ProviderRegistry({ baseUrls: { openai: 'not a url' } })).toThrow('provider openai: its API root must be an http(s) URL');
  });
});

describe('api key length limits', () => {
  const gateway = openAiCompatible({
    id: 'gw',
    displayName: 'Team Gateway',
    defaultBaseUrl: 'https://gw.example/v1',
    defaultModel: 'm',
    catalogue: [{ id: 'm', displayName: 'm' }],
    apiKey: { minLength: 20, maxLength: 40 },
  });

  it("are each provider's: a key outside them is refused, naming the provider and the limit, never the key", async () => {
    const service = setUp().serviceWith({ enabled: ['openai', 'gw'], custom: [gateway] });
    const short = 'gw-key-0123456789ab';
    const long = `gw-key-${'z'.repeat(34)}`;
    for (const [key, rule] of [
      [short, 'api_key must be at least 20 characters for Team Gateway'],
      [long, 'api_key must be at most 40 characters for Team Gateway'],
    ] as const) {
      for (const attempt of [service.update({ provider: 'gw', api_key: key }), service.test({ candidate: { provider: 'gw', api_key: key } }), service.listCandidateModels({ provider: 'gw', api_key: key })]) {
        const refused = await codeOf(attempt);
        expect(refused.code).toBe(ErrorCodes.VALIDATION_INVALID_INPUT);
        expect(refused.message).toContain(rule);
        expect(refused.message).not.toContain(key);
        expect(refused.message).not.toContain(String(key.length));
      }
    }
    await expect(service.update({ provider: 'gw', api_key: `gw-key-${'z'.repeat(33)}` })).resolves.toBeDefined();
    // The same 41 characters are within OpenAI's limits.
    await expect(service.update({ provider: 'openai', api_key: long })).resolves.toBeDefined();
  });

  it('default to 1 to 512 for an OpenAI-compatible descriptor that gives none', () => {
    expect(openAiCompatible({ id: 'x', displayName: 'X', defaultBaseUrl: 'https://x.example/v1', defaultModel: 'm', catalogue: [] }).apiKey).toEqual({ minLength: 1, maxLength: 512 });
  });

  it('are refused at start when they admit no key', () => {
    for (const apiKey of [{ minLength: 0, maxLength: 10 }, { minLength: 10, maxLength: 9 }, { minLength: 1.5, maxLength: 10 }]) {
      expect(() => new ProviderRegistry({ custom: [{ ...gateway, apiKey }] }), JSON.stringify(apiKey)).toThrow(/provider gw: its API key length limits/);
    }
  });
});

describe('a service with the operator\'s providers', () => {
  it('accepts the enabled providers only, naming them', async () => {
    const service = setUp().serviceWith({ enabled: ['openrouter', 'ollama'] });
    const refused = await codeOf(service.update({ provider: 'anthropic', api_key: ROUTER_KEY }));
    expect(refused.code).toBe(ErrorCodes.VALIDATION_INVALID_INPUT);
    expect(refused.message).toContain('provider must be one of: openrouter, ollama');
    const saved = await service.update({ provider: 'openrouter', api_key: ROUTER_KEY });
    expect(saved.view).toMatchObject({ provider: 'openrouter', model: 'openai/gpt-4o', api_key_set: true, model_verified: true });
    expect(service.listProviders().providers.map((p) => [p.id, p.dialect, p.key_required])).toEqual([
      ['openrouter', 'openai', true],
      ['ollama', 'openai', false],
    ]);
  });

  it('shows the first enabled provider when nothing is stored', async () => {
    const { view } = await setUp().serviceWith({ enabled: ['mistral', 'openai'] }).get();
    expect(view).toMatchObject({ provider: 'mistral', model: 'mistral-large-latest', api_key_set: false });
  });

  it('saves a keyless provider without a key, and resolves it with an empty key', async () => {
    const service = setUp().serviceWith({ enabled: ['ollama'] });
    const saved = await service.update({ provider: 'ollama' });
    expect(saved.view).toMatchObject({ provider: 'ollama', api_key_set: false, api_key_masked: null });
    const resolved = await service.resolve();
    expect(resolved.apiKey.reveal()).toBe('');
  });

  it('tests and lists a keyless provider without a key, stored or not; a provider that takes one still needs it', async () => {
    const { store, cipher, probe } = setUp();
    const lister = createMemoryModelLister();
    lister.setKeyModels('ollama', '', ['llama3.2', 'qwen3']);
    const service = new LlmSettingsService({ store, cipher, probe, modelLister: lister, providers: new ProviderRegistry({ enabled: ['openai', 'ollama'] }) });
    expect((await service.test({ candidate: { provider: 'ollama', model: 'llama3.2' } })).success).toBe(true);
    expect(probe.calls.map((call) => [call.provider, call.apiKey, call.model])).toEqual([['ollama', '', 'llama3.2']]);
    expect((await service.listCandidateModels({ provider: 'ollama' })).models.map((m) => m.id)).toEqual(['llama3.2', 'qwen3']);
    expect(await service.listModels({ provider: 'ollama' })).toMatchObject({ source: 'live', models: [{ id: 'llama3.2' }, { id: 'qwen3' }] });
    for (const attempt of [service.test({ candidate: { provider: 'openai' } }), service.listCandidateModels({ provider: 'openai' })]) {
      const refused = await codeOf(attempt);
      expect(refused.code).toBe(ErrorCodes.VALIDATION_INVALID_INPUT);
      expect(refused.message).toContain('api_key is required for OpenAI');
    }
  });

  it('accepts any model for a host of others\' models (Azure OpenAI, a gateway), and still refuses a vendor\'s mix-up', async () => {
    const gateway = openAiCompatible({ id: 'team-gw', displayName: 'Team Gateway', defaultBaseUrl: 'https://gw.example/v1', defaultModel: 'm', catalogue: [] });
    const service = setUp().serviceWith({ enabled: ['openai', 'anthropic', 'azure-openai', 'team-gw'], custom: [gateway], baseUrls: { 'azure-openai': 'https://res.openai.azure.com/openai/v1' } });
    const azureModel = OPENAI_MODELS.find((model) => !AZURE_OPENAI_MODELS.some((listed) => listed.id === model.id))!.id;
    await expect(service.update({ provider: 'azure-openai', api_key: ROUTER_KEY, model: azureModel })).resolves.toBeDefined();
    await expect(service.update({ provider: 'team-gw', api_key: ROUTER_KEY, model: 'claude-sonnet-4-20250514' }, { scope: 'gw' })).resolves.toBeDefined();
    const refused = await codeOf(service.update({ provider: 'anthropic', api_key: ROUTER_KEY, model: 'gpt-4o' }, { scope: 'vendor' }));
    expect(refused.code).toBe(ErrorCodes.SETTINGS_MODEL_PROVIDER_MISMATCH);
  });

  it('accepts a model of another provider\'s catalogue when this provider\'s catalogue lists it too', async () => {
    const service = setUp().serviceWith({ enabled: ['openai', 'azure-openai'], baseUrls: { 'azure-openai': 'https://res.openai.azure.com/openai/v1' } });
    await expect(service.update({ provider: 'azure-openai', api_key: ROUTER_KEY, model: 'gpt-4o' })).resolves.toBeDefined();
  });

  it('keeps the settings of a provider disabled since, shows them as not enabled, and refuses to use them', async () => {
    const { store, serviceWith } = setUp();
    await serviceWith({ enabled: ['anthropic', 'openrouter'] }).update({ provider: 'openrouter', api_key: ROUTER_KEY }, { scope: 't1' });
    const later = serviceWith({ enabled: ['anthropic'] });
    const { view } = await later.get({ scope: 't1' });
    expect(view).toMatchObject({ provider: 'openrouter', api_key_set: true, provider_enabled: false });
    expect((await codeOf(later.resolve({ scope: 't1' }))).code).toBe(ErrorCodes.SETTINGS_PROVIDER_DISABLED);
    expect((await codeOf(later.test({ scope: 't1' }))).code).toBe(ErrorCodes.SETTINGS_PROVIDER_DISABLED);
    expect(await store.get(settingsKeyFor('t1'))).not.toBeNull();
  });
});

describe('a key bound to its endpoint', () => {
  const at = (root: string): ProviderRegistryOptions => ({ enabled: ['openrouter'], baseUrls: { openrouter: root } });

  it('is not used once the provider points at another origin, until the operator confirms the move', async () => {
    const { store, cipher, probe, serviceWith } = setUp();
    await serviceWith(at('https://gw-a.example/api/v1')).update({ provider: 'openrouter', api_key: ROUTER_KEY });
    const moved = serviceWith(at('https://gw-b.example/v1'));
    const refused = await codeOf(moved.resolve());
    expect(refused.code).toBe(ErrorCodes.SETTINGS_ENDPOINT_CHANGED);
    expect(refused.message).toContain('openrouter at https://gw-a.example');
    expect(refused.message).toContain('now configured at https://gw-b.example');
    expect(refused.message).not.toContain(ROUTER_KEY);
    expect((await codeOf(moved.test())).code).toBe(ErrorCodes.SETTINGS_ENDPOINT_CHANGED);
    expect((await codeOf(moved.listModels({ provider: 'openrouter' }))).code).toBe(ErrorCodes.SETTINGS_ENDPOINT_CHANGED);
    expect(probe.calls).toHaveLength(0);

    // Keeping the stored key does not carry it to the new origin.
    await moved.update({ provider: 'openrouter', model: 'openai/gpt-4o-mini' });
    expect((await codeOf(moved.resolve())).code).toBe(ErrorCodes.SETTINGS_ENDPOINT_CHANGED);

    const report = await confirmProviderEndpoint(store, cipher, moved.providers, 'openrouter');
    expect(report).toEqual({ origin: 'https://gw-b.example', total: 1, rebound: 1 });
    expect((await moved.resolve()).apiKey.reveal()).toBe(ROUTER_KEY);
  });

  it('confirmProviderEndpoint - refuses an unknown provider with a ConfigError naming the field, never what was passed (a pasted key)', async () => {
    const { store, cipher } = setUp();
    const pasted = 'sk-proj-PASTED-AS-PROVIDER-0123456789abcdef';
    const error = await confirmProviderEndpoint(store, cipher, new ProviderRegistry(), pasted).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('the provider to confirm is unknown; the known ones are the built-ins and those of LLM_PROVIDERS_FILE');
  });

  it('confirmProviderEndpoint - refuses a provider without an API root (Azure OpenAI without its variable) with a ConfigError naming the variable', async () => {
    const { store, cipher } = setUp();
    const error = await confirmProviderEndpoint(store, cipher, new ProviderRegistry(), 'azure-openai').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('provider azure-openai has no API root to bind its keys to: set AZURE_OPENAI_BASE_URL first');
  });

  it('moves with a path change on the same origin', async () => {
    const { serviceWith } = setUp();
    await serviceWith(at('https://gw-a.example/api/v1')).update({ provider: 'openrouter', api_key: ROUTER_KEY });
    await expect(serviceWith(at('https://gw-a.example/other/v1')).resolve()).resolves.toBeDefined();
  });

  it('is bound again when the key is saved again', async () => {
    const { serviceWith } = setUp();
    await serviceWith(at('https://gw-a.example/api/v1')).update({ provider: 'openrouter', api_key: ROUTER_KEY });
    const moved = serviceWith(at('https://gw-b.example/v1'));
    await moved.update({ provider: 'openrouter', api_key: ROUTER_KEY });
    await expect(moved.resolve()).resolves.toBeDefined();
  });

  it('binds a value saved before keys were bound at its first read, to the origin configured then', async () => {
    const { store, cipher, serviceWith } = setUp();
    const legacy = JSON.stringify({ provider: 'openrouter', model: 'openai/gpt-4o', api_key: ROUTER_KEY, scope: 'default' });
    await store.set(settingsKeyFor('default'), await cipher.encrypt(legacy));
    await expect(serviceWith(at('https://gw-a.example/api/v1')).resolve()).resolves.toBeDefined();
    const stored = JSON.parse(await cipher.decrypt((await store.get(settingsKeyFor('default')))!.value)) as { origin: string };
    expect(stored.origin).toBe('https://gw-a.example');
    expect((await codeOf(serviceWith(at('https://gw-b.example/v1')).resolve())).code).toBe(ErrorCodes.SETTINGS_ENDPOINT_CHANGED);
  });
});
