import { inspect } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, Secret, defaultModelFor, isLlmSettingsError } from '@llm-settings/core';
import { DEFAULT_BASE_URLS, OriginRefusedError, createSdkClient, type SdkClientOptions } from '@llm-settings/provider-probe';
import { fakeAnswerText, startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { PROVIDER_IDS, askOnce, credentialHeaders, keyFor } from './helpers.js';

let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
});

describe('createSdkClient', () => {
  it('anthropic - messages.create through the client sends the key, and only it, and parses the message', async () => {
    const apiKey = keyFor('anthropic');
    const model = defaultModelFor('anthropic');
    const { provider, client } = await createSdkClient({ provider: 'anthropic', apiKey, baseUrl: fake.baseUrls.anthropic });
    expect(provider).toBe('anthropic');
    expect(client).toBeInstanceOf(Anthropic);

    const message = await client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] });
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model, stop_reason: 'end_turn' });
    expect(message.content).toEqual([{ type: 'text', text: fakeAnswerText(model, 1), citations: null }]);
    expect(message._request_id).toMatch(/^req_/);
    expect(fake.requests).toHaveLength(1);
    const [sent] = fake.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/messages', apiKey });
    expect(sent?.body).toEqual({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] });
    expect(sentKeys(sent?.headers ?? {})).toEqual([apiKey]);
  });

  it('openai - chat.completions.create through the client sends the key, and only it, and parses the completion', async () => {
    const apiKey = keyFor('openai');
    const model = defaultModelFor('openai');
    const { provider, client } = await createSdkClient({ provider: 'openai', apiKey, baseUrl: fake.baseUrls.openai });
    expect(provider).toBe('openai');
    expect(client).toBeInstanceOf(OpenAI);

    const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello' }] });
    expect(completion).toMatchObject({ object: 'chat.completion', model });
    expect(completion.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant', content: fakeAnswerText(model, 1) } });
    expect(completion._request_id).toMatch(/^req_/);
    const [sent] = fake.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/chat/completions', apiKey, body: { model } });
    expect(sentKeys(sent?.headers ?? {})).toEqual([apiKey]);
  });

  it.each(PROVIDER_IDS)('%s - takes the key as a Secret, holds a placeholder in its place, and sends the key', async (provider) => {
    const apiKey = keyFor(provider);
    const sdk = await createSdkClient({ provider, apiKey: new Secret(apiKey), baseUrl: fake.baseUrls[provider] });
    expect(sdk.client.apiKey).not.toBe(apiKey);
    expect(inspect(sdk, { depth: Infinity, showHidden: true })).not.toContain(apiKey.slice(-12, -4));
    expect(await askOnce(sdk, defaultModelFor(provider))).toBe(fakeAnswerText(defaultModelFor(provider), 1));
    expect(sentKeys(fake.requests[0]?.headers ?? {})).toEqual([apiKey]);
  });

  it.each(PROVIDER_IDS)('%s - narrows on `provider` for a provider known only at run time', async (provider) => {
    const sdk = await createSdkClient({ provider, apiKey: keyFor(provider), baseUrl: fake.baseUrls[provider] });
    expect(sdk.provider).toBe(provider);
    expect(await askOnce(sdk, defaultModelFor(provider))).toBe(fakeAnswerText(defaultModelFor(provider), 1));
  });

  it.each(PROVIDER_IDS)("%s - without options, uses the provider's public URL, a 10-minute timeout and the SDK's retries", async (provider) => {
    const { client } = await createSdkClient({ provider, apiKey: keyFor(provider) });
    expect(client.baseURL).toBe(DEFAULT_BASE_URLS[provider]);
    expect(client.timeout).toBe(600_000);
    expect(client.maxRetries).toBe(2);
  });

  it.each(PROVIDER_IDS)('%s - applies timeoutMs and maxRetries', async (provider) => {
    const sdk = await createSdkClient({ provider, apiKey: keyFor(provider), baseUrl: fake.baseUrls[provider], timeoutMs: 1234, maxRetries: 0 });
    expect(sdk.client.timeout).toBe(1234);
    expect(sdk.client.maxRetries).toBe(0);
    fake.setBehavior(provider, 'server_error');
    await expect(askOnce(sdk, defaultModelFor(provider))).rejects.toMatchObject({ status: 500 });
    expect(fake.requestCount(provider)).toBe(1);
  });

  it.each(PROVIDER_IDS)('%s - does not follow a redirect: the SDK gets one 502 it does not retry', async (provider) => {
    fake.setBehavior(provider, 'redirect');
    const sdk = await createSdkClient({ provider, apiKey: keyFor(provider), baseUrl: fake.baseUrls[provider] });
    const error = await askOnce(sdk, defaultModelFor(provider)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf({ anthropic: Anthropic, openai: OpenAI }[provider].APIError);
    expect(error).toMatchObject({ status: 502, message: expect.stringMatching(/redirects are not followed/) });
    expect(fake.requestCount(provider)).toBe(1);
    expect(fake.requests.filter((r) => r.redirected)).toHaveLength(0);
  });

  it.each(PROVIDER_IDS)('%s - sends nothing to another origin: a baseURL changed with withOptions, an absolute URL, the fetch itself fail unsent', async (provider) => {
    const other = await startFakeProvider();
    try {
      const apiKey = keyFor(provider);
      const sdk = await createSdkClient({ provider, apiKey, baseUrl: fake.baseUrls[provider], maxRetries: 0 });
      const elsewhere = other.baseUrls[provider];
      const client = sdk.client as Anthropic | OpenAI;
      const attempts: Array<[string, () => Promise<unknown>]> = [
        ['withOptions', async () => client.withOptions({ baseURL: elsewhere }).models.list()],
        ['an absolute URL', async () => client.get(`${elsewhere}/models`)],
      ];
      for (const [label, attempt] of attempts) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error, label).toBeInstanceOf({ anthropic: Anthropic, openai: OpenAI }[provider].APIConnectionError);
        expect((error as Error).cause, label).toBeInstanceOf(OriginRefusedError);
      }
      // The fetch the client keeps (not in its types, there at run time) is the guarded one.
      const kept = (client as unknown as { fetch: typeof fetch }).fetch;
      await expect(kept(`${elsewhere}/models`, {})).rejects.toBeInstanceOf(OriginRefusedError);
      expect(other.requests).toEqual([]);
      // The provider's own origin is still reached, with the key.
      await askOnce(sdk, defaultModelFor(provider));
      expect(fake.requests.map((r) => r.apiKey)).toEqual([apiKey]);
    } finally {
      await other.close();
    }
  });

  it("anthropic - without timeoutMs, the SDK still refuses a non-streamed call that could outlast its timeout; with it, sends it", async () => {
    const model = defaultModelFor('anthropic');
    const request = { model, max_tokens: 100_000, messages: [{ role: 'user' as const, content: 'Hello' }] };
    const apiKey = keyFor('anthropic');
    const { client } = await createSdkClient({ provider: 'anthropic', apiKey, baseUrl: fake.baseUrls.anthropic });
    // Thrown at once, not as a rejection: the SDK checks before it sends anything.
    expect(() => client.messages.create(request)).toThrow(/Streaming is required/);
    // By its key: another test file's requests can reach a port the fake took over.
    expect(fake.requestsCarrying(apiKey)).toEqual([]);

    const timed = await createSdkClient({ provider: 'anthropic', apiKey: keyFor('anthropic'), baseUrl: fake.baseUrls.anthropic, timeoutMs: 600_000 });
    expect((await timed.client.messages.create(request)).stop_reason).toBe('end_turn');
  });

  it.each<[Partial<SdkClientOptions>, string]>([
    [{ provider: 'mistral' as 'openai' }, 'provider'],
    [{ apiKey: '' }, 'apiKey'],
    [{ baseUrl: 'ftp://user:s3cret@example.com/v1' }, 'baseUrl'],
    [{ baseUrl: 'not a url' }, 'baseUrl'],
    [{ baseUrl: 'https://user:s3cret@example.com/v1' }, 'baseUrl'],
    [{ baseUrl: 'https://example.com/v1?api-version=s3cret' }, 'baseUrl'],
    [{ baseUrl: 'https://example.com/v1#s3cret' }, 'baseUrl'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ timeoutMs: Number.NaN }, 'timeoutMs'],
    [{ maxRetries: -1 }, 'maxRetries'],
    [{ maxRetries: 1.5 }, 'maxRetries'],
  ])('createSdkClient(%j) rejects with a ConfigError naming %s and not the value', async (options, option) => {
    const error = await createSdkClient({ provider: 'openai', apiKey: keyFor('openai'), ...options }).catch((e: unknown) => e);
    expect(isLlmSettingsError(error, ErrorCodes.CONFIG_INVALID)).toBe(true);
    expect((error as Error).message).toContain(option);
    expect((error as Error).message).not.toMatch(/s3cret|not a url|ftp|mistral/);
  });
});

/** The key of every credential header sent (Authorization or X-Api-Key), without "Bearer ". */
function sentKeys(headers: Readonly<Record<string, string>>): string[] {
  return credentialHeaders(headers).map((value) => value.replace(/^Bearer /, ''));
}
