import { beforeEach, describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  LlmModelListSchema,
  LlmSettingsService,
  catalogueModels,
  isLlmSettingsError,
  type Logger,
  type SettingsStore,
} from '../src/index.js';
import {
  createMemoryCipher,
  createMemoryModelLister,
  createMemorySettingsStore,
  createScriptedProbe,
  settingsKeyFor,
  type MemoryModelLister,
} from '../src/testing/index.js';

const ANTHROPIC_KEY = 'sk-ant-api03-LISTING-KEY-abcdefgh1234';
const OTHER_ANTHROPIC_KEY = 'sk-ant-api03-OTHER-KEY-zyxwvuts5678';
const OPENAI_KEY = 'sk-proj-LISTING-KEY-qrstuvwx9876';

describe('LlmSettingsService model lists', () => {
  let store: SettingsStore;
  let lister: MemoryModelLister;
  let logged: string[];
  let now: number;
  let service: LlmSettingsService;

  const make = (extra: Partial<ConstructorParameters<typeof LlmSettingsService>[0]> = {}) => {
    const logger: Logger = { debug: () => {}, info: (fields, message) => void logged.push(JSON.stringify({ fields, message })), warn: () => {}, error: () => {} };
    return new LlmSettingsService({
      store,
      cipher: createMemoryCipher({ keys: ['k'] }),
      probe: createScriptedProbe(),
      logger,
      modelLister: lister,
      modelListCache: { now: () => now },
      ...extra,
    });
  };

  beforeEach(() => {
    store = createMemorySettingsStore();
    lister = createMemoryModelLister();
    lister.setKeyModels('anthropic', ANTHROPIC_KEY, ['claude-sonnet-4-20250514', 'claude-live-only']);
    lister.setKeyModels('anthropic', OTHER_ANTHROPIC_KEY, ['claude-other-key-model']);
    lister.setKeyModels('openai', OPENAI_KEY, ['gpt-4o', 'gpt-live-only']);
    logged = [];
    now = 0;
    service = make();
  });

  it('gives the default provider’s catalogue when nothing is stored, and asks no provider', async () => {
    const list = await service.listModels();
    expect(LlmModelListSchema.parse(list)).toEqual(list);
    expect(list).toMatchObject({ provider: 'anthropic', source: 'catalogue', reason: 'no_stored_key' });
    expect(list.models.map((m) => m.id)).toEqual(catalogueModels('anthropic').map((m) => m.id));
    expect(list.models.filter((m) => m.default).map((m) => m.id)).toEqual(['claude-sonnet-4-20250514']);
    expect(lister.calls).toHaveLength(0);
  });

  it("lists the stored key's models live, for the stored provider by default", async () => {
    await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    const list = await service.listModels();
    expect(list).toEqual({
      provider: 'anthropic',
      source: 'live',
      models: [
        { id: 'claude-sonnet-4-20250514', display_name: 'Claude Sonnet 4', default: true },
        { id: 'claude-live-only', display_name: 'claude-live-only', default: false },
      ],
    });
    expect(lister.calls.map((c) => [c.provider, c.apiKey])).toEqual([['anthropic', ANTHROPIC_KEY]]);
  });

  it('asks the lister and the probe with the asking scope as the partition, so no call is shared across tenants', async () => {
    const probe = createScriptedProbe();
    service = make({ probe, modelListCache: false });
    await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { scope: 'team-3' });
    await service.update({ inherit_from: 'team-3' }, { scope: 'tenant-a' });
    await service.listModels({ scope: 'tenant-a' });
    await service.listCandidateModels({ provider: 'openai', api_key: OPENAI_KEY }, { scope: 'tenant-b' });
    await service.listCandidateModels({ provider: 'openai', api_key: OPENAI_KEY });
    expect(lister.calls.map((call) => call.partition)).toEqual(['tenant-a', 'tenant-b', 'default']);
    await service.test({ scope: 'tenant-a' });
    await service.test({ scope: 'tenant-c', candidate: { provider: 'openai', api_key: OPENAI_KEY } });
    expect(probe.calls.map((call) => call.partition)).toEqual(['tenant-a', 'tenant-c']);
  });

  it('never sends a key stored for one provider to the other: the other gets its catalogue', async () => {
    await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    const list = await service.listModels({ provider: 'openai' });
    expect(list).toMatchObject({ provider: 'openai', source: 'catalogue', reason: 'no_stored_key' });
    expect(list.models.map((m) => m.id)).toContain('gpt-4o');
    expect(lister.calls).toHaveLength(0);
  });

  it('refuses an unknown provider with a validation error', async () => {
    const error = await service.listModels({ provider: 'mistral' }).catch((e: unknown) => e);
    expect(isLlmSettingsError(error, ErrorCodes.VALIDATION_INVALID_INPUT)).toBe(true);
  });

  it('falls back to the catalogue with the refusal as reason when the provider refuses the stored key', async () => {
    await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    lister.setKeyBehavior('anthropic', ANTHROPIC_KEY, 'unauthorized');
    const list = await service.listModels();
    expect(list).toMatchObject({ provider: 'anthropic', source: 'catalogue', reason: 'invalid_api_key', message: expect.any(String) });
    expect(JSON.stringify(list)).not.toContain(ANTHROPIC_KEY);
  });

  it('keeps a live list until it expires, and does not keep a failure', async () => {
    await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    await service.listModels();
    await service.listModels();
    expect(lister.calls).toHaveLength(1);
    now += 300_000;
    await service.listModels();
    expect(lister.calls).toHaveLength(2);

    lister.setKeyBehavior('anthropic', ANTHROPIC_KEY, 'rate_limited');
    now += 300_000;
    expect((await service.listModels()).source).toBe('catalogue');
    lister.setKeyBehavior('anthropic', ANTHROPIC_KEY, null);
    expect((await service.listModels()).source).toBe('live');
    expect(lister.calls).toHaveLength(4);
  });

  it('lists anew after the settings change: a new key never gets the old key’s list', async () => {
    await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    expect((await service.listModels()).models.map((m) => m.id)).toContain('claude-live-only');
    await service.update({ provider: 'anthropic', api_key: OTHER_ANTHROPIC_KEY });
    expect((await service.listModels()).models.map((m) => m.id)).toEqual(['claude-other-key-model']);
    // Deleted and saved again: version 1 again, with the first key's list not served for it.
    await service.clear();
    await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    await service.clear();
    await service.update({ provider: 'anthropic', api_key: OTHER_ANTHROPIC_KEY });
    expect((await service.listModels()).models.map((m) => m.id)).toEqual(['claude-other-key-model']);
  });

  it("drops a scope's list when the store reports a change (another writer, same token)", async () => {
    await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    await service.listModels();
    // Rewriting the same token through the store: only the change feed can tell.
    const key = settingsKeyFor('default');
    const record = await store.get(key);
    expect(record).not.toBeNull();
    await store.set(key, record!.value);
    await service.listModels();
    expect(lister.calls).toHaveLength(2);
  });

  it("keeps scopes apart: one scope's key is never used for another", async () => {
    await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { scope: 'tenant-a' });
    await service.update({ provider: 'anthropic', api_key: OTHER_ANTHROPIC_KEY }, { scope: 'tenant-b' });
    expect((await service.listModels({ scope: 'tenant-a' })).models.map((m) => m.id)).toContain('claude-live-only');
    expect((await service.listModels({ scope: 'tenant-b' })).models.map((m) => m.id)).toEqual(['claude-other-key-model']);
    expect(await service.listModels({ scope: 'tenant-c' })).toMatchObject({ source: 'catalogue', reason: 'no_stored_key' });
    expect(lister.calls.map((c) => c.apiKey)).toEqual([ANTHROPIC_KEY, OTHER_ANTHROPIC_KEY]);
  });

  it('keeps at most maxEntries lists, and none with modelListCache: false', async () => {
    const small = make({ modelListCache: { maxEntries: 1, now: () => now } });
    await small.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { scope: 'one' });
    await small.update({ provider: 'anthropic', api_key: OTHER_ANTHROPIC_KEY }, { scope: 'two' });
    await small.listModels({ scope: 'one' });
    await small.listModels({ scope: 'two' });
    await small.listModels({ scope: 'two' });
    expect(lister.calls).toHaveLength(2);
    await small.listModels({ scope: 'one' });
    expect(lister.calls).toHaveLength(3);

    const uncached = make({ modelListCache: false });
    await uncached.listModels({ scope: 'one' });
    await uncached.listModels({ scope: 'one' });
    expect(lister.calls).toHaveLength(5);
  });

  it('serves a list larger than modelListCache.maxBytes live each time, without keeping it', async () => {
    const small = make({ modelListCache: { maxBytes: 4096, now: () => now } });
    const many = Array.from({ length: 100 }, (_, m) => `claude-listed-${m}`);
    lister.setKeyModels('anthropic', OTHER_ANTHROPIC_KEY, many);
    await small.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { scope: 'few' });
    await small.update({ provider: 'anthropic', api_key: OTHER_ANTHROPIC_KEY }, { scope: 'many' });
    for (let i = 0; i < 2; i++) {
      const list = await small.listModels({ scope: 'many' });
      expect(list.source).toBe('live');
      expect(list.models.map((m) => m.id)).toEqual(many);
      await small.listModels({ scope: 'few' });
    }
    // The big list was asked for each time; the small one once, kept beside it.
    expect(lister.calls.map((c) => c.apiKey)).toEqual([OTHER_ANTHROPIC_KEY, ANTHROPIC_KEY, OTHER_ANTHROPIC_KEY]);
  });

  it('lists a candidate key without storing or caching anything', async () => {
    const list = await service.listCandidateModels({ provider: 'openai', api_key: OPENAI_KEY });
    expect(list.source).toBe('live');
    expect(list.models).toEqual([
      { id: 'gpt-4o', display_name: 'GPT-4o', default: true },
      { id: 'gpt-live-only', display_name: 'gpt-live-only', default: false },
    ]);
    await service.listCandidateModels({ provider: 'openai', api_key: OPENAI_KEY });
    expect(lister.calls).toHaveLength(2);
    expect((await service.get()).view.api_key_set).toBe(false);
  });

  it('refuses a malformed candidate as a validation error, quoting no key', async () => {
    for (const candidate of [{ provider: 'openai' }, { provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4o' }, { provider: 'x', api_key: OPENAI_KEY }]) {
      const error = await service.listCandidateModels(candidate).catch((e: unknown) => e);
      expect(isLlmSettingsError(error, ErrorCodes.VALIDATION_INVALID_INPUT)).toBe(true);
      expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(OPENAI_KEY);
    }
    expect(lister.calls).toHaveLength(0);
  });

  it('gives the catalogue with reason listing_disabled without a lister', async () => {
    const plain = make({ modelLister: undefined });
    await plain.update({ provider: 'openai', api_key: OPENAI_KEY });
    expect(await plain.listModels()).toMatchObject({ provider: 'openai', source: 'catalogue', reason: 'listing_disabled' });
    expect(await plain.listCandidateModels({ provider: 'openai', api_key: OPENAI_KEY })).toMatchObject({ source: 'catalogue', reason: 'listing_disabled' });
  });

  it('passes the deadline and the caller’s signal to the lister', async () => {
    const controller = new AbortController();
    await service.listCandidateModels({ provider: 'openai', api_key: OPENAI_KEY }, { signal: controller.signal });
    expect(lister.calls[0]).toMatchObject({ timeoutMs: 10_000, signal: controller.signal });
  });

  it('logs lists without any key', async () => {
    await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    await service.listModels();
    await service.listCandidateModels({ provider: 'openai', api_key: OPENAI_KEY });
    expect(logged.filter((line) => line.includes('llm models listed'))).toHaveLength(2);
    for (const line of logged) {
      expect(line).not.toContain(ANTHROPIC_KEY);
      expect(line).not.toContain(OPENAI_KEY);
    }
  });
});

