import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import type { RunningServer } from '../src/serve.js';
import { captureLogs } from './support/logs.js';
import { keyRunFinder } from './support/leaks.js';
import { serveAgainstFake } from './support/serve-against-fake.js';
import { createDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';

const ANTHROPIC_KEY = 'sk-ant-api03-E2E-SECRET-KEY-abcdefghijkl';
const OPENAI_KEY = 'sk-proj-E2E-OPENAI-SECRET-mnopqrstuvwx';
const SECRETS = [ANTHROPIC_KEY, OPENAI_KEY];

describeEachDatabase('HTTP service end to end on %s', (kind) => {
  let database: TestDatabase;
  let fake: FakeProvider;
  let server: RunningServer;
  let logs: ReturnType<typeof captureLogs>;
  const bodies: string[] = [];

  async function call(method: string, path: string, init: { body?: string | object; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...init.headers };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await response.text();
    bodies.push(text, JSON.stringify([...response.headers]));
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
  }

  beforeAll(async () => {
    database = await createDatabase(kind);
    fake = await startFakeProvider();
    logs = captureLogs();
    server = await serveAgainstFake(fake, {
      databaseUrl: database.url,
      logger: logs.logger,
      env: { PROBE_TIMEOUT_MS: '500' },
    });
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
    await database?.drop();
  });

  beforeEach(async () => {
    fake.setBehavior('anthropic', 'ok');
    fake.setBehavior('openai', 'ok');
    await call('DELETE', '/api/settings/llm');
  });

  it('GET returns the defaults with an ETag when nothing is configured', async () => {
    const res = await call('GET', '/api/settings/llm');
    expect(res.status).toBe(200);
    // The defaults are core's (pinned by its tests): the server answers its service's view.
    const defaults = (await server.settings.service.get()).view;
    expect(defaults.api_key_set).toBe(false);
    expect(res.json()).toEqual(defaults);
    expect(res.headers.get('etag')).toMatch(/^"[^"]+"$/);
  });

  it('PUT stores settings, GET shows them masked, and the ETags agree', async () => {
    const put = await call('PUT', '/api/settings/llm', { body: { provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4.1' } });
    expect(put.status).toBe(200);
    expect(put.json()).toMatchObject({ provider: 'openai', model: 'gpt-4.1', api_key_set: true, api_key_masked: '...uvwx' });
    const get = await call('GET', '/api/settings/llm');
    expect(get.json()).toEqual(put.json());
    expect(get.headers.get('etag')).toBe(put.headers.get('etag'));
  });

  it('PUT without api_key keeps the stored key and uses the default model', async () => {
    await call('PUT', '/api/settings/llm', { body: { provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4.1' } });
    const res = await call('PUT', '/api/settings/llm', { body: { provider: 'openai' } });
    expect(res.json()).toMatchObject({ model: 'gpt-4o', api_key_masked: '...uvwx' });
    const test = await call('POST', '/api/settings/llm/test');
    expect(test.json()).toMatchObject({ success: true, code: 'ok' });
  });

  it('PUT honours If-Match: 412 on a stale tag, 200 on the current one', async () => {
    const first = await call('PUT', '/api/settings/llm', { body: { provider: 'openai', api_key: OPENAI_KEY } });
    const etag = first.headers.get('etag')!;
    const ok = await call('PUT', '/api/settings/llm', { body: { provider: 'openai', api_key: OPENAI_KEY, model: 'a' }, headers: { 'if-match': etag } });
    expect(ok.status).toBe(200);
    const stale = await call('PUT', '/api/settings/llm', { body: { provider: 'openai', api_key: OPENAI_KEY, model: 'b' }, headers: { 'if-match': etag } });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');
    expect(stale.json()).toMatchObject({ status: 412, code: 'SETTINGS.PRECONDITION_FAILED' });
    expect((await call('GET', '/api/settings/llm')).json().model).toBe('a');
  });

  it('DELETE answers 204 and the defaults come back', async () => {
    await call('PUT', '/api/settings/llm', { body: { provider: 'openai', api_key: OPENAI_KEY } });
    const res = await call('DELETE', '/api/settings/llm');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await call('GET', '/api/settings/llm')).json().api_key_set).toBe(false);
  });

  it('POST /test checks a candidate against the provider without storing it', async () => {
    const res = await call('POST', '/api/settings/llm/test', { body: { provider: 'anthropic', api_key: ANTHROPIC_KEY } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ success: true, code: 'ok', latency_ms: expect.any(Number) });
    expect((await call('GET', '/api/settings/llm')).json().api_key_set).toBe(false);
  });

  it('POST /test reports a rejected key as invalid_api_key without quoting it', async () => {
    fake.setBehavior('openai', 'unauthorized');
    const res = await call('POST', '/api/settings/llm/test', { body: { provider: 'openai', api_key: OPENAI_KEY } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ success: false, code: 'invalid_api_key' });
    expect(res.text).not.toContain(OPENAI_KEY.slice(-4));
  });

  it('POST /test reports a hanging provider as timeout', async () => {
    fake.setBehavior('anthropic', 'hang');
    const res = await call('POST', '/api/settings/llm/test', { body: { provider: 'anthropic', api_key: ANTHROPIC_KEY } });
    expect(res.json()).toMatchObject({ success: false, code: 'timeout' });
  });

  it('POST /test without a body and without stored settings is a not-configured problem', async () => {
    const res = await call('POST', '/api/settings/llm/test');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.json()).toMatchObject({ code: 'SETTINGS.NOT_CONFIGURED' });
  });

  it.each([
    ['invalid JSON', '{"provider":', 'VALIDATION'],
    ['a wrong type', { provider: 'openai', api_key: 42 }, 'VALIDATION.INVALID_INPUT'],
    ['an unknown field', { provider: 'openai', api_key: OPENAI_KEY, admin: true }, 'VALIDATION.INVALID_INPUT'],
    ['an unsupported provider', { provider: 'gemini', api_key: OPENAI_KEY }, 'VALIDATION.INVALID_INPUT'],
    ['a masked-looking key', { provider: 'openai', api_key: '...uvwx' }, 'VALIDATION.INVALID_INPUT'],
  ])('PUT with %s is a 400 problem and stores nothing', async (_name, body, code) => {
    const res = await call('PUT', '/api/settings/llm', { body });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = res.json();
    expect(problem).toMatchObject({ status: 400, title: expect.any(String), type: expect.any(String), detail: expect.any(String) });
    expect(problem.code).toContain(code);
    expect((await call('GET', '/api/settings/llm')).json().api_key_set).toBe(false);
  });

  it('rejects a body over 16 KiB with 413 and a non-JSON body with 415', async () => {
    const big = await call('PUT', '/api/settings/llm', { body: { provider: 'openai', model: 'm'.repeat(17 * 1024) } });
    expect(big.status).toBe(413);
    const text = await call('PUT', '/api/settings/llm', { body: 'provider=openai', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });

  it('answers unknown paths with 404 and wrong methods with 405 and Allow, as problems', async () => {
    const missing = await call('GET', '/api/nothing');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    const wrong = await call('PATCH', '/api/settings/llm');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toMatch(/GET/);
    expect(wrong.json()).toMatchObject({ status: 405 });
  });

  it('serves an OpenAPI 3.1 document and health endpoints', async () => {
    const doc = (await call('GET', '/api/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/settings/llm', '/api/settings/llm/test']));
    expect((await call('GET', '/healthz')).status).toBe(200);
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(200);
  });

  it('writes one pino JSON line per request with request id, method, route, status and duration', async () => {
    const res = await call('GET', '/api/settings/llm', { headers: { 'x-request-id': 'trace-42' } });
    expect(res.headers.get('x-request-id')).toBe('trace-42');
    const line = logs.lines.map((l) => JSON.parse(l)).find((l) => l.request_id === 'trace-42');
    expect(line).toMatchObject({ level: 30, method: 'GET', route: '/api/settings/llm', status: 200, duration_ms: expect.any(Number) });
  });

  it('never lets a key reach a response or a log line', async () => {
    fake.setBehavior('openai', 'unauthorized');
    await call('PUT', '/api/settings/llm', { body: { provider: 'openai', api_key: OPENAI_KEY } });
    await call('POST', '/api/settings/llm/test');
    await call('PUT', '/api/settings/llm', { body: `{"provider":"openai","api_key":"${ANTHROPIC_KEY}"` });
    await call('POST', '/api/settings/llm/test', { body: { provider: 'anthropic', api_key: ANTHROPIC_KEY, extra: 1 } });
    const everything = bodies.join('\n') + logs.text();
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(keyRunFinder(SECRETS)(everything)).toBeUndefined();
  });
});
