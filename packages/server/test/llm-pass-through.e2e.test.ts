import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { fakeAnswerText, startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { serve, type RunningServer } from '../src/serve.js';
import { freePort } from './support/processes.js';
import { captureLogs } from './support/logs.js';
import { keyRunFinder } from './support/leaks.js';
import { serveAgainstFake } from './support/serve-against-fake.js';
import { storeSettings } from './support/stored-settings.js';
import { createSqliteDatabase, type TestDatabase } from './support/databases.js';

const TOKEN = 'e2e-pass-through-token-0123456789';
const KEYS = {
  'tenant-a': 'sk-ant-api03-TENANT-A-key-Qw7Lp2Zx9Rk4Mn6Bv',
  'tenant-b': 'sk-ant-api03-TENANT-B-key-Hd3Fj8Gs5Ty1Uo0Ie',
  'tenant-o': 'sk-proj-TENANT-O-openai-Kc4Vb7Nm2Xz9Lq5Wr',
} as const;
const SETTINGS = {
  'tenant-a': { provider: 'anthropic', api_key: KEYS['tenant-a'] },
  'tenant-b': { provider: 'anthropic', api_key: KEYS['tenant-b'] },
  'tenant-o': { provider: 'openai', api_key: KEYS['tenant-o'] },
} as const;
type Scope = keyof typeof SETTINGS;
const ANTHROPIC_MODEL = 'claude-sonnet-4-20250514';
const OPENAI_MODEL = 'gpt-4o';
const PROMPT = 'PROMPT-CANARY-d41d8cd9';

/** The stored keys may leave the server only toward the provider. */
const leakedRun = keyRunFinder(Object.values(KEYS));

let database: TestDatabase;
let fake: FakeProvider;
let server: RunningServer;
let logs: ReturnType<typeof captureLogs>;
/** Every answer body and header list seen by the tests, scanned for key material at the end. */
const seen: string[] = [];

beforeAll(async () => {
  database = createSqliteDatabase();
  fake = await startFakeProvider();
  logs = captureLogs();
  server = await serveAgainstFake(fake, {
    databaseUrl: database.url,
    logger: logs.logger,
    env: { SETTINGS_API_TOKEN: TOKEN, PROXY_TIMEOUT_MS: '1000', PROXY_MAX_BODY_BYTES: '4096' },
  });
  await storeSettings(server.url, TOKEN, SETTINGS);
});

afterEach(() => {
  fake.reset();
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
});

function anthropicFor(scope: string, options: { apiKey?: string; maxRetries?: number } = {}) {
  return new Anthropic({
    apiKey: options.apiKey ?? TOKEN,
    baseURL: `${server.url}/api/llm/anthropic`,
    defaultHeaders: { 'LLM-Settings-Scope': scope },
    maxRetries: options.maxRetries ?? 0,
  });
}

function openAiFor(scope: string, options: { apiKey?: string; maxRetries?: number } = {}) {
  return new OpenAI({
    apiKey: options.apiKey ?? TOKEN,
    baseURL: `${server.url}/api/llm/openai/v1`,
    defaultHeaders: { 'LLM-Settings-Scope': scope },
    maxRetries: options.maxRetries ?? 0,
  });
}

/** The SDK error a call fails with, recorded for the leak scan. */
async function failureOf(call: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError> | InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (error) {
    seen.push(String(error), JSON.stringify((error as { error?: unknown }).error ?? null));
    return error as InstanceType<typeof Anthropic.APIError>;
  }
  throw new Error('the call succeeded');
}

async function raw(path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  seen.push(text, JSON.stringify([...response.headers]));
  return { status: response.status, headers: response.headers, text };
}

const message = { max_tokens: 32, messages: [{ role: 'user' as const, content: PROMPT }] };

describe('the official SDKs pointed at the pass-through', () => {
  it('Anthropic: messages, streamed and not, token counting and the model list, with the scope key', async () => {
    const client = anthropicFor('tenant-a');
    const created = await client.messages.create({ model: ANTHROPIC_MODEL, ...message });
    expect(created.content).toEqual([expect.objectContaining({ type: 'text', text: fakeAnswerText(ANTHROPIC_MODEL, 1) })]);
    expect(created._request_id).toMatch(/^req_011C/);

    const stream = client.messages.stream({ model: ANTHROPIC_MODEL, ...message });
    expect(await stream.finalText()).toBe(fakeAnswerText(ANTHROPIC_MODEL, 2));

    expect((await client.messages.countTokens({ model: ANTHROPIC_MODEL, messages: message.messages })).input_tokens).toBeGreaterThan(0);
    const page = await client.models.list({ limit: 1 });
    expect(page.data).toHaveLength(1);
    expect(page.has_more).toBe(true);

    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/messages',
      'POST /v1/messages',
      'POST /v1/messages/count_tokens',
      'GET /v1/models?limit=1',
    ]);
    for (const request of fake.requests) {
      expect(request.apiKey).toBe(KEYS['tenant-a']);
      expect(request.headers).not.toHaveProperty('authorization');
      expect(JSON.stringify(request.headers)).not.toContain(TOKEN);
    }
  });

  it('OpenAI: chat completions and responses, streamed and not, embeddings and the model list', async () => {
    const client = openAiFor('tenant-o');
    const completion = await client.chat.completions.create({ model: OPENAI_MODEL, messages: [{ role: 'user', content: PROMPT }] });
    expect(completion.choices[0]?.message.content).toBe(fakeAnswerText(OPENAI_MODEL, 1));

    const chunks = await client.chat.completions.create({ model: OPENAI_MODEL, messages: [{ role: 'user', content: PROMPT }], stream: true });
    let streamed = '';
    for await (const chunk of chunks) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe(fakeAnswerText(OPENAI_MODEL, 2));

    const events = await client.responses.create({ model: OPENAI_MODEL, input: PROMPT, stream: true });
    let deltas = '';
    for await (const event of events) if (event.type === 'response.output_text.delta') deltas += event.delta;
    expect(deltas).toBe(fakeAnswerText(OPENAI_MODEL, 3));

    const embedding = await client.embeddings.create({ model: 'text-embedding-3-small', input: PROMPT });
    expect(embedding.data[0]?.embedding).toHaveLength(1536);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain(OPENAI_MODEL);

    for (const request of fake.requests) {
      expect(request.apiKey).toBe(KEYS['tenant-o']);
      expect(request.headers).not.toHaveProperty('x-api-key');
    }
  });

  it('reaches the provider with the key of each scope', async () => {
    await anthropicFor('tenant-a').models.list();
    await anthropicFor('tenant-b').models.list();
    expect(fake.requests.map((r) => r.apiKey)).toEqual([KEYS['tenant-a'], KEYS['tenant-b']]);
  });

  it('aborts the provider stream when the client goes away mid-stream', async () => {
    fake.setStreamDelay(Infinity);
    const aborted = fake.nextStreamAborted();
    const stream = await openAiFor('tenant-o').chat.completions.create({ model: OPENAI_MODEL, messages: [{ role: 'user', content: PROMPT }], stream: true });
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      stream.controller.abort();
      break;
    }
    expect((await aborted).apiKey).toBe(KEYS['tenant-o']);
    expect(fake.abortedStreams).toBe(1);
  });

  it('aborts an Anthropic stream too', async () => {
    fake.setStreamDelay(Infinity);
    const aborted = fake.nextStreamAborted();
    const stream = anthropicFor('tenant-b').messages.stream({ model: ANTHROPIC_MODEL, ...message });
    for await (const event of stream) {
      expect(event.type).toBe('message_start');
      stream.abort();
      break;
    }
    expect((await aborted).apiKey).toBe(KEYS['tenant-b']);
  });
});

