import { ConfigError } from '@llm-settings/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpApp, NO_OBSERVER } from '../src/index.js';
import { ANTHROPIC_KEY, OPENAI_KEY, jsonRequest, startServer, type TestServer } from './helpers.js';

const TOKEN = 'Tk_3f9a1c7e5b2d4f60-88aa.Zz~+/=';

let server: TestServer;
beforeEach(async () => {
  server = await startServer({ apiToken: TOKEN });
});
afterEach(() => server.close());

const settings = () => `${server.url}/api/settings/llm`;

describe('bearer token auth', () => {
  it('accepts the configured token on every settings route', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await fetch(settings(), { headers: auth })).status).toBe(200);
    expect((await fetch(settings(), jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }, auth))).status).toBe(200);
    expect((await fetch(`${settings()}/test`, { method: 'POST', headers: auth })).status).toBe(200);
    expect((await fetch(settings(), { method: 'DELETE', headers: auth })).status).toBe(204);
  });

  it('accepts the scheme in any case, as RFC 9110 says it is case-insensitive', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect((await fetch(settings(), { headers: { authorization: `${scheme} ${TOKEN}` } })).status, scheme).toBe(200);
    }
  });

  it('refuses a request without Authorization with 401 and a Bearer challenge', async () => {
    const response = await fetch(settings());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="llm-settings"$/);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 401, code: 'HTTP.UNAUTHORIZED', type: 'urn:llm-settings:problem:http.unauthorized' });
  });

  it.each([
    ['a wrong token', `Bearer ${TOKEN.slice(0, -1)}X`],
    ['the token in another case', `Bearer ${TOKEN.toUpperCase()}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 8)}`],
    ['the token with a suffix', `Bearer ${TOKEN}a`],
    ['an overlong token', `Bearer ${TOKEN}${'a'.repeat(5000)}`],
    ['another scheme', `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`],
    ['the token without a scheme', TOKEN],
    ['the scheme without a token', 'Bearer'],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
  ])('refuses %s with 401 invalid_token', async (_what, authorization) => {
    const response = await fetch(settings(), { headers: { authorization } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'HTTP.UNAUTHORIZED' });
    expect(text).not.toContain(TOKEN.slice(0, 8));
  });

  it('checks the token before reading the body or touching the service', async () => {
    const response = await fetch(settings(), jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }, { authorization: 'Bearer nope' }));
    expect(response.status).toBe(401);
    const read = await fetch(settings(), { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await read.json()).toMatchObject({ api_key_set: false });
  });

  it('runs no route for an unknown path or method, so those answer 404 and 405 with nothing read or changed', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    await fetch(settings(), jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }, auth));
    const before = await (await fetch(settings(), { headers: auth })).text();
    expect((await fetch(`${server.url}/api/settings/other`)).status).toBe(404);
    expect((await fetch(settings(), { method: 'PATCH' })).status).toBe(405);
    expect(await (await fetch(settings(), { headers: auth })).text()).toBe(before);
  });

  it.each([
    ['GET', '/API/SETTINGS/LLM'],
    ['PUT', '/API/settings/llm'],
    ['DELETE', '/Api/settings/llm'],
    ['POST', '/api/settings/LLM/test'],
    ['PUT', '/api/settings/llm/'],
    ['DELETE', '/api/settings/llm/'],
  ])('%s %s names no route: 404 without the token, and the settings stay as they were', async (method, path) => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    await fetch(settings(), jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }, auth));
    const before = await (await fetch(settings(), { headers: auth })).text();
    const body = method === 'PUT' || method === 'POST' ? { provider: 'anthropic', api_key: ANTHROPIC_KEY } : undefined;
    const response = await fetch(`${server.url}${path}`, body === undefined ? { method } : jsonRequest(method, body));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'HTTP.NOT_FOUND' });
    expect(await (await fetch(settings(), { headers: auth })).text()).toBe(before);
  });

  it('runs the check before every route the OpenAPI document lists as protected, and before /metrics (deny by default)', async () => {
    let reached = 0;
    const guarded = await startServer({
      apiToken: TOKEN,
      llm: {},
      usage: { record: () => reached++, read: async () => (reached++, []) },
      metrics: { observer: NO_OBSERVER, scrape: async () => (reached++, { contentType: 'text/plain', body: '' }) },
    });
    try {
      const document = (await (await fetch(`${guarded.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
      const protectedOperations = Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.entries(operations).flatMap(([method, operation]) => (operation.security === undefined ? [] : [[method.toUpperCase(), path]])),
      );
      expect(protectedOperations.length).toBeGreaterThan(10);
      for (const [method, path] of [...protectedOperations, ['GET', '/metrics']]) {
        const response = await fetch(`${guarded.url}${path}`, { method, ...(method === 'GET' || method === 'DELETE' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }) });
        expect(response.status, `${method} ${path}`).toBe(401);
      }
      expect(reached).toBe(0);
      expect(await guarded.store.get('llm_settings')).toBeNull();
    } finally {
      await guarded.close();
    }
  });

  it('leaves health, readiness and the OpenAPI document open', async () => {
    for (const path of ['/healthz', '/readyz', '/api/openapi.json']) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
    }
  });

  it('never logs the token', async () => {
    await fetch(settings(), { headers: { authorization: `Bearer ${TOKEN}` } });
    await fetch(settings(), { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(server.logger.lines.length).toBeGreaterThan(0);
    for (const line of server.logger.lines) expect(line).not.toContain(TOKEN.slice(0, 8));
  });
});

describe('apiToken option', () => {
  const unused = async (): Promise<never> => {
    throw new Error('not called');
  };
  const service = { get: unused, update: unused, clear: unused, test: unused, resolve: unused, listModels: unused, listCandidateModels: unused, history: unused };

  it.each([
    ['empty', ''],
    ['shorter than 16 characters', 'short-token-15ch'.slice(0, 15)],
    ['with whitespace', 'secret token value'],
    ['too long', 'Q'.repeat(1025)],
  ])('refuses a token that is %s with a ConfigError naming the option, not the value', (_what, apiToken) => {
    const create = () => createHttpApp({ service, apiToken });
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(/^apiToken must be 16 to 1024 printable ASCII characters without whitespace$/);
  });

  it('requires no token when none is configured', async () => {
    const open = await startServer();
    try {
      expect((await fetch(`${open.url}/api/settings/llm`)).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
