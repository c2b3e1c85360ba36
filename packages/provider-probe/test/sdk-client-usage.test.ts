import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultModelFor, type MeteredCall } from '@llm-settings/core';
import { createSdkClient } from '@llm-settings/provider-probe';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { keyFor } from './helpers.js';

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

/** A client whose calls are counted for `tenant-a` into the list returned. */
async function countedClient<P extends 'anthropic' | 'openai'>(provider: P, options: { maxRetries?: number } = {}) {
  const recorded: MeteredCall[] = [];
  const apiKey = keyFor(provider);
  const sdk = await createSdkClient({ provider, apiKey, baseUrl: fake.baseUrls[provider], usage: { scope: 'tenant-a', record: (call) => recorded.push(call) }, ...options });
  return { sdk, recorded, apiKey };
}

const messages = [{ role: 'user' as const, content: 'Hello there' }];

describe('createSdkClient with usage', () => {
  it("anthropic - counts a message and a stream with the usage the SDK itself reports", async () => {
    const model = defaultModelFor('anthropic');
    const { sdk, recorded } = await countedClient('anthropic');
    if (sdk.dialect !== 'anthropic') throw new Error('expected the Anthropic SDK');
    const message = await sdk.client.messages.create({ model, max_tokens: 64, messages });
    const streamed = await sdk.client.messages.stream({ model, max_tokens: 64, messages }).finalMessage();
    expect(recorded).toEqual(
      [message, streamed].map((answer) => ({
        scope: 'tenant-a',
        provider: 'anthropic',
        model,
        status: 200,
        usage: { inputTokens: answer.usage.input_tokens, outputTokens: answer.usage.output_tokens, cachedInputTokens: answer.usage.cache_read_input_tokens ?? 0 },
      })),
    );
    expect(recorded[1]!.usage!.outputTokens).toBeGreaterThan(1);
  });

  it('openai - counts a chat completion, a stream that asked for usage, and a response', async () => {
    const model = defaultModelFor('openai');
    const { sdk, recorded } = await countedClient('openai');
    if (sdk.dialect !== 'openai') throw new Error('expected the OpenAI SDK');
    const completion = await sdk.client.chat.completions.create({ model, messages });
    let streamedUsage: { prompt_tokens: number; completion_tokens: number } | null | undefined;
    for await (const chunk of await sdk.client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } })) {
      streamedUsage = chunk.usage ?? streamedUsage;
    }
    const response = await sdk.client.responses.create({ model, input: 'Hello there' });
    const usageOf = (input: number, output: number) => ({ scope: 'tenant-a', provider: 'openai', model, status: 200, usage: { inputTokens: input, outputTokens: output, cachedInputTokens: 0 } });
    expect(recorded).toEqual([
      usageOf(completion.usage!.prompt_tokens, completion.usage!.completion_tokens),
      usageOf(streamedUsage!.prompt_tokens, streamedUsage!.completion_tokens),
      usageOf(response.usage!.input_tokens, response.usage!.output_tokens),
    ]);
  });

  it("counts each failed attempt under the request's model, and not a model list", async () => {
    const { sdk, recorded, apiKey } = await countedClient('anthropic', { maxRetries: 1 });
    if (sdk.dialect !== 'anthropic') throw new Error('expected the Anthropic SDK');
    await sdk.client.models.list();
    fake.setKeyBehavior('anthropic', apiKey, 'server_error');
    const model = defaultModelFor('anthropic');
    await expect(sdk.client.messages.create({ model, max_tokens: 8, messages })).rejects.toThrow();
    expect(recorded).toEqual([
      { scope: 'tenant-a', provider: 'anthropic', model, status: 500, usage: null },
      { scope: 'tenant-a', provider: 'anthropic', model, status: 500, usage: null },
    ]);
  });

  it('counts a provider that cannot be reached as a failed call without a status', async () => {
    const recorded: MeteredCall[] = [];
    const { client, dialect } = await createSdkClient({ provider: 'openai', apiKey: keyFor('openai'), baseUrl: 'http://127.0.0.1:1/v1', maxRetries: 0, usage: { scope: 's', record: (call) => recorded.push(call) } });
    if (dialect !== 'openai') throw new Error('expected the OpenAI SDK');
    await expect(client.embeddings.create({ model: 'emb', input: 'x' })).rejects.toThrow();
    expect(recorded).toEqual([{ scope: 's', provider: 'openai', model: 'emb', status: null, usage: null }]);
  });
});
