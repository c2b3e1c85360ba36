import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openAiCompatible, PROVIDERS, type ProviderDescriptor } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { fakeAnswerText, startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { serve, type RunningServer } from '../src/serve.js';
import { createSqliteDatabase, type TestDatabase } from './support/databases.js';
import { keyRunFinder } from './support/leaks.js';
import { captureLogs } from './support/logs.js';

/*
 * Every behaviour against every enabled OpenAI-dialect descriptor: the built-ins, and a
 * keyless provider of LLM_PROVIDERS_FILE, each faked under the path of its own API root
 * and reading the key from its own header. (Anthropic's are the other e2e suites'.)
 */

const TOKEN = 'e2e-providers-token-0123456789abcdef';
/** An operator's keyless server, faked under a path of its own. */
const LOCAL: ProviderDescriptor = openAiCompatible({
  id: 'local-llm',
  displayName: 'Local LLM',
  defaultBaseUrl: 'http://fake.invalid/local/v1',
  auth: 'none',
  keyTest: 'model-list',
  defaultModel: 'qwen2.5-7b',
  catalogue: [{ id: 'qwen2.5-7b', displayName: 'qwen2.5-7b' }],
});
const OPENAI_DIALECT = [...PROVIDERS.filter((p) => p.dialect === 'openai'), LOCAL];
/** A random key per provider (none for the keyless ones), which no text holds by chance. */
const KEY_BY_PROVIDER = new Map(OPENAI_DIALECT.map((p) => [p.id, p.keyRequired ? `sk-${randomBytes(18).toString('base64url')}QZXW` : '']));
const keyOf = (p: ProviderDescriptor) => KEY_BY_PROVIDER.get(p.id)!;
const KEYS = [...KEY_BY_PROVIDER.values()].filter((key) => key !== '');
const leakedRun = keyRunFinder(KEYS);
const CREDENTIAL_HEADER = { bearer: 'authorization', 'api-key': 'api-key', 'x-api-key': 'x-api-key', none: null } as const;

let database: TestDatabase;
let fake: FakeProvider;
let server: RunningServer;
let logs: ReturnType<typeof captureLogs>;
const seen: string[] = [];

async function api(path: string, init: { method?: string; scope: string; body?: unknown }): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'llm-settings-scope': init.scope },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  seen.push(text, JSON.stringify([...response.headers]));
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
}

beforeAll(async () => {
  database = createSqliteDatabase();
  fake = await startFakeProvider({ providers: [LOCAL] });
  const dir = mkdtempSync(join(tmpdir(), 'llm-providers-file-'));
  const file = join(dir, 'providers.json');
  writeFileSync(
    file,
    JSON.stringify([{ id: LOCAL.id, display_name: LOCAL.displayName, base_url: fake.baseUrls[LOCAL.id], auth: 'none', default_model: LOCAL.defaultModel, models: [] }]),
  );
  const baseUrls = Object.fromEntries(PROVIDERS.map((p) => [`${p.id.toUpperCase().replaceAll('-', '_')}_BASE_URL`, fake.baseUrls[p.id]!]));
  logs = captureLogs();
  server = await serve({
    env: {
      DATABASE_URL: database.url,
      ENCRYPTION_KEY: generateFernetKey(),
      PORT: '0',
      SETTINGS_API_TOKEN: TOKEN,
      LLM_PROVIDERS: PROVIDERS.map((p) => p.id).join(','),
      LLM_PROVIDERS_FILE: file,
      ...baseUrls,
    },
    logger: logs.logger,
  });
});

afterEach(() => fake.reset());

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await database?.drop();
  // Keys leave the server toward their provider only: never in an answer or a log line.
  expect(leakedRun(seen.join('\n'))).toBeUndefined();
  expect(leakedRun(logs.text())).toBeUndefined();
});

describe('GET /api/settings/llm/providers', () => {
  it('lists every enabled provider, LLM_PROVIDERS first, then the file', async () => {
    const { status, body } = await api('/api/settings/llm/providers', { scope: 'any' });
    expect(status).toBe(200);
    const providers = body.providers as { id: string; key_required: boolean; dialect: string }[];
    expect(providers.map((p) => p.id)).toEqual([...PROVIDERS.map((p) => p.id), 'local-llm']);
    expect(providers.find((p) => p.id === 'local-llm')).toMatchObject({ key_required: false, dialect: 'openai', default_model: 'qwen2.5-7b' });
  });
});

