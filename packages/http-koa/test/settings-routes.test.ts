import { LlmSettingsService, LlmSettingsViewSchema, defaultModelFor } from '@llm-settings/core';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '@llm-settings/core/testing';
import Koa from 'koa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpApp, type ProblemDetails } from '../src/index.js';
import { ANTHROPIC_KEY, OPENAI_KEY, jsonRequest, listen, startServer, type TestServer } from './helpers.js';

let server: TestServer;
let settingsUrl: string;

beforeEach(async () => {
  server = await startServer();
  settingsUrl = `${server.url}/api/settings/llm`;
});
afterEach(() => server.close());

async function save(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(settingsUrl, jsonRequest('PUT', body, headers));
}

describe('GET /api/settings/llm', () => {
  it('returns the defaults with the absent ETag when nothing is configured', async () => {
    const response = await fetch(settingsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('etag')).toBe('"0"');
    // The defaults are core's (pinned by its tests): the route answers the service's view.
    const defaults = (await server.service.get()).view;
    expect(defaults.api_key_set).toBe(false);
    expect(await response.json()).toEqual(defaults);
  });

  it('returns the saved settings with the key masked and the ETag of the save', async () => {
    const saved = await save({ provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4o-mini' });
    const response = await fetch(settingsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe(saved.headers.get('etag'));
    const text = await response.text();
    expect(text).not.toContain(OPENAI_KEY.slice(0, 12));
    const view = LlmSettingsViewSchema.parse(JSON.parse(text));
    expect(view).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', api_key_set: true, api_key_masked: `...${OPENAI_KEY.slice(-4)}` });
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const response = await fetch(settingsUrl, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"0"');
    expect(await response.text()).toBe('');
  });
});

describe('GET /api/settings/llm of a scope whose inherit_from chain grew too long', () => {
  const as = (scope: string) => ({ 'llm-settings-scope': scope });

  it('answers 409 SETTINGS.INHERITANCE_TOO_DEEP naming the scope, never the defaults, once links written child first make 5', async () => {
    // Each link is short when written: the check looks up the chain, not at the scopes already linked below.
    for (let child = 0; child < 5; child++) {
      expect((await fetch(settingsUrl, jsonRequest('PUT', { inherit_from: `chain-${child + 1}` }, as(`chain-${child}`)))).status).toBe(200);
    }
    expect((await fetch(settingsUrl, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }, as('chain-5')))).status).toBe(200);
    expect(await (await fetch(settingsUrl, { headers: as('chain-1') })).json()).toMatchObject({ api_key_source: 'inherited', inherit_from: 'chain-2' });

    for (const response of [await fetch(settingsUrl, { headers: as('chain-0') }), await fetch(`${settingsUrl}/test`, { method: 'POST', headers: as('chain-0') })]) {
      expect(response.status).toBe(409);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const text = await response.text();
      expect(text).not.toContain(OPENAI_KEY.slice(-8));
      const problem = JSON.parse(text) as ProblemDetails;
      expect(problem).toMatchObject({
        status: 409,
        code: 'SETTINGS.INHERITANCE_TOO_DEEP',
        type: 'urn:llm-settings:problem:settings.inheritance-too-deep',
        title: 'Inheritance chain too long',
      });
      expect(problem.detail).toContain('inherit_from chain of scope chain-0 is longer than 4 links');
      expect(problem.detail).not.toMatch(/chain-[1-5]/);
    }
  });
});

describe('GET /api/settings/llm over a service with a view cache', () => {
  /** The same answer from a server whose service caches views (frozen, serialized once) and one whose does not. */
  async function pair() {
    const store = createMemorySettingsStore();
    const cipher = createMemoryCipher();
    const cached = await startServer({ store, service: new LlmSettingsService({ store, cipher, probe: createScriptedProbe(), viewCache: true }) });
    const plain = await startServer({ store, cipher });
    return { cached, plain };
  }

  it('answers every GET as an uncached service does, byte for byte, and follows each save', async () => {
    const { cached, plain } = await pair();
    try {
      for (const body of [
        null,
        { provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4o-mini' },
        { provider: 'anthropic', api_key: ANTHROPIC_KEY, model: 'claude-"quoted"\\model' },
      ]) {
        if (body !== null) expect((await fetch(`${plain.url}/api/settings/llm`, jsonRequest('PUT', body))).status).toBe(200);
        const expected = await fetch(`${plain.url}/api/settings/llm`);
        const expectedText = await expected.text();
        // Twice: the second answer sends the JSON kept with the cached view.
        for (let i = 0; i < 2; i++) {
          const response = await fetch(`${cached.url}/api/settings/llm`);
          expect(await response.text()).toBe(expectedText);
          expect(headerNames(response)).toEqual(headerNames(expected));
          for (const header of ['content-type', 'content-length', 'etag', 'cache-control', 'x-content-type-options']) {
            expect(response.headers.get(header)).toBe(expected.headers.get(header));
          }
          expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
        }
        const head = await fetch(`${cached.url}/api/settings/llm`, { method: 'HEAD' });
        expect(head.headers.get('content-length')).toBe(expected.headers.get('content-length'));
        expect(await head.text()).toBe('');
      }
      // Answers from the cached JSON are logged as any other.
      const reads = cached.logger.entries();
      expect(reads).toHaveLength(9);
      for (const entry of reads) expect(entry).toMatchObject({ msg: 'http request', route: '/api/settings/llm', status: 200 });
    } finally {
      await cached.close();
      await plain.close();
    }
  });

  it('answers through Koa when mounted inside another app, whose middleware may change the answer after next()', async () => {
    const store = createMemorySettingsStore();
    const service = new LlmSettingsService({ store, cipher: createMemoryCipher(), probe: createScriptedProbe(), viewCache: true });
    const inner = createHttpApp({ service });
    const outer = new Koa();
    outer.use(async (ctx, next) => {
      await next();
      ctx.set('X-Outer', 'after');
    });
    outer.use((ctx, next) => runMiddleware(inner.middleware, ctx, next));
    const listening = await listen(outer);
    try {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${listening.url}/api/settings/llm`, { headers: { 'x-request-id': 'mounted-1' } });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-outer')).toBe('after');
        expect(response.headers.get('x-request-id')).toBe('mounted-1');
        expect(response.headers.get('etag')).toBe('"0"');
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(await response.json()).toMatchObject({ provider: 'anthropic', api_key_set: false });
      }
    } finally {
      await listening.close();
    }
  });
});

/** The response's header names but Date, sorted. */
function headerNames(response: Response): string[] {
  return [...response.headers.keys()].filter((name) => name !== 'date').sort();
}

/** Runs an app's middleware inside another app's request, as koa-mount does. */
function runMiddleware(middleware: Koa.Middleware[], ctx: Koa.Context, next: Koa.Next): Promise<unknown> {
  const run = (index: number): Promise<unknown> => {
    const current = middleware[index];
    return current === undefined ? next() : Promise.resolve(current(ctx, () => run(index + 1)));
  };
  return run(0);
}

describe('PUT /api/settings/llm', () => {
  it('saves and returns the view with a quoted ETag that changes on every save', async () => {
    const first = await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const firstTag = first.headers.get('etag');
    expect(firstTag).toMatch(/^"[^"]+"$/);
    expect(firstTag).not.toBe('"0"');
    const view = LlmSettingsViewSchema.parse(await first.json());
    expect(view).toMatchObject({ provider: 'anthropic', model: defaultModelFor('anthropic'), api_key_set: true });
    expect(view.updated_at).not.toBeNull();

    const second = await save({ provider: 'anthropic', model: 'claude-3-5-haiku-latest' });
    expect(second.status).toBe(200);
    expect(second.headers.get('etag')).not.toBe(firstTag);
    expect(await second.json()).toMatchObject({ model: 'claude-3-5-haiku-latest', api_key_masked: `...${ANTHROPIC_KEY.slice(-4)}` });
  });

  it('saves when If-Match carries the current ETag, and refuses a stale one with 412', async () => {
    const first = await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    const staleTag = first.headers.get('etag')!;
    const second = await save({ provider: 'openai', api_key: OPENAI_KEY }, { 'if-match': staleTag });
    expect(second.status).toBe(200);

    const refused = await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { 'if-match': staleTag });
    expect(refused.status).toBe(412);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({ status: 412, code: 'SETTINGS.PRECONDITION_FAILED' });
    expect(await (await fetch(settingsUrl)).json()).toMatchObject({ provider: 'openai' });
  });

  it('treats If-Match: * as "must exist"', async () => {
    expect((await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { 'if-match': '*' })).status).toBe(412);
    await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    expect((await save({ provider: 'openai', api_key: OPENAI_KEY }, { 'if-match': '*' })).status).toBe(200);
  });

  it('treats If-Match with the absent ETag "0" as create-only', async () => {
    expect((await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { 'if-match': '"0"' })).status).toBe(200);
    expect((await save({ provider: 'openai', api_key: OPENAI_KEY }, { 'if-match': '"0"' })).status).toBe(412);
  });

  it('never matches a weak tag, even one equal to the current ETag', async () => {
    const tag = (await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY })).headers.get('etag')!;
    const response = await save({ provider: 'openai', api_key: OPENAI_KEY }, { 'if-match': `W/${tag}` });
    expect(response.status).toBe(412);
  });

  it('holds when any strong tag of an If-Match list is the current ETag', async () => {
    const tag = (await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY })).headers.get('etag')!;
    const listed = await save({ provider: 'openai', api_key: OPENAI_KEY }, { 'if-match': `"0", W/"x", ${tag}` });
    expect(listed.status).toBe(200);
    const unlisted = await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { 'if-match': `"a", ${tag}` });
    expect(unlisted.status).toBe(412);
  });

  it('refuses a malformed If-Match with 400 naming the header', async () => {
    await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
    const response = await save({ provider: 'openai', api_key: OPENAI_KEY }, { 'if-match': 'unquoted-tag' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'VALIDATION.INVALID_INPUT', errors: [{ path: 'If-Match' }] });
  });

  it('treats If-None-Match: * as create-only, on PUT and DELETE, keeping the stored key', async () => {
    expect((await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY }, { 'if-none-match': '*' })).status).toBe(200);
    const refused = await save({ provider: 'openai', api_key: OPENAI_KEY }, { 'if-none-match': '*' });
    expect(refused.status).toBe(412);
    expect(await refused.json()).toMatchObject({ code: 'SETTINGS.PRECONDITION_FAILED' });
    expect((await fetch(settingsUrl, { method: 'DELETE', headers: { 'if-none-match': '*' } })).status).toBe(412);
    expect(await (await fetch(settingsUrl)).json()).toMatchObject({ provider: 'anthropic', api_key_masked: `...${ANTHROPIC_KEY.slice(-4)}` });
  });

  it('refuses a change when If-None-Match lists the current ETag, weak or not, and makes it otherwise', async () => {
    const tag = (await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY })).headers.get('etag')!;
    expect((await save({ provider: 'openai', api_key: OPENAI_KEY }, { 'if-none-match': `"a", W/${tag}` })).status).toBe(412);
    expect((await save({ provider: 'openai', api_key: OPENAI_KEY }, { 'if-none-match': tag, 'if-match': tag })).status).toBe(412);
    expect((await save({ provider: 'openai', api_key: OPENAI_KEY }, { 'if-none-match': '"a", "0"' })).status).toBe(200);
  });

  it('answers a GET or HEAD whose If-None-Match names the current ETag with 304 and no body, and a stale one with the settings', async () => {
    const tag = (await save({ provider: 'anthropic', api_key: ANTHROPIC_KEY })).headers.get('etag')!;
    for (const method of ['GET', 'HEAD']) {
      const unchanged = await fetch(settingsUrl, { method, headers: { 'if-none-match': `W/${tag}` } });
      expect(unchanged.status).toBe(304);
      expect(unchanged.headers.get('etag')).toBe(tag);
      expect(await unchanged.text()).toBe('');
    }
    const stale = await fetch(settingsUrl, { headers: { 'if-none-match': '"0"' } });
    expect(stale.status).toBe(200);
    expect(await stale.json()).toMatchObject({ provider: 'anthropic' });
  });

  it('answers a GET with the settings, never 304, when the view is inherited or the defaults, which their tag outlives', async () => {
    const as = (scope: string, headers: Record<string, string> = {}) => ({ 'llm-settings-scope': scope, ...headers });
    const defaults = await fetch(settingsUrl, { headers: as('fresh-scope') });
    expect((await fetch(settingsUrl, { headers: as('fresh-scope', { 'if-none-match': defaults.headers.get('etag')! }) })).status).toBe(200);
    await fetch(settingsUrl, jsonRequest('PUT', { provider: 'anthropic', api_key: ANTHROPIC_KEY }, as('team')));
    await fetch(settingsUrl, jsonRequest('PUT', { inherit_from: 'team' }, as('tenant')));
    const tag = (await fetch(settingsUrl, { headers: as('tenant') })).headers.get('etag')!;
    await fetch(settingsUrl, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }, as('team')));
    const changed = await fetch(settingsUrl, { headers: as('tenant', { 'if-none-match': tag }) });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ provider: 'openai', api_key_source: 'inherited' });
  });

  it('refuses a malformed If-None-Match on a change with 400 naming the header', async () => {
    const response = await save({ provider: 'openai', api_key: OPENAI_KEY }, { 'if-none-match': 'unquoted-tag' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'VALIDATION.INVALID_INPUT', errors: [{ path: 'If-None-Match' }] });
  });

  it.each([
    ['an unsupported provider', { provider: 'mistral', api_key: ANTHROPIC_KEY }, 'provider'],
    ['a wrong type', { provider: 'openai', api_key: 12345 }, 'api_key'],
    ['an unknown field', { provider: 'openai', api_key: OPENAI_KEY, temperature: 1 }, '(body)'],
    ['a masked-looking key', { provider: 'openai', api_key: '...abcd' }, 'api_key'],
    ['a missing provider', { api_key: OPENAI_KEY }, 'provider'],
    ['a JSON array', [{ provider: 'openai' }], '(body)'],
  ])('refuses %s with 400 and the field in errors', async (_what, body, path) => {
    const response = await save(body);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as ProblemDetails;
    expect(problem).toMatchObject({ status: 400, code: 'VALIDATION.INVALID_INPUT', type: 'urn:llm-settings:problem:validation.invalid-input' });
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.any(String) })]));
    expect((await fetch(settingsUrl)).headers.get('etag')).toBe('"0"');
  });

  it('refuses a first save without a key with 400 VALIDATION.API_KEY_REQUIRED', async () => {
    const response = await save({ provider: 'openai' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'VALIDATION.API_KEY_REQUIRED', errors: [{ path: 'api_key' }] });
  });

  it('refuses invalid JSON with 400 without echoing any of it', async () => {
    const response = await fetch(settingsUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: `{"provider": "anthropic", "api_key": "${ANTHROPIC_KEY}",`,
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ code: 'VALIDATION.INVALID_INPUT', errors: [{ path: '(body)' }] });
    expect(text).not.toContain(ANTHROPIC_KEY.slice(0, 10));
    expect(text).not.toContain('anthropic');
    expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('refuses a top-level JSON string with 400 (strict JSON: objects only)', async () => {
    const response = await fetch(settingsUrl, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '"openai"' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'VALIDATION.INVALID_INPUT' });
  });

  it('rejects __proto__ and constructor payloads without polluting any prototype', async () => {
    const payloads = [
      `{"provider":"openai","api_key":"${OPENAI_KEY}","__proto__":{"polluted":"yes"}}`,
      `{"provider":"openai","api_key":"${OPENAI_KEY}","constructor":{"prototype":{"polluted":"yes"}}}`,
      `{"provider":"openai","api_key":"${OPENAI_KEY}","constructor":"x"}`,
    ];
    for (const body of payloads) {
      const response = await fetch(settingsUrl, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'VALIDATION.INVALID_INPUT' });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect((await fetch(settingsUrl)).headers.get('etag')).toBe('"0"');
  });

  it('refuses a body over maxBodyBytes with 413, announced by Content-Length', async () => {
    const body = JSON.stringify({ provider: 'openai', api_key: OPENAI_KEY, model: 'm'.repeat(20_000) });
    const response = await fetch(settingsUrl, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ status: 413, code: 'HTTP.PAYLOAD_TOO_LARGE' });
  });

  it('refuses a chunked body over maxBodyBytes with 413', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(4096));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(settingsUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'HTTP.PAYLOAD_TOO_LARGE' });
  });

  it('refuses a non-JSON body with 415', async () => {
    const response = await fetch(settingsUrl, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ provider: 'openai', api_key: OPENAI_KEY }),
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ status: 415, code: 'HTTP.UNSUPPORTED_MEDIA_TYPE' });
    expect((await fetch(settingsUrl)).headers.get('etag')).toBe('"0"');
  });

  it('refuses a PUT without a body with 415', async () => {
    const response = await fetch(settingsUrl, { method: 'PUT' });
    expect(response.status).toBe(415);
  });

  it('accepts application/json with a charset parameter', async () => {
    const response = await fetch(settingsUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ provider: 'openai', api_key: OPENAI_KEY }),
    });
    expect(response.status).toBe(200);
  });
});

describe('DELETE /api/settings/llm', () => {
  it('removes the settings with 204, after which GET shows the defaults', async () => {
    await save({ provider: 'openai', api_key: OPENAI_KEY });
    const response = await fetch(settingsUrl, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    const after = await fetch(settingsUrl);
    expect(after.headers.get('etag')).toBe('"0"');
    expect(await after.json()).toMatchObject({ api_key_set: false });
  });

  it('answers 204 when nothing is stored', async () => {
    expect((await fetch(settingsUrl, { method: 'DELETE' })).status).toBe(204);
  });

  it('honours If-Match: 412 on a stale tag (keeping the settings), 204 on the current one', async () => {
    const first = (await save({ provider: 'openai', api_key: OPENAI_KEY })).headers.get('etag')!;
    const current = (await save({ provider: 'openai', model: 'gpt-4.1' })).headers.get('etag')!;

    const refused = await fetch(settingsUrl, { method: 'DELETE', headers: { 'if-match': first } });
    expect(refused.status).toBe(412);
    expect(await refused.json()).toMatchObject({ code: 'SETTINGS.PRECONDITION_FAILED' });
    expect(await (await fetch(settingsUrl)).json()).toMatchObject({ api_key_set: true });

    expect((await fetch(settingsUrl, { method: 'DELETE', headers: { 'if-match': current } })).status).toBe(204);
    expect(await (await fetch(settingsUrl)).json()).toMatchObject({ api_key_set: false });
  });
});

describe('scopes over HTTP (LLM-Settings-Scope)', () => {
  it('keeps each scope apart on every settings route; without the header, the default scope', async () => {
    const server = await startServer();
    try {
      const url = `${server.url}/api/settings/llm`;
      const scoped = (scope: string) => ({ 'llm-settings-scope': scope });
      expect((await fetch(url, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }, scoped('tenant-a')))).status).toBe(200);
      expect((await fetch(url, jsonRequest('PUT', { provider: 'anthropic', api_key: ANTHROPIC_KEY }, scoped('tenant-b')))).status).toBe(200);
      expect(await (await fetch(url, { headers: scoped('tenant-a') })).json()).toMatchObject({ provider: 'openai', api_key_set: true });
      expect(await (await fetch(url, { headers: scoped('tenant-b') })).json()).toMatchObject({ provider: 'anthropic', api_key_set: true });
      expect(await (await fetch(url)).json()).toMatchObject({ api_key_set: false });
      expect(await (await fetch(`${url}/test`, { method: 'POST', headers: scoped('tenant-b') })).json()).toMatchObject({ success: true });
      expect((await fetch(`${url}/test`, { method: 'POST' })).status).toBe(409);
      expect((await fetch(url, { method: 'DELETE', headers: scoped('tenant-a') })).status).toBe(204);
      expect(await (await fetch(url, { headers: scoped('tenant-a') })).json()).toMatchObject({ api_key_set: false });
      expect(await (await fetch(url, { headers: scoped('tenant-b') })).json()).toMatchObject({ api_key_set: true });
    } finally {
      await server.close();
    }
  });

  it.each(['', 'has space', '-leading-dash', 'x'.repeat(129), 'tenant/../b', 'sk-proj-KEYASSCOPE-Zq7vXw4TnLpR2mKc9H'])('refuses the scope %j with a 400 naming the header, not the value', async (scope) => {
    const server = await startServer();
    try {
      for (const init of [{ headers: { 'llm-settings-scope': scope } }, jsonRequest('PUT', { provider: 'openai', api_key: OPENAI_KEY }, { 'llm-settings-scope': scope })]) {
        const response = await fetch(`${server.url}/api/settings/llm`, init);
        expect(response.status).toBe(400);
        const problem = (await response.json()) as ProblemDetails;
        expect(problem).toMatchObject({ code: 'VALIDATION.INVALID_INPUT', errors: [{ path: 'LLM-Settings-Scope' }] });
        if (scope.length > 3) expect(JSON.stringify(problem)).not.toContain(scope);
      }
      expect(await (await fetch(`${server.url}/api/settings/llm`)).json()).toMatchObject({ api_key_set: false });
    } finally {
      await server.close();
    }
  });
});
