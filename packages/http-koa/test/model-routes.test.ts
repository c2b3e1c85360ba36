import { LlmModelListSchema, LlmSettingsService, LlmSettingsViewSchema, catalogueModels } from '@llm-settings/core';
import { createMemoryCipher, createMemoryModelLister, createMemorySettingsStore, createScriptedProbe, type MemoryModelLister } from '@llm-settings/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANTHROPIC_KEY, OPENAI_KEY, createCapturingLogger, jsonRequest, startServer, type TestServer } from './helpers.js';

const TOKEN = 'model-routes-test-token-0123456789';
const OTHER_ANTHROPIC_KEY = 'sk-ant-api03-Other-Tenant-Key-Qw3Er5Ty7Ui9Op1As2Df4';

let server: TestServer;
let lister: MemoryModelLister;
let modelsUrl: string;
let serviceLogger: ReturnType<typeof createCapturingLogger>;
const auth = { authorization: `Bearer ${TOKEN}` };

beforeEach(async () => {
  const store = createMemorySettingsStore();
  lister = createMemoryModelLister();
  lister.setKeyModels('anthropic', ANTHROPIC_KEY, ['claude-sonnet-4-20250514', 'claude-from-the-live-list']);
  lister.setKeyModels('anthropic', OTHER_ANTHROPIC_KEY, ['claude-of-tenant-b']);
  lister.setKeyModels('openai', OPENAI_KEY, ['gpt-4o', 'gpt-from-the-live-list']);
  serviceLogger = createCapturingLogger();
  const service = new LlmSettingsService({ store, cipher: createMemoryCipher(), probe: createScriptedProbe(), logger: serviceLogger, modelLister: lister });
  server = await startServer({ store, service, apiToken: TOKEN });
  modelsUrl = `${server.url}/api/settings/llm/models`;
});
afterEach(() => server.close());

const save = (body: unknown, headers: Record<string, string> = {}) => fetch(`${server.url}/api/settings/llm`, jsonRequest('PUT', body, { ...auth, ...headers }));
const listModels = async (query = '', headers: Record<string, string> = {}) => {
  const response = await fetch(`${modelsUrl}${query}`, { headers: { ...auth, ...headers } });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};
const ids = (body: Record<string, any>) => (body.models as Array<{ id: string }>).map((m) => m.id);

describe('GET /api/settings/llm/models', () => {
  it('gives the catalogue of the default provider when nothing is stored', async () => {
    const { status, body } = await listModels();
    expect(status).toBe(200);
    expect(LlmModelListSchema.parse(body)).toEqual(body);
    expect(body).toMatchObject({ provider: 'anthropic', source: 'catalogue', reason: 'no_stored_key' });
    expect(ids(body)).toEqual(catalogueModels('anthropic').map((m) => m.id));
  });

  it("lists the stored key's models live for the stored provider, and the catalogue for the other", async () => {
    expect((await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY })).status).toBe(200);
    const stored = await listModels();
    expect(stored.body).toEqual({
      provider: 'anthropic',
      source: 'live',
      models: [
        { id: 'claude-sonnet-4-20250514', display_name: 'Claude Sonnet 4', default: true },
        { id: 'claude-from-the-live-list', display_name: 'claude-from-the-live-list', default: false },
      ],
    });
    const other = await listModels('?provider=openai');
    expect(other.body).toMatchObject({ provider: 'openai', source: 'catalogue', reason: 'no_stored_key' });
    expect(lister.calls.map((c) => c.provider)).toEqual(['anthropic']);
  });

  it('falls back to the catalogue, saying why, when the provider refuses the stored key', async () => {
    await save({ provider: 'openai', api_key: OPENAI_KEY });
    lister.setKeyBehavior('openai', OPENAI_KEY, 'unauthorized');
    const { status, body } = await listModels();
    expect(status).toBe(200);
    expect(body).toMatchObject({ provider: 'openai', source: 'catalogue', reason: 'invalid_api_key', message: expect.any(String) });
  });

  it.each([
    ['an unknown provider', '?provider=mistral'],
    ['an empty provider', '?provider='],
    ['a repeated provider', '?provider=openai&provider=anthropic'],
  ])('answers 400 naming the parameter for %s', async (_name, query) => {
    const { status, body } = await listModels(query);
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'VALIDATION.INVALID_INPUT', errors: [{ path: 'provider' }] });
    expect(JSON.stringify(body)).not.toContain('mistral');
  });

  it('keeps the live list until the settings change, then lists with the new key', async () => {
    await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    await listModels();
    await listModels();
    expect(lister.calls).toHaveLength(1);
    await save({ provider: 'anthropic', api_key: OTHER_ANTHROPIC_KEY });
    expect(ids((await listModels()).body)).toEqual(['claude-of-tenant-b']);
    expect(lister.calls.map((c) => c.apiKey)).toEqual([ANTHROPIC_KEY, OTHER_ANTHROPIC_KEY]);
  });

  it("honours LLM-Settings-Scope: one scope's key is never used for another", async () => {
    await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { 'llm-settings-scope': 'tenant-a' });
    await save({ provider: 'anthropic', api_key: OTHER_ANTHROPIC_KEY }, { 'llm-settings-scope': 'tenant-b' });
    expect(ids((await listModels('', { 'llm-settings-scope': 'tenant-b' })).body)).toEqual(['claude-of-tenant-b']);
    expect(ids((await listModels('', { 'llm-settings-scope': 'tenant-a' })).body)).toContain('claude-from-the-live-list');
    expect((await listModels()).body).toMatchObject({ source: 'catalogue', reason: 'no_stored_key' });
    expect((await listModels('', { 'llm-settings-scope': 'bad scope!' })).status).toBe(400);
    expect(lister.calls.map((c) => c.apiKey)).toEqual([OTHER_ANTHROPIC_KEY, ANTHROPIC_KEY]);
  });
});