describe.each(OPENAI_DIALECT.map((p) => [p.id, p] as const))('%s', (id, descriptor) => {
  const scope = `tenant-${id}`;
  const key = keyOf(descriptor);
  const header = CREDENTIAL_HEADER[descriptor.auth];
  const prefix = () => new URL(fake.baseUrls[id]!).pathname;

  /** The fake saw the key in the provider's own header only, under the provider's root. */
  function expectSentToProvider(): void {
    const requests = fake.requests.filter((r) => r.provider === id);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request.path.startsWith(`${prefix()}/`)).toBe(true);
      expect(request.apiKey).toBe(key === '' ? null : key);
      for (const name of ['authorization', 'x-api-key', 'api-key']) {
        if (name !== header) expect(request.headers[name], name).toBeUndefined();
      }
    }
    expect(fake.requests.filter((r) => r.provider !== id)).toEqual([]);
  }

  it('saves settings, with the default model, and a keyless provider without a key', async () => {
    const { status, body } = await api('/api/settings/llm', { method: 'PUT', scope, body: key === '' ? { provider: id } : { provider: id, api_key: key } });
    expect(status).toBe(200);
    expect(body).toMatchObject({ provider: id, model: descriptor.defaultModel, api_key_set: key !== '' });
  });

  it('tests the stored key at the provider: ok', async () => {
    const { body } = await api('/api/settings/llm/test', { method: 'POST', scope });
    expect(body).toMatchObject({ success: true, code: 'ok' });
    expectSentToProvider();
  });

  it.each([
    ['unauthorized', 'invalid_api_key'],
    ['rate_limited', 'rate_limited'],
    ['drop', 'network_error'],
  ] as const)('tests a refused key: %s gives %s', async (behavior, code) => {
    fake.setBehavior(id, behavior);
    const { status, body } = await api('/api/settings/llm/test', { method: 'POST', scope });
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: false, code });
  });

  it("lists the key's own models live", async () => {
    const { body } = await api(`/api/settings/llm/models?provider=${id}`, { scope });
    expect(body).toMatchObject({ provider: id, source: 'live' });
    expect((body.models as { id: string }[]).map((m) => m.id)).toContain(descriptor.defaultModel);
    expectSentToProvider();
  });

  function sdk(): OpenAI {
    return new OpenAI({ apiKey: TOKEN, baseURL: `${server.url}/api/llm/${id}/v1`, defaultHeaders: { 'LLM-Settings-Scope': scope }, maxRetries: 0 });
  }

  it('passes a chat completion through with the official openai SDK', async () => {
    const completion = await sdk().chat.completions.create({ model: descriptor.defaultModel, messages: [{ role: 'user', content: 'Hi' }] });
    seen.push(JSON.stringify(completion));
    expect(completion.choices[0]?.message.content).toBe(fakeAnswerText(descriptor.defaultModel, 1));
    expectSentToProvider();
    expect(fake.requests.at(-1)?.path).toBe(`${prefix()}/chat/completions`);
  });

  it('passes a streamed chat completion through, event by event', async () => {
    const stream = await sdk().chat.completions.create({ model: descriptor.defaultModel, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    seen.push(text);
    expect(text).toBe(fakeAnswerText(descriptor.defaultModel, 1));
    expectSentToProvider();
  });

  it("passes the provider's 401 on as the SDK's AuthenticationError, without the key", async () => {
    fake.setBehavior(id, 'unauthorized');
    const error = await sdk().models.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    seen.push(String(error), JSON.stringify(error));
  });

  it('serves only the routes its descriptor lists', async () => {
    // Marked, to be told from other test files' requests, which can reach a port the fake took over.
    const mark = randomUUID();
    const response = await fetch(`${server.url}/api/llm/${id}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'llm-settings-scope': scope },
      body: JSON.stringify({ mark }),
    });
    expect(response.status).toBe(404);
    expect(fake.requestsCarrying(mark)).toEqual([]);
  });

  it('client() hands an openai SDK client for the provider, at its root, with the stored key', async () => {
    const llm = await server.settings.client({ scope });
    expect(llm).toMatchObject({ provider: id, dialect: 'openai', model: descriptor.defaultModel });
    if (llm.dialect !== 'openai') throw new Error('expected an OpenAI client');
    const completion = await llm.client.chat.completions.create({ model: llm.model, messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0]?.message.content).toBe(fakeAnswerText(descriptor.defaultModel, 1));
    expectSentToProvider();
  });
});
