import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultModelFor } from '@llm-settings/core';
import { createModelLister, createProviderProbe, createSdkClient } from '@llm-settings/provider-probe';
import { fakeAnswerText, startFakeProvider, type FakeProvider, type FakeRequest } from '@llm-settings/fake-provider';
import { PROVIDER_IDS, askOnce, keyFor } from './helpers.js';

/** Everything the SDKs would read from the environment to pick a key, a host or extra headers. */
const SDK_VARIABLES = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_CUSTOM_HEADERS',
  'ANTHROPIC_LOG',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'OPENAI_ORG_ID',
  'OPENAI_PROJECT_ID',
  'OPENAI_LOG',
] as const;

const PUBLIC_MODEL_URLS = {
  anthropic: 'https://api.anthropic.com/v1/models/some-model',
  openai: 'https://api.openai.com/v1/models/some-model',
};

const PUBLIC_COMPLETION_URLS = {
  anthropic: 'https://api.anthropic.com/v1/messages',
  openai: 'https://api.openai.com/v1/chat/completions',
};

/**
 * Part of every value this file puts in the environment, the base URLs' paths included,
 * so that requests built from them can be told from other test files' requests: those can
 * reach the decoy or the fake when they take over a port another file's server had.
 */
const RUN = randomUUID();

let fake: FakeProvider;
let decoy: FakeProvider;
const saved = new Map<string, string | undefined>();

beforeAll(async () => {
  [fake, decoy] = await Promise.all([startFakeProvider(), startFakeProvider()]);
});

afterAll(async () => {
  await Promise.all([fake.close(), decoy.close()]);
});

beforeEach(() => {
  fake.reset();
  decoy.reset();
  for (const name of SDK_VARIABLES) saved.set(name, process.env[name]);
  Object.assign(process.env, {
    ANTHROPIC_API_KEY: `sk-ant-from-the-environment-${RUN}`,
    ANTHROPIC_AUTH_TOKEN: `token-from-the-environment-${RUN}`,
    ANTHROPIC_BASE_URL: `${decoy.baseUrls.anthropic}/environment-${RUN}`,
    ANTHROPIC_CUSTOM_HEADERS: `Authorization: Bearer sk-ant-from-custom-headers-${RUN}\nX-Api-Key: sk-ant-from-custom-headers-${RUN}`,
    ANTHROPIC_LOG: 'debug',
    OPENAI_API_KEY: `sk-proj-from-the-environment-${RUN}`,
    OPENAI_BASE_URL: `${decoy.baseUrls.openai}/environment-${RUN}`,
    OPENAI_ORG_ID: `org-from-the-environment-${RUN}`,
    OPENAI_PROJECT_ID: `proj_from_the_environment_${RUN}`,
    OPENAI_LOG: 'debug',
  });
});

afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe.each(PROVIDER_IDS)('environment variables with %s', (provider) => {
  it('probe - sends the given key to the configured base URL and nothing from the environment', async () => {
    const console = vi.spyOn(globalThis.console, 'debug');
    const apiKey = keyFor(provider);
    const outcome = await createProviderProbe({ baseUrls: fake.baseUrls }).probe({ provider, apiKey, model: defaultModelFor(provider) });

    expect(outcome.code).toBe('ok');
    expect(sentBy(decoy, apiKey)).toEqual([]);
    expect(sentBy(fake, apiKey)).toHaveLength(1);
    expectOnlyTheKey(sentBy(fake, apiKey)[0], apiKey);
    // ANTHROPIC_LOG / OPENAI_LOG=debug would make the SDK print requests and answers.
    expect(console).not.toHaveBeenCalled();
  });

  it('model lister - sends the given key to the configured base URL, every page, and nothing from the environment', async () => {
    const console = vi.spyOn(globalThis.console, 'debug');
    const apiKey = keyFor(provider);
    fake.setKeyModels(provider, apiKey, ['m-1', 'm-2', 'm-3']);
    const outcome = await createModelLister({ baseUrls: fake.baseUrls, pageSize: 2 }).listModels({ provider, apiKey });

    expect(outcome).toMatchObject({ code: 'ok', models: [{ id: 'm-1' }, { id: 'm-2' }, { id: 'm-3' }] });
    expect(sentBy(decoy, apiKey)).toEqual([]);
    // Anthropic pages (2 + 1), OpenAI answers its list at once.
    expect(sentBy(fake, apiKey)).toHaveLength(provider === 'anthropic' ? 2 : 1);
    for (const sent of sentBy(fake, apiKey)) expectOnlyTheKey(sent, apiKey);
    expect(console).not.toHaveBeenCalled();
  });

  it('createSdkClient - a completion sends the given key to the given base URL and nothing from the environment', async () => {
    const console = vi.spyOn(globalThis.console, 'debug');
    const apiKey = keyFor(provider);
    const model = defaultModelFor(provider);
    const sdk = await createSdkClient({ provider, apiKey, baseUrl: fake.baseUrls[provider] });

    expect(await askOnce(sdk, model)).toBe(fakeAnswerText(model, 1));
    expect(sentBy(decoy, apiKey)).toEqual([]);
    expect(sentBy(fake, apiKey)).toHaveLength(1);
    expectOnlyTheKey(sentBy(fake, apiKey)[0], apiKey);
    expect(console).not.toHaveBeenCalled();
  });

  it("createSdkClient - without a base URL, goes to the provider's public URL, not the environment's", async () => {
    const urls: string[] = [];
    vi.stubGlobal('fetch', async (input: string | URL | Request) => {
      urls.push(String(input instanceof Request ? input.url : input));
      // Enough of a message and of a chat completion for either SDK.
      const body = { content: [{ type: 'text', text: 'hi' }], choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }] };
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    });
    const apiKey = keyFor(provider);
    const sdk = await createSdkClient({ provider, apiKey });

    expect(await askOnce(sdk, 'some-model')).toBe('hi');
    expect(urls).toEqual([PUBLIC_COMPLETION_URLS[provider]]);
    expect(sentBy(decoy, apiKey)).toEqual([]);
  });

  it("probe - without a configured base URL, goes to the provider's public URL, not the environment's", async () => {
    const urls: string[] = [];
    vi.stubGlobal('fetch', async (input: string | URL | Request) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return new Response('{"id":"m"}', { status: 200, headers: { 'content-type': 'application/json' } });
    });
    const apiKey = keyFor(provider);
    const outcome = await createProviderProbe().probe({ provider, apiKey, model: 'some-model' });

    expect(outcome.code).toBe('ok');
    expect(urls).toEqual([PUBLIC_MODEL_URLS[provider]]);
    expect(sentBy(decoy, apiKey)).toEqual([]);
  });
});

/**
 * The requests `server` got from this test: those to a URL of the environment or carrying
 * anything of it or `apiKey` (the test's own, random). That is all of them: the decoy's
 * only URLs here are the environment's, and a request to the fake without either key
 * would be refused (401), failing the test anyway. Any other request came from another
 * test file, to a port `server` took over.
 */
function sentBy(server: FakeProvider, apiKey: string): FakeRequest[] {
  return server.requestsCarrying(RUN, apiKey);
}

/** The request carried `apiKey` in every credential header, and nothing the environment set. */
function expectOnlyTheKey(sent: FakeRequest | undefined, apiKey: string): void {
  expect(sent?.apiKey).toBe(apiKey);
  const headers = sent?.headers ?? {};
  for (const name of ['authorization', 'x-api-key']) {
    if (headers[name] !== undefined) expect([apiKey, `Bearer ${apiKey}`]).toContain(headers[name]);
  }
  expect(JSON.stringify(headers)).not.toContain(RUN);
  expect(headers).not.toHaveProperty('openai-organization');
  expect(headers).not.toHaveProperty('openai-project');
}
