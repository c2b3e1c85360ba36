import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { fakeAnswerText, startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { serve, type RunningServer } from '../src/serve.js';
import { captureLogs } from './support/logs.js';
import { CLI, assertBuilt, run } from './support/processes.js';

const TOKEN = 'e2e-endpoint-binding-token-0123456789';
/** Random: it tells this run's requests from others', which can reach a port a fake took over. */
const KEY = `sk-or-v1-ENDPOINT-BOUND-${randomUUID()}`;
const MODEL = 'openai/gpt-4o';

let dir: string;
let before: FakeProvider;
let after: FakeProvider;
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'llm-endpoint-'));
  [before, after] = await Promise.all([startFakeProvider(), startFakeProvider()]);
  env = {
    DATABASE_URL: `sqlite:${join(dir, 'settings.db')}`,
    ENCRYPTION_KEY: generateFernetKey(),
    PORT: '0',
    SETTINGS_API_TOKEN: TOKEN,
    LLM_PROVIDERS: 'openai,openrouter',
  };
});

afterAll(async () => {
  await Promise.all([before?.close(), after?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The server as `serve` runs it, with OpenRouter at `root`. */
function serveAt(root: string): Promise<RunningServer> {
  return serve({ env: { ...env, OPENROUTER_BASE_URL: root }, logger: captureLogs().logger });
}

function call(server: RunningServer, path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

function chat(server: RunningServer) {
  const client = new OpenAI({ apiKey: TOKEN, baseURL: `${server.url}/api/llm/openrouter/v1`, maxRetries: 0 });
  return client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] });
}

describe('a key bound to the origin its provider had when it was saved', () => {
  it('is not sent to a new origin until the operator confirms the move with `llm-settings confirm-endpoint`', async () => {
    const first = await serveAt(before.baseUrls.openrouter!);
    try {
      expect((await call(first, '/api/settings/llm', { method: 'PUT', body: { provider: 'openrouter', api_key: KEY } })).status).toBe(200);
      expect((await chat(first)).choices[0]?.message.content).toBe(fakeAnswerText(MODEL, 1));
      expect(before.requests.at(-1)).toMatchObject({ provider: 'openrouter', apiKey: KEY });
    } finally {
      await first.close();
    }

    const oldOrigin = new URL(before.baseUrls.openrouter!).origin;
    const newOrigin = new URL(after.baseUrls.openrouter!).origin;
    const moved = await serveAt(after.baseUrls.openrouter!);
    try {
      const error = await chat(moved).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.ConflictError);
      for (const path of ['/api/settings/llm/test', '/api/settings/llm/models?provider=openrouter']) {
        const response = await call(moved, path, path.endsWith('test') ? { method: 'POST' } : {});
        expect(response.status, path).toBe(409);
        const problem = (await response.json()) as { code: string; detail: string };
        expect(problem.code).toBe('SETTINGS.ENDPOINT_CHANGED');
        expect(problem.detail).toContain(`openrouter at ${oldOrigin}`);
        expect(problem.detail).toContain(`now configured at ${newOrigin}`);
        expect(problem.detail).not.toContain(KEY);
      }
      await expect(moved.settings.client()).rejects.toMatchObject({ code: 'SETTINGS.ENDPOINT_CHANGED' });
      // Reading the settings still works: the key is only not used.
      expect((await call(moved, '/api/settings/llm')).status).toBe(200);
      expect(after.requestsCarrying(KEY)).toEqual([]);
    } finally {
      await moved.close();
    }

    const confirmed = await run('node', [CLI, 'confirm-endpoint', '--provider', 'openrouter'], { ...env, OPENROUTER_BASE_URL: after.baseUrls.openrouter! });
    expect(confirmed).toMatchObject({ code: 0 });
    expect(confirmed.output).toContain(`Bound 1 of 1 stored openrouter key(s) to ${newOrigin}, in `);
    expect(confirmed.output).not.toContain(KEY);

    const again = await serveAt(after.baseUrls.openrouter!);
    try {
      expect((await chat(again)).choices[0]?.message.content).toBe(fakeAnswerText(MODEL, 1));
      expect(after.requests.at(-1)).toMatchObject({ provider: 'openrouter', apiKey: KEY });
    } finally {
      await again.close();
    }
  });

  it('keeps the settings of a provider the operator disables since, shown as not enabled, and refuses to use them', async () => {
    const enabled = await serveAt(before.baseUrls.openrouter!);
    try {
      const put = await fetch(`${enabled.url}/api/settings/llm`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'llm-settings-scope': 'kept' },
        body: JSON.stringify({ provider: 'openrouter', api_key: KEY }),
      });
      expect(put.status).toBe(200);
    } finally {
      await enabled.close();
    }
    const disabled = await serve({ env: { ...env, LLM_PROVIDERS: 'openai' }, logger: captureLogs().logger });
    try {
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'llm-settings-scope': 'kept' };
      const view = await (await fetch(`${disabled.url}/api/settings/llm`, { headers })).json();
      expect(view).toMatchObject({ provider: 'openrouter', api_key_set: true, provider_enabled: false });
      const test = await fetch(`${disabled.url}/api/settings/llm/test`, { method: 'POST', headers });
      expect(test.status).toBe(409);
      expect(await test.json()).toMatchObject({ code: 'SETTINGS.PROVIDER_DISABLED' });
      await expect(disabled.settings.client({ scope: 'kept' })).rejects.toMatchObject({ code: 'SETTINGS.PROVIDER_DISABLED' });
      // Its pass-through is not served at all.
      expect((await fetch(`${disabled.url}/api/llm/openrouter/v1/models`, { headers })).status).toBe(404);
    } finally {
      await disabled.close();
    }
  });

  it('confirm-endpoint without --provider says what it needs, with exit code 2', async () => {
    const { code, output } = await run('node', [CLI, 'confirm-endpoint'], env);
    expect(code).toBe(2);
    expect(output).toContain('confirm-endpoint needs --provider <id>, each once (and nothing else)');
  });
});