describe('failures through the SDKs', () => {
  it('409 SETTINGS.PROVIDER_MISMATCH naming the stored provider, not retried', async () => {
    const error = await failureOf(anthropicFor('tenant-o', { maxRetries: 2 }).messages.create({ model: ANTHROPIC_MODEL, ...message }));
    expect(error.status).toBe(409);
    expect(error.error).toMatchObject({ code: 'SETTINGS.PROVIDER_MISMATCH', detail: expect.stringContaining('openai') });
    expect(fake.requests).toHaveLength(0);
    const requestId = error.headers?.get('x-request-id');
    await expect.poll(() => logs.lines.map((line) => JSON.parse(line)).filter((entry) => entry.request_id === requestId)).toHaveLength(1);
  });

  it('409 SETTINGS.NOT_CONFIGURED for a scope without settings', async () => {
    const error = await failureOf(anthropicFor('nobody').models.list());
    expect(error.status).toBe(409);
    expect(error.error).toMatchObject({ code: 'SETTINGS.NOT_CONFIGURED' });
    expect(await failureOf(openAiFor('nobody').models.list())).toBeInstanceOf(OpenAI.ConflictError);
  });

  it('413 for a body over PROXY_MAX_BODY_BYTES', async () => {
    const error = await failureOf(openAiFor('tenant-o').chat.completions.create({ model: OPENAI_MODEL, messages: [{ role: 'user', content: 'x'.repeat(5000) }] }));
    expect(error.status).toBe(413);
    expect(fake.requests).toHaveLength(0);
  });

  it('502 when the provider drops the connection, 504 when it does not answer within PROXY_TIMEOUT_MS', async () => {
    fake.setBehavior('anthropic', 'drop');
    const dropped = await failureOf(anthropicFor('tenant-a').messages.create({ model: ANTHROPIC_MODEL, ...message }));
    expect(dropped.status).toBe(502);
    expect(dropped.error).toMatchObject({ code: 'UPSTREAM.UNAVAILABLE' });
    fake.setBehavior('openai', 'drop');
    const droppedOpenAi = await failureOf(openAiFor('tenant-o').chat.completions.create({ model: OPENAI_MODEL, messages: [{ role: 'user', content: PROMPT }] }));
    expect(droppedOpenAi.status).toBe(502);
    fake.setBehavior('anthropic', 'hang');
    const slow = await failureOf(anthropicFor('tenant-a').messages.create({ model: ANTHROPIC_MODEL, ...message }));
    expect(slow.status).toBe(504);
    expect(slow.error).toMatchObject({ code: 'UPSTREAM.TIMEOUT' });
  });

  it("passes the provider's own errors with their status, its 401 without the key it quotes", async () => {
    fake.setBehavior('openai', 'unauthorized');
    const refused = await failureOf(openAiFor('tenant-o').models.list());
    expect(refused.status).toBe(401);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(refused.message).toContain('refused the API key');
    fake.setBehavior('anthropic', 'rate_limited');
    const limited = await failureOf(anthropicFor('tenant-a').messages.create({ model: ANTHROPIC_MODEL, ...message }));
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(limited.headers?.get('retry-after')).toBe('20');
    expect(limited.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(limited.requestID).toMatch(/^req_011C/);
  });

  it('answers the same whether a model name the caller sends is part of the key or not', async () => {
    const key = KEYS['tenant-o'];
    // Not recorded for the leak scan: these answers quote what the caller sent.
    const answerFor = async (model: string) => {
      const response = await fetch(`${server.url}/api/llm/openai/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'llm-settings-scope': 'tenant-o' },
        body: JSON.stringify({ model, messages: [] }),
      });
      const headers = [...response.headers].filter(([name]) => !['date', 'x-request-id', 'x-upstream-request-id'].includes(name));
      return { status: response.status, headers, body: (await response.text()).split(model).join('<model>') };
    };
    for (const guess of [key.slice(12, 20), key.slice(9, 25), key, `${key.slice(0, 8)}****${key.slice(-4)}`]) {
      const other = `${guess.slice(0, -1)}${guess.endsWith('a') ? 'b' : 'a'}`;
      const answer = await answerFor(guess);
      expect(answer.status).toBe(404);
      expect(answer, guess).toEqual(await answerFor(other));
    }
  });
});

describe('routing and the API token', () => {
  it('answers 404 for a path it does not forward', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await raw('/api/llm/openai/v1/files', { method: 'POST', headers: auth })).status).toBe(404);
    expect((await raw('/api/llm/anthropic/v1/models/claude', { headers: auth })).status).toBe(404);
    expect(fake.requests).toHaveLength(0);
  });

  it('takes the token as the SDK apiKey (Bearer) or in x-api-key, and refuses a missing or wrong one with 401', async () => {
    expect((await raw('/api/llm/anthropic/v1/models', { headers: { 'x-api-key': TOKEN, 'llm-settings-scope': 'tenant-a' } })).status).toBe(200);
    const missing = await raw('/api/llm/anthropic/v1/models', { headers: { 'llm-settings-scope': 'tenant-a' } });
    expect(missing.status).toBe(401);
    const wrong = await failureOf(anthropicFor('tenant-a', { apiKey: `${TOKEN}-wrong` }).models.list());
    expect(wrong.status).toBe(401);
    expect(wrong.error).toMatchObject({ code: 'HTTP.UNAUTHORIZED' });
    const wrongOpenAi = await failureOf(openAiFor('tenant-o', { apiKey: 'sk-not-the-token' }).models.list());
    expect(wrongOpenAi.status).toBe(401);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('what leaves the server', () => {
  it('logs each call with provider, scope and the provider request id, and no key or prompt anywhere', async () => {
    await anthropicFor('tenant-a').messages.create({ model: ANTHROPIC_MODEL, ...message });
    const [request] = fake.requests;
    await expect
      .poll(() => logs.lines.map((line) => JSON.parse(line)).find((entry) => entry.route === '/api/llm/anthropic/v1/messages' && entry.status === 200))
      .toMatchObject({ msg: 'http request', method: 'POST', provider: 'anthropic', scope: 'tenant-a', upstream_request_id: expect.stringMatching(/^req_011C/) });
    expect(request).toBeDefined();
    const text = logs.text();
    expect(text).not.toContain(PROMPT);
    expect(leakedRun(text)).toBeUndefined();
    expect(seen.length).toBeGreaterThan(10);
    for (const answer of seen) expect(leakedRun(answer), answer).toBeUndefined();
  });
});

describe('a provider that is down', () => {
  it('answers 502 UPSTREAM.UNAVAILABLE', async () => {
    const downDatabase = createSqliteDatabase();
    const closedPort = await freePort();
    const down = await serve({
      env: {
        DATABASE_URL: downDatabase.url,
        ENCRYPTION_KEY: generateFernetKey(),
        PORT: '0',
        OPENAI_BASE_URL: `http://127.0.0.1:${closedPort}/v1`,
      },
      logger: captureLogs().logger,
    });
    try {
      await fetch(`${down.url}/api/settings/llm`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SETTINGS['tenant-o']) });
      const client = new OpenAI({ apiKey: 'unused', baseURL: `${down.url}/api/llm/openai/v1`, maxRetries: 0 });
      const error = await failureOf(client.models.list());
      expect(error.status).toBe(502);
      const problem = await fetch(`${down.url}/api/llm/openai/v1/models`);
      expect(await problem.json()).toMatchObject({ code: 'UPSTREAM.UNAVAILABLE', detail: 'The provider could not be reached.' });
    } finally {
      await down.close();
      await downDatabase.drop();
    }
  });
});
