import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes, isLlmSettingsError } from '@llm-settings/core';
import { createModelLister, MAX_LISTED_MODELS } from '@llm-settings/provider-probe';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { captureLogger, closedPort, keyFor, keyRunsIn, startWebPage } from './helpers.js';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe('createModelLister', () => {
  it('gives Anthropic display names, and OpenAI models none', async () => {
    const lister = createModelLister({ baseUrls: fake.baseUrls });
    const anthropicKey = keyFor('anthropic');
    fake.setKeyModels('anthropic', anthropicKey, ['claude-opus-4-1-20250805']);
    expect(await lister.listModels({ provider: 'anthropic', apiKey: anthropicKey })).toMatchObject({
      code: 'ok',
      models: [{ id: 'claude-opus-4-1-20250805', displayName: 'Claude Opus 4 1' }],
    });
    const openAiKey = keyFor('openai');
    fake.setKeyModels('openai', openAiKey, ['gpt-4.1']);
    expect(await lister.listModels({ provider: 'openai', apiKey: openAiKey })).toMatchObject({ code: 'ok', models: [{ id: 'gpt-4.1', displayName: null }] });
  });

  it('leaves out ids a setting would refuse or that look like a key, and lists each id once', async () => {
    const apiKey = keyFor('openai');
    const keyLike = `sk-proj-${'a1B2'.repeat(10)}`;
    fake.setKeyModels('openai', apiKey, ['gpt-4o', keyLike, 'has space', 'x'.repeat(257), 'gpt-4o-mini']);
    const outcome = await createModelLister({ baseUrls: fake.baseUrls }).listModels({ provider: 'openai', apiKey });
    expect(outcome.code === 'ok' && outcome.models.map((m) => m.id)).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });

  it(`stops after ${MAX_LISTED_MODELS} models`, async () => {
    const apiKey = keyFor('anthropic');
    fake.setKeyModels('anthropic', apiKey, Array.from({ length: MAX_LISTED_MODELS + 5 }, (_, i) => `claude-many-${i}`));
    const outcome = await createModelLister({ baseUrls: fake.baseUrls, pageSize: 1000 }).listModels({ provider: 'anthropic', apiKey });
    expect(outcome.code === 'ok' && outcome.models.length).toBe(MAX_LISTED_MODELS);
    // Two pages of 1000 reach the limit: the third is never asked for.
    expect(fake.requestCount('anthropic')).toBe(2);
  });

  it("the fake's per-key lists end with reset(), and null gives the key the provider's list again", async () => {
    const lister = createModelLister({ baseUrls: fake.baseUrls });
    const apiKey = keyFor('openai');
    const listed = async () => {
      const outcome = await lister.listModels({ provider: 'openai', apiKey });
      return outcome.code === 'ok' ? outcome.models.map((m) => m.id) : outcome.code;
    };
    const providerList = await listed();
    fake.setKeyModels('openai', apiKey, ['gpt-only-for-this-key']);
    expect(await listed()).toEqual(['gpt-only-for-this-key']);
    fake.setKeyModels('openai', apiKey, null);
    expect(await listed()).toEqual(providerList);
    fake.setKeyModels('openai', apiKey, ['gpt-only-for-this-key']);
    fake.reset();
    expect(await listed()).toEqual(providerList);
    expect(providerList).toContain('gpt-4o');
  });

  it('follows no redirect: the key never reaches the redirect target', async () => {
    const apiKey = keyFor('anthropic');
    fake.setKeyBehavior('anthropic', apiKey, 'redirect');
    const outcome = await createModelLister({ baseUrls: fake.baseUrls }).listModels({ provider: 'anthropic', apiKey });
    expect(outcome.code).toBe('provider_unavailable');
    expect(fake.requests.filter((r) => r.redirected)).toEqual([]);
  });

  it('reports a provider that cannot be reached as network_error, logging its system code only', async () => {
    const { logger, lines } = captureLogger();
    const lister = createModelLister({ baseUrls: { openai: `http://127.0.0.1:${await closedPort()}/v1` }, logger });
    const outcome = await lister.listModels({ provider: 'openai', apiKey: keyFor('openai') });
    expect(outcome).toMatchObject({ code: 'network_error', message: 'Could not connect to OpenAI.' });
    expect(lines.filter((line) => line.level === 'warn')).toEqual([
      { level: 'warn', fields: { provider: 'openai', reason: 'ECONNREFUSED' }, message: 'model listing could not reach the provider' },
    ]);
  });

  it.each(['anthropic', 'openai'] as const)('reports a 200 web page at %s\'s base URL as provider_unavailable, not as an empty live list', async (provider) => {
    const page = await startWebPage();
    try {
      const lister = createModelLister({ baseUrls: { [provider]: provider === 'anthropic' ? page.url : `${page.url}/v1` } });
      const outcome = await lister.listModels({ provider, apiKey: keyFor(provider) });
      expect(outcome).toMatchObject({ code: 'provider_unavailable', message: expect.stringContaining('but not as its API does') });
    } finally {
      await page.close();
    }
  });

  it('beyond maxInFlight distinct listings throws ProbeBusyError; an identical listing joins the running one', async () => {
    const lister = createModelLister({ baseUrls: fake.baseUrls, maxInFlight: 1 });
    const apiKey = keyFor('openai');
    fake.setKeyBehavior('openai', apiKey, 'hang');
    const controller = new AbortController();
    const running = [lister.listModels({ provider: 'openai', apiKey, signal: controller.signal })];
    running.push(lister.listModels({ provider: 'openai', apiKey, signal: controller.signal }));
    const busy = await lister.listModels({ provider: 'openai', apiKey: keyFor('openai') }).catch((e: unknown) => e);
    expect(isLlmSettingsError(busy, ErrorCodes.PROBE_BUSY)).toBe(true);
    await vi.waitFor(() => expect(fake.requestCount('openai')).toBe(1));
    controller.abort();
    expect((await Promise.all(running)).map((o) => o.code)).toEqual(['timeout', 'timeout']);
    expect(fake.requestCount('openai')).toBe(1);
  });

  it('logs one debug line without the key or any model id', async () => {
    const { logger, lines } = captureLogger();
    const apiKey = keyFor('anthropic');
    fake.setKeyModels('anthropic', apiKey, ['claude-secret-project-model']);
    await createModelLister({ baseUrls: fake.baseUrls, logger }).listModels({ provider: 'anthropic', apiKey });
    fake.setKeyBehavior('anthropic', apiKey, 'unauthorized');
    const refused = await createModelLister({ baseUrls: fake.baseUrls, logger }).listModels({ provider: 'anthropic', apiKey });
    expect(lines.map((l) => l.fields)).toEqual([
      { provider: 'anthropic', code: 'ok', models: 1, latency_ms: expect.any(Number) },
      { provider: 'anthropic', code: 'invalid_api_key', models: null, latency_ms: expect.any(Number) },
    ]);
    expect(keyRunsIn(JSON.stringify([lines, refused]), apiKey)).toEqual([]);
    expect(JSON.stringify(lines)).not.toContain('claude-secret-project-model');
  });

  it.each([
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ maxInFlight: 0 }, 'maxInFlight'],
    [{ pageSize: 2.5 }, 'pageSize'],
    [{ baseUrls: { openai: 'ftp://user:s3cret@example.com/v1' } }, 'baseUrls.openai'],
    [{ baseUrls: { openai: 'https://user:s3cret@example.com/v1' } }, 'baseUrls.openai'],
    [{ baseUrls: { anthropic: 'https://example.com?s3cret' } }, 'baseUrls.anthropic'],
    [{ baseUrls: { openai: 'https://example.com/v1#s3cret' } }, 'baseUrls.openai'],
  ])('createModelLister(%j) throws a ConfigError naming %s and not the value', (options, option) => {
    let error: unknown;
    try {
      createModelLister(options);
    } catch (e) {
      error = e;
    }
    expect(isLlmSettingsError(error, ErrorCodes.CONFIG_INVALID)).toBe(true);
    expect((error as Error).message).toContain(option);
    expect((error as Error).message).not.toMatch(/s3cret|ftp/);
  });
});
