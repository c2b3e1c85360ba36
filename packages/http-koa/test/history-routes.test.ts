import { maskApiKey } from '@llm-settings/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPENAI_KEY, jsonRequest, startServer, type TestServer } from './helpers.js';

const TOKEN = 'history-routes-api-token-0123456789abcdef';
let server: TestServer;
let settingsUrl: string;

beforeEach(async () => {
  server = await startServer({ apiToken: TOKEN });
  settingsUrl = `${server.url}/api/settings/llm`;
});
afterEach(() => server.close());

const auth = (scope?: string) => ({ authorization: `Bearer ${TOKEN}`, ...(scope ? { 'llm-settings-scope': scope } : {}) });
const put = (body: unknown, scope?: string) => fetch(settingsUrl, jsonRequest('PUT', body, auth(scope)));
const get = (path: string, scope?: string) => fetch(`${server.url}${path}`, { headers: auth(scope) });

describe('inherit_from over HTTP', () => {
  it('PUT - a body of inherit_from alone links a scope, whose view then says where its key comes from, without its mask', async () => {
    expect((await put({ provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4o' }, 'team-3')).status).toBe(200);
    const linked = await put({ inherit_from: 'team-3' }, 'tenant-a');
    expect(linked.status).toBe(200);
    const view = await (await get('/api/settings/llm', 'tenant-a')).json();
    expect(view).toMatchObject({ provider: 'openai', model: 'gpt-4o', api_key_set: true, api_key_masked: null, api_key_source: 'inherited', inherit_from: 'team-3' });
    expect(JSON.stringify(view)).not.toContain(OPENAI_KEY.slice(-4));
  });

  it('PUT - a cycle is a 400 problem naming inherit_from', async () => {
    await put({ inherit_from: 'b' }, 'a');
    const refused = await put({ inherit_from: 'a' }, 'b');
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'VALIDATION.INVALID_INPUT', errors: [{ path: 'inherit_from' }] });
  });
});

describe('GET /api/settings/llm/history', () => {
  it('answers the scope entries newest first, by the admin actor, with a cursor to the next page, never a key or a mask', async () => {
    await put({ provider: 'openai', api_key: OPENAI_KEY }, 'team-3');
    await put({ provider: 'openai', model: 'gpt-4.1' }, 'team-3');
    await put({ inherit_from: 'elsewhere' }, 'team-3');
    await fetch(settingsUrl, { method: 'DELETE', headers: auth('team-3') });
    await put({ provider: 'openai', api_key: OPENAI_KEY }, 'other');

    const first = await get('/api/settings/llm/history?limit=3', 'team-3');
    expect(first.status).toBe(200);
    const text = await first.text();
    for (const secret of [OPENAI_KEY, maskApiKey(OPENAI_KEY), OPENAI_KEY.slice(-4)]) expect(text).not.toContain(secret);
    const page = JSON.parse(text);
    expect(page.entries.map((e: { action: string }) => e.action)).toEqual(['delete', 'inherit', 'update']);
    expect(page.entries[0]).toEqual({ at: expect.any(String), scope: 'team-3', action: 'delete', actor: 'admin', fields: ['provider', 'model', 'api_key', 'inherit_from'], api_key_changed: true });
    expect(page.next).toEqual(expect.any(String));

    const second = await (await get(`/api/settings/llm/history?limit=3&before=${page.next}`, 'team-3')).json();
    expect(second).toEqual({ entries: [expect.objectContaining({ action: 'update', fields: ['provider', 'model', 'api_key'] })], next: null });
  });

  it('refuses a limit out of range or a cursor that is not one, with a 400 problem', async () => {
    for (const query of ['limit=0', 'limit=500', 'before=x1']) expect((await get(`/api/settings/llm/history?${query}`)).status).toBe(400);
  });

  it('is protected like the other settings routes', async () => {
    expect((await fetch(`${server.url}/api/settings/llm/history`)).status).toBe(401);
  });
});
