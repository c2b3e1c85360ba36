import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeAnswerText, openAiKeyEcho, startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';

const MODEL = 'gpt-test';
const EMBEDDING_MODEL = 'embed-test';
const MESSAGES = [{ role: 'user' as const, content: 'Hello' }];

let fake: FakeProvider;
let apiKey: string;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeProvider({ models: { openai: [MODEL, 'gpt-other', EMBEDDING_MODEL] } });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
  apiKey = `sk-proj-${randomUUID()}`;
  client = new OpenAI({ apiKey, baseURL: fake.baseUrls.openai, maxRetries: 0, logLevel: 'off' });
});

describe('fake OpenAI with the official SDK', () => {
  it('chat.completions.create - answers a completion with usage, an x-request-id and rate-limit headers, and records the body', async () => {
    const { data: completion, response } = await client.chat.completions.create({ model: MODEL, messages: MESSAGES }).withResponse();
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: MODEL,
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: fakeAnswerText(MODEL, 1) } }],
      usage: { completion_tokens: 5 },
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('9999');
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', apiKey, body: { model: MODEL, messages: MESSAGES } });
  });

  it('chat.completions.create with stream: true - streams chunks of several deltas, then the usage when asked', async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    const deltas: string[] = [];
    let finishReason: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const [choice] = chunk.choices;
      if (choice?.delta.content) deltas.push(choice.delta.content);
      finishReason = choice?.finish_reason ?? finishReason;
      usage = chunk.usage ?? usage;
    }
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(fakeAnswerText(MODEL, 1));
    expect(finishReason).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: deltas.length });
  });

  it('chat.completions.stream - the SDK helper assembles the final completion', async () => {
    const stream = client.chat.completions.stream({ model: MODEL, messages: MESSAGES });
    const deltas: string[] = [];
    stream.on('content', (delta) => deltas.push(delta));
    const completion = await stream.finalChatCompletion();
    expect(completion.choices[0]?.message.content).toBe(fakeAnswerText(MODEL, 1));
    expect(deltas.join('')).toBe(fakeAnswerText(MODEL, 1));
  });

  it('the wire format of a chat stream: text/event-stream, unnamed events, data: [DONE] last', async () => {
    const response = await fetch(`${fake.baseUrls.openai}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: MESSAGES, stream: true }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    const body = await response.text();
    expect(body).toMatch(/^data: \{"id":"chatcmpl-/);
    expect(body).not.toContain('event:');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('responses.create - answers a response whose output_text the SDK gathers', async () => {
    const response = await client.responses.create({ model: MODEL, input: 'Hello', instructions: 'Be brief.' });
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: MODEL, instructions: 'Be brief.', usage: { output_tokens: 5 } });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output_text).toBe(fakeAnswerText(MODEL, 1));
    expect(fake.requests[0]).toMatchObject({ path: '/v1/responses', body: { model: MODEL, input: 'Hello' } });
  });

  it('responses.stream - streams the typed events and the SDK helper assembles the final response', async () => {
    const stream = client.responses.stream({ model: MODEL, input: 'Hello' });
    const types: string[] = [];
    const deltas: string[] = [];
    stream.on('event', (event) => types.push(event.type));
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const response = await stream.finalResponse();
    // output_text is added by responses.create only, not by the stream helper.
    expect(response.output).toMatchObject([{ type: 'message', status: 'completed', content: [{ type: 'output_text', text: fakeAnswerText(MODEL, 1) }] }]);
    expect(deltas.join('')).toBe(fakeAnswerText(MODEL, 1));
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array(deltas.length).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
  });

  it("embeddings.create - one unit vector per input; the SDK's default base64 and float decode alike", async () => {
    const input = ['first', 'second'];
    const asBase64 = await client.embeddings.create({ model: EMBEDDING_MODEL, input });
    const asFloats = await client.embeddings.create({ model: EMBEDDING_MODEL, input, encoding_format: 'float' });
    expect(fake.requests.map((r) => (r.body as { encoding_format: string }).encoding_format)).toEqual(['base64', 'float']);
    expect(asBase64).toMatchObject({ object: 'list', model: EMBEDDING_MODEL, usage: { prompt_tokens: expect.any(Number) } });
    expect(asBase64.data.map((d) => d.index)).toEqual([0, 1]);
    expect(asBase64.data.map((d) => d.embedding)).toEqual(asFloats.data.map((d) => d.embedding));
    const [first, second] = asFloats.data.map((d) => d.embedding);
    expect(first).toHaveLength(1536);
    expect(Math.hypot(...(first ?? []))).toBeCloseTo(1, 5);
    expect(first).not.toEqual(second);
    const again = await client.embeddings.create({ model: EMBEDDING_MODEL, input: 'first', dimensions: 8, encoding_format: 'float' });
    expect(again.data[0]?.embedding).toHaveLength(8);
  });

  it('models.list - lists the known models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual([MODEL, 'gpt-other', EMBEDDING_MODEL]);
    const response = await fetch(`${fake.baseUrls.openai}/models`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(await response.json()).toMatchObject({ object: 'list', data: [{ id: MODEL, object: 'model', owned_by: 'system' }, {}, {}] });
  });

  it("a 401 quotes part of the key like OpenAI's, on a completion too", async () => {
    fake.setBehavior('openai', 'unauthorized');
    const error = await client.chat.completions.create({ model: MODEL, messages: MESSAGES }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as Error).message).toContain(`Incorrect API key provided: ${openAiKeyEcho(apiKey)}.`);
  });

  it.each([
    ['unauthorized', 401, OpenAI.AuthenticationError],
    ['forbidden', 403, OpenAI.PermissionDeniedError],
    ['not_found', 404, OpenAI.NotFoundError],
    ['rate_limited', 429, OpenAI.RateLimitError],
    ['server_error', 500, OpenAI.InternalServerError],
    ['overloaded', 529, OpenAI.InternalServerError],
  ] as const)('every endpoint - the %s behaviour answers HTTP %i, the SDK error of that status', async (behavior, status, errorClass) => {
    fake.setBehavior('openai', behavior);
    const calls = [
      client.chat.completions.create({ model: MODEL, messages: MESSAGES }),
      client.chat.completions.create({ model: MODEL, messages: MESSAGES, stream: true }),
      client.responses.create({ model: MODEL, input: 'Hello' }),
      client.embeddings.create({ model: EMBEDDING_MODEL, input: 'Hello' }),
      client.models.list(),
    ];
    for (const error of await Promise.all(calls.map((call) => Promise.resolve(call).catch((e: unknown) => e)))) {
      expect(error).toBeInstanceOf(errorClass);
      expect(error).toMatchObject({ status, requestID: expect.stringMatching(/^req_/) });
    }
  });

  it('a 429 says the rate limit is exhausted and when to retry', async () => {
    fake.setBehavior('openai', 'rate_limited');
    const error = (await client.embeddings.create({ model: EMBEDDING_MODEL, input: 'x' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.headers?.get('retry-after')).toBe('20');
    expect(error.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('an unknown model is a 404 model_not_found; a body without model is a 400; an unknown path is "Invalid URL"', async () => {
    const unknown = await client.responses.create({ model: 'gpt-nope', input: 'x' }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 404, code: 'model_not_found', message: expect.stringContaining("The model 'gpt-nope' does not exist") });
    const invalid = await client.chat.completions.create({ messages: MESSAGES } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    const response = await fetch(`${fake.baseUrls.openai}/nope`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { message: 'Invalid URL (POST /v1/nope)', type: 'invalid_request_error' } });
  });
});
