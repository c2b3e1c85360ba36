import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { catalogueModels } from '@llm-settings/core';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import type { RunningServer } from '../src/serve.js';
import { captureLogs } from './support/logs.js';
import { keyRunFinder } from './support/leaks.js';
import { serveAgainstFake } from './support/serve-against-fake.js';
import { createSqliteDatabase, type TestDatabase } from './support/databases.js';

/*
 * The model lists through the real server: the official SDKs' models.list against the
 * fake provider on 127.0.0.1, with its pages, the cache, scopes and refusals.
 */

const TOKEN = 'e2e-model-list-token-0123456789ab';
const FRONTEND = 'https://admin.example.com';
const KEYS = {
  a: 'sk-ant-api03-SCOPE-A-key-Wq8Er4Ty6Ui2Op0As',
  aRotated: 'sk-ant-api03-SCOPE-A-new-Zx5Cv7Bn9Mq1Lk3Jh',
  b: 'sk-proj-SCOPE-B-openai-Gf2Dh6Jk8Lp4Ow1Qe',
  candidate: 'sk-proj-CANDIDATE-openai-Rt5Yu7Io9Pa2Sd4F',
  refused: 'sk-ant-api03-REFUSED-key-Nb6Vc8Xz1Mq3Wk5Je',
} as const;
/** 150 models: two pages of the lister's 100. */
const MANY_MODELS = ['claude-sonnet-4-20250514', ...Array.from({ length: 149 }, (_, i) => `claude-e2e-${String(i).padStart(3, '0')}`)];

/** No part of the keys may appear in an answer or a log line. */
const leakedRun = keyRunFinder(Object.values(KEYS));

let database: TestDatabase;
let fake: FakeProvider;
let server: RunningServer;
let logs: ReturnType<typeof captureLogs>;
const seen: string[] = [];

beforeAll(async () => {
  database = createSqliteDatabase();
  fake = await startFakeProvider();
  logs = captureLogs();
  server = await serveAgainstFake(fake, {
    databaseUrl: database.url,
    logger: logs.logger,
    env: { SETTINGS_API_TOKEN: TOKEN, CORS_ORIGINS: FRONTEND, PROBE_TIMEOUT_MS: '2000' },
  });
});

afterEach(async () => {
  fake.reset();
  for (const scope of ['a', 'b']) await call('DELETE', '/api/settings/llm', { scope });
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
  // Checked last, over every answer and log line of the file.
  const everything = [...seen, ...logs.lines].join('\n');
  expect(leakedRun(everything)).toBeUndefined();
});