describe('a client that goes away', () => {
  it.each(['GET', 'POST'])('%s aborts the provider call', async (method) => {
    lister.setKeyBehavior('openai', OPENAI_KEY, 'hang');
    if (method === 'GET') await save({ provider: 'openai', api_key: OPENAI_KEY });
    const client = new AbortController();
    const init = method === 'GET' ? { headers: auth } : jsonRequest('POST', { provider: 'openai', api_key: OPENAI_KEY }, auth);
    const answer = fetch(modelsUrl, { ...init, signal: client.signal }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(lister.calls).toHaveLength(1));
    expect(lister.calls[0]!.signal?.aborted).toBe(false);
    client.abort();
    await answer;
    await vi.waitFor(() => expect(lister.calls[0]!.signal?.aborted).toBe(true));
  });
});

describe('POST /api/settings/llm/models', () => {
  const post = async (body: unknown, headers: Record<string, string> = auth) => {
    const response = await fetch(modelsUrl, jsonRequest('POST', body, headers));
    return { status: response.status, text: await response.text() };
  };

  it('lists the models of a candidate key and stores nothing', async () => {
    const { status, text } = await post({ provider: 'openai', api_key: OPENAI_KEY });
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ provider: 'openai', source: 'live', models: [{ id: 'gpt-4o', default: true }, { id: 'gpt-from-the-live-list' }] });
    const view = LlmSettingsViewSchema.parse(await (await fetch(`${server.url}/api/settings/llm`, { headers: auth })).json());
    expect(view.api_key_set).toBe(false);
  });

  it('answers a refused key as POST /test does: 200 with the code, and nothing of the key', async () => {
    lister.setKeyBehavior('anthropic', ANTHROPIC_KEY, 'forbidden');
    const { status, text } = await post({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ provider: 'anthropic', source: 'catalogue', reason: 'permission_denied' });
    expect(text).not.toContain(ANTHROPIC_KEY.slice(0, 12));
  });

  it.each([
    ['no api_key', { provider: 'openai' }],
    ['a model field', { provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4o' }],
    ['a masked key', { provider: 'openai', api_key: '...abcd' }],
    ['an unknown provider', { provider: 'mistral', api_key: OPENAI_KEY }],
  ])('answers 400 for %s, quoting no key', async (_name, body) => {
    const { status, text } = await post(body);
    expect(status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ code: 'VALIDATION.INVALID_INPUT' });
    expect(text).not.toContain(OPENAI_KEY.slice(0, 12));
    expect(lister.calls).toHaveLength(0);
  });

  it('answers 415 without a JSON body', async () => {
    const response = await fetch(modelsUrl, { method: 'POST', headers: auth });
    expect(response.status).toBe(415);
  });

  it('logs no key', async () => {
    await post({ provider: 'openai', api_key: OPENAI_KEY });
    await post({ provider: 'openai', api_key: OPENAI_KEY.replace('sk-proj-', '') });
    const lines = [...server.logger.lines, ...serviceLogger.lines];
    expect(lines.filter((line) => line.includes('llm models listed'))).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain(OPENAI_KEY.slice(8, 20));
  });
});

describe('model routes and the token', () => {
  it.each([
    ['GET', undefined],
    ['POST', JSON.stringify({ provider: 'openai', api_key: OPENAI_KEY })],
  ])('%s answers 401 without the bearer token and calls no provider', async (method, body) => {
    const response = await fetch(modelsUrl, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body } : {}) });
    expect(response.status).toBe(401);
    expect(lister.calls).toHaveLength(0);
  });
});

describe('PUT /api/settings/llm model checks', () => {
  it("refuses a model of the other provider with a 400 problem naming the right one, and stores nothing", async () => {
    const response = await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY, model: 'gpt-4o' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as Record<string, any>;
    expect(problem).toMatchObject({
      code: 'SETTINGS.MODEL_PROVIDER_MISMATCH',
      type: 'urn:llm-settings:problem:settings.model-provider-mismatch',
      status: 400,
      errors: [{ path: 'model' }],
    });
    expect(problem.detail).toContain('set provider to openai');
    const view = await (await fetch(`${server.url}/api/settings/llm`, { headers: auth })).json();
    expect(view).toMatchObject({ api_key_set: false });
  });

  it('accepts a model no catalogue knows, and GET and PUT both say it is unverified', async () => {
    const put = await save({ provider: 'openai', api_key: OPENAI_KEY, model: 'my-gateway/llama-3.3-70b' });
    expect(put.status).toBe(200);
    const saved = await put.json();
    expect(saved).toMatchObject({ model: 'my-gateway/llama-3.3-70b', model_verified: false });
    expect(await (await fetch(`${server.url}/api/settings/llm`, { headers: auth })).json()).toEqual(saved);
  });
});
