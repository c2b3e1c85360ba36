import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import type { RunningServer } from '../src/serve.js';
import { captureLogs } from './support/logs.js';
import { serveAgainstFake } from './support/serve-against-fake.js';
import { storeSettings } from './support/stored-settings.js';
import { createSqliteDatabase, type TestDatabase } from './support/databases.js';

/*
 * The errors the official SDKs throw for the pass-through's own refusals: each must show
 * our detail and code, through the real SDKs against the real server.
 */

const TOKEN = 'e2e-limits-token-0123456789abcdef';
const SETTINGS = {
  'tenant-a': { provider: 'anthropic', api_key: 'sk-ant-api03-LIMITS-A-key-Qw7Lp2Zx9Rk4Mn6Bv' },
  'tenant-o': { provider: 'openai', api_key: 'sk-proj-LIMITS-O-openai-Kc4Vb7Nm2Xz9Lq5Wr' },
} as const;
const ANTHROPIC_MODEL = 'claude-sonnet-4-20250514';
const OPENAI_MODEL = 'gpt-4o';
const MAX_BODY_BYTES = 4096;

let database: TestDatabase;
let fake: FakeProvider;
let server: RunningServer;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  database = createSqliteDatabase();
  fake = await startFakeProvider();
  logs = captureLogs();
  server = await serveAgainstFake(fake, {
    databaseUrl: database.url,
    logger: logs.logger,
    env: {
      SETTINGS_API_TOKEN: TOKEN,
      PROXY_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      PROXY_MAX_IN_FLIGHT: '3',
      PROXY_MAX_IN_FLIGHT_PER_SCOPE: '1',
      PROXY_ALLOWED_BETAS: 'prompt-caching-2024-07-31',
      PROXY_BODY_TIMEOUT_MS: '1000',
    },
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

const anthropicFor = (scope: string) =>
  new Anthropic({ apiKey: TOKEN, baseURL: `${server.url}/api/llm/anthropic`, defaultHeaders: { 'LLM-Settings-Scope': scope }, maxRetries: 0 });
const openAiFor = (scope: string) =>
  new OpenAI({ apiKey: TOKEN, baseURL: `${server.url}/api/llm/openai/v1`, defaultHeaders: { 'LLM-Settings-Scope': scope }, maxRetries: 0 });

const message = { max_tokens: 32, messages: [{ role: 'user' as const, content: 'hello' }] };
const chat = { model: OPENAI_MODEL, messages: [{ role: 'user' as const, content: 'hello' }] };

async function failureOf<T>(call: Promise<unknown>): Promise<T> {
  try {
    await call;
  } catch (error) {
    return error as T;
  }
  throw new Error('the call succeeded');
}

/** What the Anthropic SDK's error shows: the status, then the whole body, our detail and code among it. */
function expectAnthropicShows(error: InstanceType<typeof Anthropic.APIError>, status: number, code: string, detail: string | RegExp) {
  expect(error.status).toBe(status);
  expect(error.message.startsWith(`${status} `)).toBe(true);
  expect(error.message).toContain(code);
  expect(error.errorCode).toBe(code);
  expect(error.apiMessage).toMatch(detail);
  expect(error.message).toContain(JSON.stringify(error.apiMessage));
}

/** What the OpenAI SDK's error shows: `<status> <our detail>`, and our code. */
function expectOpenAiShows(error: InstanceType<typeof OpenAI.APIError>, status: number, code: string, detail: string | RegExp) {
  expect(error.status).toBe(status);
  expect(error.message).toMatch(new RegExp(`^${status} `));
  expect(error.message.slice(`${status} `.length)).toMatch(detail);
  expect(error.message).not.toContain('no body');
  expect(error.code).toBe(code);
}

describe("the SDKs show the pass-through's own errors with our detail and code", () => {
  it('409 SETTINGS.PROVIDER_MISMATCH', async () => {
    const anthropic = await failureOf<InstanceType<typeof Anthropic.APIError>>(anthropicFor('tenant-o').messages.create({ model: ANTHROPIC_MODEL, ...message }));
    expect(anthropic).toBeInstanceOf(Anthropic.ConflictError);
    expectAnthropicShows(anthropic, 409, 'SETTINGS.PROVIDER_MISMATCH', /are for openai: call \/api\/llm\/openai instead/);
    expect(anthropic.type).toBe('conflict_error');

    const openai = await failureOf<InstanceType<typeof OpenAI.APIError>>(openAiFor('tenant-a').chat.completions.create(chat));
    expect(openai).toBeInstanceOf(OpenAI.ConflictError);
    expect(openai.message).toBe('409 The settings of this scope are for anthropic: call /api/llm/anthropic instead.');
    expectOpenAiShows(openai, 409, 'SETTINGS.PROVIDER_MISMATCH', /are for anthropic/);
    expect(fake.requests).toHaveLength(0);
  });

  it('409 SETTINGS.NOT_CONFIGURED', async () => {
    const anthropic = await failureOf<InstanceType<typeof Anthropic.APIError>>(anthropicFor('nobody').models.list());
    expectAnthropicShows(anthropic, 409, 'SETTINGS.NOT_CONFIGURED', /./);
    const openai = await failureOf<InstanceType<typeof OpenAI.APIError>>(openAiFor('nobody').models.list());
    expectOpenAiShows(openai, 409, 'SETTINGS.NOT_CONFIGURED', /./);
  });

  it('413 HTTP.PAYLOAD_TOO_LARGE', async () => {
    const big = 'x'.repeat(MAX_BODY_BYTES + 1);
    const anthropic = await failureOf<InstanceType<typeof Anthropic.APIError>>(
      anthropicFor('tenant-a').messages.create({ model: ANTHROPIC_MODEL, max_tokens: 8, messages: [{ role: 'user', content: big }] }),
    );
    expect(anthropic).toBeInstanceOf(Anthropic.ContentTooLargeError);
    expectAnthropicShows(anthropic, 413, 'HTTP.PAYLOAD_TOO_LARGE', `The request body must be at most ${MAX_BODY_BYTES} bytes.`);
    const openai = await failureOf<InstanceType<typeof OpenAI.APIError>>(openAiFor('tenant-o').chat.completions.create({ ...chat, messages: [{ role: 'user', content: big }] }));
    expectOpenAiShows(openai, 413, 'HTTP.PAYLOAD_TOO_LARGE', `The request body must be at most ${MAX_BODY_BYTES} bytes.`);
    expect(fake.requests).toHaveLength(0);
  });

  it('408 HTTP.REQUEST_TIMEOUT for a body that stops arriving', async () => {
    // A fetch that sends the SDK's body but its last byte, and then nothing.
    const stalling: typeof fetch = (input, init) => {
      const bytes = new TextEncoder().encode(String(init?.body));
      const body = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(bytes.subarray(0, -1)) });
      const headers = new Headers(init?.headers);
      headers.set('content-length', String(bytes.length));
      return fetch(input, { ...init, headers, body, duplex: 'half' } as RequestInit);
    };
    const anthropicClient = new Anthropic({ apiKey: TOKEN, baseURL: `${server.url}/api/llm/anthropic`, defaultHeaders: { 'LLM-Settings-Scope': 'tenant-a' }, maxRetries: 0, fetch: stalling });
    const anthropic = await failureOf<InstanceType<typeof Anthropic.APIError>>(anthropicClient.messages.create({ model: ANTHROPIC_MODEL, ...message }));
    expect(anthropic).toBeInstanceOf(Anthropic.RequestTimeoutError);
    expectAnthropicShows(anthropic, 408, 'HTTP.REQUEST_TIMEOUT', 'The request body did not arrive within 1000 ms.');
    const openAiClient = new OpenAI({ apiKey: TOKEN, baseURL: `${server.url}/api/llm/openai/v1`, defaultHeaders: { 'LLM-Settings-Scope': 'tenant-o' }, maxRetries: 0, fetch: stalling });
    const openai = await failureOf<InstanceType<typeof OpenAI.APIError>>(openAiClient.chat.completions.create(chat));
    expectOpenAiShows(openai, 408, 'HTTP.REQUEST_TIMEOUT', 'The request body did not arrive within 1000 ms.');
    expect(fake.requests).toHaveLength(0);
  });

  it('401 HTTP.UNAUTHORIZED for a wrong token', async () => {
    const client = new OpenAI({ apiKey: 'not-the-token', baseURL: `${server.url}/api/llm/openai/v1`, maxRetries: 0 });
    const openai = await failureOf<InstanceType<typeof OpenAI.APIError>>(client.models.list());
    expect(openai).toBeInstanceOf(OpenAI.AuthenticationError);
    expectOpenAiShows(openai, 401, 'HTTP.UNAUTHORIZED', /./);
  });

  it('429 HTTP.TOO_MANY_REQUESTS while the scope has its one call in flight, and the next call passes once it ended', async () => {
    fake.setBehavior('anthropic', 'hang');
    fake.setBehavior('openai', 'hang');
    const held = { anthropic: new AbortController(), openai: new AbortController() };
    const first = [
      anthropicFor('tenant-a').messages.create({ model: ANTHROPIC_MODEL, ...message }, { signal: held.anthropic.signal }).catch((error: Error) => error),
      openAiFor('tenant-o').chat.completions.create(chat, { signal: held.openai.signal }).catch((error: Error) => error),
    ];
    await expect.poll(() => fake.requests.length).toBe(2);

    const anthropic = await failureOf<InstanceType<typeof Anthropic.APIError>>(anthropicFor('tenant-a').messages.create({ model: ANTHROPIC_MODEL, ...message }));
    expect(anthropic).toBeInstanceOf(Anthropic.RateLimitError);
    expectAnthropicShows(anthropic, 429, 'HTTP.TOO_MANY_REQUESTS', /1 LLM calls of this scope are in flight/);
    expect(anthropic.headers?.get('retry-after')).toBe('1');
    const openai = await failureOf<InstanceType<typeof OpenAI.APIError>>(openAiFor('tenant-o').chat.completions.create(chat));
    expect(openai).toBeInstanceOf(OpenAI.RateLimitError);
    expectOpenAiShows(openai, 429, 'HTTP.TOO_MANY_REQUESTS', /1 LLM calls of this scope are in flight/);
    expect(fake.requests).toHaveLength(2);

    held.anthropic.abort();
    held.openai.abort();
    for (const ended of await Promise.all(first)) expect(ended).toBeInstanceOf(Error);
    fake.setBehavior('anthropic', 'ok');
    fake.setBehavior('openai', 'ok');
    // The slots free once the server has seen the clients leave.
    await expect.poll(async () => (await anthropicFor('tenant-a').models.list()).data.length).toBeGreaterThan(0);
    expect((await openAiFor('tenant-o').chat.completions.create(chat)).choices).toHaveLength(1);
  });
});

describe('beta headers through the SDK', () => {
  it('forwards the allowed beta of the Anthropic SDK and drops the other, logged at debug', async () => {
    await anthropicFor('tenant-a').beta.messages.create({ model: ANTHROPIC_MODEL, ...message, betas: ['prompt-caching-2024-07-31', 'web-fetch-2025-09-10'] });
    const [request] = fake.requests;
    expect(request?.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
    await expect
      .poll(() => logs.lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'beta header values dropped'))
      .toMatchObject({ level: 20, header: 'anthropic-beta', values: ['web-fetch-2025-09-10'] });
  });
});