async function call(method: string, path: string, options: { scope?: string; body?: unknown } = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(options.scope ? { 'llm-settings-scope': options.scope } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  seen.push(text);
  return { status: response.status, body: text === '' ? null : (JSON.parse(text) as Record<string, any>) };
}

const ids = (body: Record<string, any> | null) => (body!.models as Array<{ id: string }>).map((m) => m.id);
/** The fake's model list requests (not lookups of one model), each page one. */
const modelListRequests = (provider: 'anthropic' | 'openai') =>
  fake.requests.filter((r) => r.provider === provider && /^\/v1\/models(?:\?|$)/.test(r.path));

describe('GET /api/settings/llm/models through the server', () => {
  it('lists every page of the stored key’s models, then serves them from the cache until a PUT', async () => {
    fake.setKeyModels('anthropic', KEYS.a, MANY_MODELS);
    fake.setKeyModels('anthropic', KEYS.aRotated, ['claude-after-rotation']);
    expect((await call('PUT', '/api/settings/llm', { scope: 'a', body: { provider: 'anthropic', api_key: KEYS.a } })).status).toBe(200);

    const first = await call('GET', '/api/settings/llm/models', { scope: 'a' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ provider: 'anthropic', source: 'live' });
    expect(ids(first.body)).toEqual(MANY_MODELS);
    expect(first.body!.models[0]).toEqual({ id: 'claude-sonnet-4-20250514', display_name: 'Claude Sonnet 4', default: true });
    const pages = modelListRequests('anthropic');
    expect(pages.map((r) => new URL(r.path, 'http://x').searchParams.get('after_id'))).toEqual([null, MANY_MODELS[99]]);
    expect(pages.every((r) => r.apiKey === KEYS.a)).toBe(true);

    await call('GET', '/api/settings/llm/models', { scope: 'a' });
    expect(modelListRequests('anthropic')).toHaveLength(2);

    await call('PUT', '/api/settings/llm', { scope: 'a', body: { provider: 'anthropic', api_key: KEYS.aRotated } });
    expect(ids((await call('GET', '/api/settings/llm/models', { scope: 'a' })).body)).toEqual(['claude-after-rotation']);
    expect(modelListRequests('anthropic').at(-1)!.apiKey).toBe(KEYS.aRotated);
  });

  it('gives the catalogue for the provider no key is stored for, and sends the stored key nowhere', async () => {
    await call('PUT', '/api/settings/llm', { scope: 'a', body: { provider: 'anthropic', api_key: KEYS.a } });
    const other = await call('GET', '/api/settings/llm/models?provider=openai', { scope: 'a' });
    expect(other.body).toMatchObject({ provider: 'openai', source: 'catalogue', reason: 'no_stored_key' });
    expect(ids(other.body)).toEqual(catalogueModels('openai').map((m) => m.id));
    expect(fake.requests).toHaveLength(0);
  });

  it("keeps scopes apart: each scope's key lists its own models, and only for its scope", async () => {
    fake.setKeyModels('anthropic', KEYS.a, ['claude-of-scope-a']);
    fake.setKeyModels('openai', KEYS.b, ['gpt-of-scope-b']);
    await call('PUT', '/api/settings/llm', { scope: 'a', body: { provider: 'anthropic', api_key: KEYS.a } });
    await call('PUT', '/api/settings/llm', { scope: 'b', body: { provider: 'openai', api_key: KEYS.b } });
    expect(ids((await call('GET', '/api/settings/llm/models', { scope: 'b' })).body)).toEqual(['gpt-of-scope-b']);
    expect(ids((await call('GET', '/api/settings/llm/models', { scope: 'a' })).body)).toEqual(['claude-of-scope-a']);
    expect((await call('GET', '/api/settings/llm/models?provider=anthropic', { scope: 'b' })).body).toMatchObject({ source: 'catalogue', reason: 'no_stored_key' });
    expect((await call('GET', '/api/settings/llm/models')).body).toMatchObject({ source: 'catalogue', reason: 'no_stored_key' });
    expect(fake.requests.map((r) => [r.provider, r.apiKey])).toEqual([
      ['openai', KEYS.b],
      ['anthropic', KEYS.a],
    ]);
  });

  it('falls back to the catalogue with the code when the provider refuses the stored key or fails', async () => {
    await call('PUT', '/api/settings/llm', { scope: 'a', body: { provider: 'anthropic', api_key: KEYS.a } });
    fake.setKeyBehavior('anthropic', KEYS.a, 'unauthorized');
    expect((await call('GET', '/api/settings/llm/models', { scope: 'a' })).body).toMatchObject({ source: 'catalogue', reason: 'invalid_api_key' });
    fake.setKeyBehavior('anthropic', KEYS.a, 'overloaded');
    expect((await call('GET', '/api/settings/llm/models', { scope: 'a' })).body).toMatchObject({ source: 'catalogue', reason: 'provider_unavailable' });
    // Failures are not cached: the provider is asked each time, once, without retries.
    expect(modelListRequests('anthropic')).toHaveLength(2);
  });
});

describe('POST /api/settings/llm/models through the server', () => {
  it("lists a candidate key's models and stores nothing", async () => {
    fake.setKeyModels('openai', KEYS.candidate, ['gpt-4o', 'gpt-candidate-only']);
    const listed = await call('POST', '/api/settings/llm/models', { scope: 'b', body: { provider: 'openai', api_key: KEYS.candidate } });
    expect(listed.body).toEqual({
      provider: 'openai',
      source: 'live',
      models: [
        { id: 'gpt-4o', display_name: 'GPT-4o', default: true },
        { id: 'gpt-candidate-only', display_name: 'gpt-candidate-only', default: false },
      ],
    });
    expect((await call('GET', '/api/settings/llm', { scope: 'b' })).body).toMatchObject({ api_key_set: false });
  });

  it.each([
    ['unauthorized', 'invalid_api_key'],
    ['forbidden', 'permission_denied'],
    ['rate_limited', 'rate_limited'],
  ] as const)('answers a key refused as %s with the status and code of POST /test', async (behavior, code) => {
    fake.setKeyBehavior('anthropic', KEYS.refused, behavior);
    const candidate = { provider: 'anthropic', api_key: KEYS.refused };
    const listed = await call('POST', '/api/settings/llm/models', { body: candidate });
    const tested = await call('POST', '/api/settings/llm/test', { body: candidate });
    expect(listed.status).toBe(tested.status);
    expect(tested.body).toMatchObject({ success: false, code });
    expect(listed.body).toMatchObject({ provider: 'anthropic', source: 'catalogue', reason: code });
  });
});

describe('settings and CORS through the server', () => {
  it('refuses a model of the other provider and marks an unknown one unverified', async () => {
    const mismatch = await call('PUT', '/api/settings/llm', { scope: 'a', body: { provider: 'anthropic', api_key: KEYS.a, model: 'gpt-4o' } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toMatchObject({ code: 'SETTINGS.MODEL_PROVIDER_MISMATCH', detail: expect.stringContaining('set provider to openai') });
    const unknown = await call('PUT', '/api/settings/llm', { scope: 'a', body: { provider: 'anthropic', api_key: KEYS.a, model: 'bedrock/claude-custom' } });
    expect(unknown.body).toMatchObject({ model: 'bedrock/claude-custom', model_verified: false });
    expect((await call('GET', '/api/settings/llm', { scope: 'a' })).body).toEqual(unknown.body);
  });

  it('answers a preflight of CORS_ORIGINS 204, and none of another origin', async () => {
    const preflight = (origin: string) =>
      new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
        const req = request(`${server.url}/api/settings/llm/models`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, llm-settings-scope' },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        });
        req.on('error', reject);
        req.end();
      });
    const allowed = await preflight(FRONTEND);
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(FRONTEND);
    const refused = await preflight('https://attacker.example');
    expect(refused.status).not.toBe(204);
    expect(Object.keys(refused.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });
});