describe('LlmSettingsService model checks on save', () => {
  let service: LlmSettingsService;
  beforeEach(() => {
    service = new LlmSettingsService({ store: createMemorySettingsStore(), cipher: createMemoryCipher(), probe: createScriptedProbe() });
  });

  it('refuses a model the catalogue lists for the other provider, naming the right one', async () => {
    const error = await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY, model: 'gpt-4o' }).catch((e: unknown) => e);
    expect(isLlmSettingsError(error, ErrorCodes.SETTINGS_MODEL_PROVIDER_MISMATCH)).toBe(true);
    expect((error as Error).message).toContain('openai');
    expect((error as { issues: unknown }).issues).toEqual([{ path: 'model', message: expect.stringContaining('set provider to openai') }]);
    expect((await service.get()).view.api_key_set).toBe(false);
    const back = await service.update({ provider: 'openai', api_key: OPENAI_KEY, model: 'claude-3-5-haiku-latest' }).catch((e: unknown) => e);
    expect((back as Error).message).toContain('set provider to anthropic');
  });

  it('accepts an id no catalogue knows, and says it is unverified in every answer', async () => {
    const saved = await service.update({ provider: 'openai', api_key: OPENAI_KEY, model: 'my-gateway/llama-3.3-70b' });
    expect(saved.view).toMatchObject({ model: 'my-gateway/llama-3.3-70b', model_verified: false });
    expect((await service.get()).view.model_verified).toBe(false);
    expect((await service.update({ provider: 'openai', model: 'gpt-4.1' })).view.model_verified).toBe(true);
    expect((await service.get()).view.model_verified).toBe(true);
  });

  it('shows the defaults as verified', async () => {
    expect((await service.get()).view.model_verified).toBe(true);
    expect((await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY })).view.model_verified).toBe(true);
  });
});
