import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultModelFor, type MeteredCall } from '@llm-settings/core';
import { createSdkClient, type SdkClient } from '@llm-settings/provider-probe';
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

/** A stream of either SDK: its events, and the controller of its request. */
interface SdkStream {
  readonly controller: AbortController;
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
}

/** A streamed call of the SDK, counted for `tenant-a`: an Anthropic message, or an OpenAI chat completion that asks for usage. */
function streamedCall(sdk: SdkClient, signal?: AbortSignal) {
  const model = defaultModelFor(sdk.dialect);
  return sdk.dialect === 'anthropic'
    ? sdk.client.messages.create({ model, max_tokens: 64, messages, stream: true }, { signal })
    : sdk.client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } }, { signal });
}

async function firstEvent(stream: SdkStream): Promise<void> {
  expect((await stream[Symbol.asyncIterator]().next()).done).toBe(false);
}

/** How the caller stops a stream after its first event; each resolves once the SDK has let go of it. */
const STOPS: Record<string, (sdk: SdkClient) => Promise<void>> = {
  'breaks out of for await': async (sdk) => {
    for await (const event of (await streamedCall(sdk)) as SdkStream) {
      expect(event).toBeTruthy();
      break;
    }
  },
  'calls stream.controller.abort()': async (sdk) => {
    const stream = (await streamedCall(sdk)) as SdkStream;
    await firstEvent(stream);
    stream.controller.abort();
  },
  'aborts the AbortSignal passed to the call': async (sdk) => {
    const signal = new AbortController();
    await firstEvent((await streamedCall(sdk, signal.signal)) as SdkStream);
    signal.abort();
  },
  'cancels the raw answer body': async (sdk) => {
    const body = (await streamedCall(sdk).asResponse()).body!.getReader();
    expect((await body.read()).done).toBe(false);
    await body.cancel();
  },
};

/** The calls recorded once the first one is: a second record of the same call would have come with it. */
async function settled(recorded: readonly MeteredCall[]): Promise<MeteredCall[]> {
  await vi.waitFor(() => expect(recorded.length).toBeGreaterThan(0), { timeout: 2000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return [...recorded];
}

/** What the fake's stream reported before it was held after its first event: Anthropic's message_start (input tokens, 1 output token), OpenAI's first chunk (no usage). */
async function usageOfFirstEvent(sdk: SdkClient) {
  if (sdk.dialect === 'openai') return null;
  const { input_tokens } = await sdk.client.messages.countTokens({ model: defaultModelFor('anthropic'), messages });
  return { inputTokens: input_tokens, outputTokens: 1, cachedInputTokens: 0 };
}

describe('createSdkClient with usage - a stream the caller stops early', () => {
  describe.each(['anthropic', 'openai'] as const)('%s', (provider) => {
    it.each(Object.keys(STOPS))('is counted once, with the usage read so far, when the caller %s', async (stop) => {
      const { sdk, recorded } = await countedClient(provider, { maxRetries: 0 });
      const usage = await usageOfFirstEvent(sdk);
      fake.setStreamDelay(Infinity);
      const cut = fake.nextStreamAborted();
      await STOPS[stop]!(sdk);
      await cut;
      expect(await settled(recorded)).toEqual([{ scope: 'tenant-a', provider, model: defaultModelFor(provider), status: 200, usage }]);
    });
  });

  it.each(['anthropic', 'openai'] as const)('%s - is counted once when the provider drops the stream', async (provider) => {
    const own = await startFakeProvider();
    let closed: Promise<void> | null = null;
    try {
      const recorded: MeteredCall[] = [];
      const sdk = await createSdkClient({ provider, apiKey: keyFor(provider), baseUrl: own.baseUrls[provider], maxRetries: 0, usage: { scope: 'tenant-a', record: (call) => recorded.push(call) } });
      const usage = await usageOfFirstEvent(sdk);
      own.setStreamDelay(Infinity);
      const events = ((await streamedCall(sdk)) as SdkStream)[Symbol.asyncIterator]();
      expect((await events.next()).done).toBe(false);
      const rest = events.next();
      closed = own.close();
      await closed;
      await expect(rest).rejects.toThrow();
      expect(await settled(recorded)).toEqual([{ scope: 'tenant-a', provider, model: defaultModelFor(provider), status: 200, usage }]);
    } finally {
      await (closed ?? own.close());
    }
  });
});
