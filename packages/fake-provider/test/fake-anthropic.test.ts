import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeAnswerText, startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';

const MODELS = ['claude-a', 'claude-b', 'claude-c', 'claude-d', 'claude-e'];
const MODEL = 'claude-a';
const HELLO = { model: MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content: 'Hello' }] };

let fake: FakeProvider;
let apiKey: string;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeProvider({ models: { anthropic: MODELS } });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
  apiKey = `sk-ant-api03-${randomUUID()}`;
  client = new Anthropic({ apiKey, baseURL: fake.baseUrls.anthropic, maxRetries: 0, logLevel: 'off' });
});

describe('fake Anthropic with the official SDK', () => {
  it('messages.create - answers a message with usage, a request-id and rate-limit headers, and records the body', async () => {
    const { data: message, response } = await client.messages.create(HELLO).withResponse();
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [{ type: 'text', text: fakeAnswerText(MODEL, 1) }],
      stop_reason: 'end_turn',
      usage: { input_tokens: expect.any(Number), output_tokens: 5 },
    });
    expect(message.id).toMatch(/^msg_/);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('999');
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/v1/messages', apiKey, body: HELLO });
  });

  it('messages.create - numbers the answers: the counter restarts at reset()', async () => {
    expect((await client.messages.create(HELLO)).content).toMatchObject([{ text: 'Fake answer 1 from claude-a.' }]);
    expect((await client.messages.create(HELLO)).content).toMatchObject([{ text: 'Fake answer 2 from claude-a.' }]);
    fake.reset();
    expect((await client.messages.create(HELLO)).content).toMatchObject([{ text: 'Fake answer 1 from claude-a.' }]);
  });

  it('messages.stream - streams the text in several deltas and ends with the whole message', async () => {
    const stream = client.messages.stream(HELLO);
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(fakeAnswerText(MODEL, 1));
    expect(message).toMatchObject({ content: [{ type: 'text', text: fakeAnswerText(MODEL, 1) }], stop_reason: 'end_turn', usage: { output_tokens: deltas.length } });
    expect(fake.requests[0]?.body).toMatchObject({ stream: true });
  });

  it('messages.create with stream: true - sends the events of a message stream in order', async () => {
    const stream = await client.messages.create({ ...HELLO, stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(text).toBe(fakeAnswerText(MODEL, 1));
  });

  it('the wire format of a stream: text/event-stream, named events, a ping, and the headers of any answer', async () => {
    const response = await fetch(`${fake.baseUrls.anthropic}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ ...HELLO, stream: true }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-ratelimit-requests-limit')).toBe('1000');
    const body = await response.text();
    expect(body).toMatch(/^event: message_start\ndata: \{"type":"message_start",/);
    expect(body).toContain('event: ping\ndata: {"type":"ping"}\n\n');
    expect(body.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
  });

  it('messages.countTokens - answers input_tokens, the same count a message of that body reports', async () => {
    const { model, messages } = HELLO;
    const counted = await client.messages.countTokens({ model, messages });
    const message = await client.messages.create(HELLO);
    expect(counted).toEqual({ input_tokens: message.usage.input_tokens });
    expect(fake.requests[0]).toMatchObject({ path: '/v1/messages/count_tokens', body: { model, messages } });
  });

  it('models.list - auto-pagination walks every page with limit and after_id', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list({ limit: 2 })) ids.push(model.id);
    expect(ids).toEqual(MODELS);
    expect(fake.requests.map((r) => r.path)).toEqual([
      '/v1/models?limit=2',
      '/v1/models?limit=2&after_id=claude-b',
      '/v1/models?limit=2&after_id=claude-d',
    ]);
  });

  it('models.list - a page carries data, has_more, first_id and last_id; before_id pages backwards', async () => {
    const page = await client.models.list({ limit: 2, after_id: 'claude-a' });
    expect(page.data.map((m) => m.id)).toEqual(['claude-b', 'claude-c']);
    expect(page).toMatchObject({ has_more: true, first_id: 'claude-b', last_id: 'claude-c' });
    expect(page.data[0]).toMatchObject({ type: 'model', display_name: 'Claude B' });
    const backwards = await client.models.list({ limit: 3, before_id: 'claude-c' });
    expect(backwards).toMatchObject({ has_more: false, first_id: 'claude-a', last_id: 'claude-b' });
    const pastTheEnd = await client.models.list({ after_id: 'claude-e' });
    expect(pastTheEnd).toMatchObject({ data: [], has_more: false, first_id: null, last_id: null });
  });

  it('messages.create - an unknown model is a 404 not_found_error naming it; a body without model is a 400', async () => {
    const unknown = await client.messages.create({ ...HELLO, model: 'claude-nope' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect(unknown).toMatchObject({ status: 404, error: { type: 'error', error: { type: 'not_found_error', message: 'model: claude-nope' } } });
    const { model: _, ...withoutModel } = HELLO;
    const invalid = await client.messages.create(withoutModel as typeof HELLO).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it.each([
    ['unauthorized', 401, Anthropic.AuthenticationError],
    ['forbidden', 403, Anthropic.PermissionDeniedError],
    ['not_found', 404, Anthropic.NotFoundError],
    ['rate_limited', 429, Anthropic.RateLimitError],
    ['server_error', 500, Anthropic.InternalServerError],
    ['overloaded', 529, Anthropic.InternalServerError],
  ] as const)('messages.create and messages.stream - the %s behaviour answers HTTP %i, the SDK error of that status', async (behavior, status, errorClass) => {
    fake.setBehavior('anthropic', behavior);
    const error = await client.messages.create(HELLO).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ status, requestID: expect.stringMatching(/^req_/) });
    const streamed = await client.messages.stream(HELLO).finalMessage().catch((e: unknown) => e);
    expect(streamed).toMatchObject({ status });
  });

  it('a 429 says the rate limit is exhausted and when to retry', async () => {
    fake.setBehavior('anthropic', 'rate_limited');
    const error = (await client.messages.create(HELLO).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.RateLimitError>;
    expect(error.headers?.get('retry-after')).toBe('20');
    expect(error.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
  });

  it('a path that names no endpoint is a 404 worded like Anthropic', async () => {
    const response = await fetch(`${fake.baseUrls.anthropic}/v1/nope`, { method: 'POST', headers: { 'x-api-key': apiKey } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error', message: 'Not Found' } });
  });
});
