import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import type { RunningServer } from '../../src/serve.js';
import { CHROMIUM, SKIP_BROWSER_TESTS, launchChromium } from '../support/browser.js';
import { createSqliteDatabase, type TestDatabase } from '../support/databases.js';
import { captureLogs } from '../support/logs.js';
import { serveAgainstFake } from '../support/serve-against-fake.js';

/*
 * The loopback default (no SETTINGS_API_TOKEN) against the pages of the same machine's
 * other ports, in real Chromium: a dev server on http://127.0.0.1:<other port> or
 * http://localhost:<other port> (same-site with localhost:<port>) aims every request a
 * page can make without the user's help at the pass-through, /test and the model list,
 * whose effect is a provider call with the stored key even when the page cannot read
 * the answer. None of them may reach the provider. The settings page itself, served by
 * the server, still saves and tests through the same API.
 */

const KEYS = {
  openai: 'sk-proj-ORIGIN-PROOF-openai-key-7c1e9a',
  anthropic: 'sk-ant-api03-ORIGIN-PROOF-anthropic-key-2b4d',
};

/** Every route whose call reaches the provider with the stored key, by the method that does. */
const POST_TARGETS = [
  '/api/llm/openai/v1/chat/completions',
  '/api/llm/openai/v1/responses',
  '/api/llm/openai/v1/embeddings',
  '/api/llm/anthropic/v1/messages',
  '/api/llm/anthropic/v1/messages/count_tokens',
  '/api/settings/llm/test',
  '/api/settings/llm/models',
];
const GET_TARGETS = ['/api/llm/openai/v1/models', '/api/llm/anthropic/v1/models', '/api/settings/llm/models'];

/** What a page does with no help from the user, each run in the page against a list of URLs. */
const VECTORS = {
  'fetch GET': 'GET',
  'fetch POST of JSON': 'POST',
  'no-cors fetch GET': 'GET',
  'no-cors fetch POST of text/plain': 'POST',
  'no-cors fetch POST without a body': 'POST',
  'form post (text/plain) into a frame': 'POST',
  '<img src>': 'GET',
  '<script src>': 'GET',
} as const;
type Vector = keyof typeof VECTORS;

/**
 * Runs one vector against every URL, in the page, and resolves once the browser is done
 * with each (answer, error or load event): the server forwards before it answers, so by
 * then any provider call has been made. A string, not a function: the page runs it as
 * the attacker's own script would be, untouched by the test's transpiler.
 */
const ATTACK = `async ({ vector, urls, body }) => {
  const settle = (promise) => promise.then(() => 'answered', () => 'failed');
  const loaded = (element) => new Promise((resolve) => {
    element.onload = () => resolve('loaded');
    element.onerror = () => resolve('error');
    document.body.append(element);
  });
  const outcomes = [];
  for (const [index, url] of urls.entries()) {
    if (vector === 'fetch GET') outcomes.push(await settle(fetch(url)));
    else if (vector === 'fetch POST of JSON') outcomes.push(await settle(fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })));
    else if (vector === 'no-cors fetch GET') outcomes.push(await settle(fetch(url, { mode: 'no-cors' })));
    else if (vector === 'no-cors fetch POST of text/plain') outcomes.push(await settle(fetch(url, { mode: 'no-cors', method: 'POST', headers: { 'content-type': 'text/plain' }, body })));
    else if (vector === 'no-cors fetch POST without a body') outcomes.push(await settle(fetch(url, { mode: 'no-cors', method: 'POST' })));
    else if (vector === '<img src>') { const image = document.createElement('img'); image.src = url; outcomes.push(await loaded(image)); }
    else if (vector === '<script src>') { const script = document.createElement('script'); script.src = url; outcomes.push(await loaded(script)); }
    else if (vector === 'form post (text/plain) into a frame') {
      const frame = document.createElement('iframe');
      frame.name = 'frame' + index;
      document.body.append(frame);
      const form = document.createElement('form');
      form.method = 'post';
      form.enctype = 'text/plain';
      form.action = url;
      form.target = frame.name;
      const field = document.createElement('input');
      // text/plain posts "name=value": this name and value make the body a JSON object.
      field.name = body.slice(0, -2);
      field.value = '"}';
      field.type = 'hidden';
      form.append(field);
      document.body.append(form);
      form.submit();
      outcomes.push('submitted');
    } else throw new Error('unknown vector ' + vector);
  }
  return outcomes;
}`;
const ATTACK_BODY = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, input: 'x', x: '' });

/** A second web server on 127.0.0.1: the other port's pages, blank and without any policy. */
async function startOtherSite(): Promise<{ port: number; close(): Promise<void> }> {
  const site: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>another port</title><body></body>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  return {
    port: (site.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        site.closeAllConnections();
        site.close(() => resolve());
      }),
  };
}

const SKIPPED = `browser tests skipped: ${CHROMIUM} not installed`;
if (SKIP_BROWSER_TESTS) console.warn(SKIPPED);

describe.skipIf(SKIP_BROWSER_TESTS)(SKIP_BROWSER_TESTS ? SKIPPED : 'pages of other ports of this machine, in headless Chromium', () => {
  let fake: FakeProvider;
  let database: TestDatabase;
  let running: RunningServer;
  let other: Awaited<ReturnType<typeof startOtherSite>>;
  let browser: Browser;
  let context: BrowserContext;
  const port = () => new URL(running.url).port;

  /** Calls the API from the test, as a program on this machine does. */
  async function api(method: string, path: string, body?: unknown): Promise<number> {
    const init = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const response = await fetch(`${running.url}${path}`, init);
    await response.arrayBuffer();
    return response.status;
  }

  beforeAll(async () => {
    fake = await startFakeProvider();
    database = createSqliteDatabase();
    running = await serveAgainstFake(fake, { databaseUrl: database.url, logger: captureLogs().logger, env: { PROBE_TIMEOUT_MS: '2000' } });
    other = await startOtherSite();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await other?.close();
    await running?.close();
    await database?.drop();
    await fake?.close();
  });

  afterEach(async () => {
    await context?.close();
  });

  /** Opens the other port's page; records the status of every answer it gets from this server. */
  async function openOtherPage(origin: string): Promise<{ page: Page; statuses: Map<string, number[]> }> {
    context = await browser.newContext();
    const page = await context.newPage();
    const statuses = new Map<string, number[]>();
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.port !== port()) return;
      const key = `${response.request().method()} ${url.pathname}`;
      statuses.set(key, [...(statuses.get(key) ?? []), response.status()]);
    });
    await page.goto(`${origin}/`);
    return { page, statuses };
  }

  it.each(['openai', 'anthropic'] as const)(
    'a program on this machine reaches the provider through the same routes with the %s key stored (the attacks below could)',
    async (provider) => {
      expect(await api('PUT', '/api/settings/llm', { provider, api_key: KEYS[provider] })).toBe(200);
      fake.reset();
      expect(await api('GET', `/api/llm/${provider}/v1/models`)).toBe(200);
      expect(await api('POST', '/api/settings/llm/test')).toBe(200);
      expect(fake.requests.map((request) => request.apiKey)).toEqual([KEYS[provider], KEYS[provider]]);
    },
  );

  describe.each(['openai', 'anthropic'] as const)('with the %s key stored', (provider) => {
    beforeAll(async () => {
      expect(await api('PUT', '/api/settings/llm', { provider, api_key: KEYS[provider] })).toBe(200);
    });

    it.each([
      ['http://127.0.0.1', 'http://127.0.0.1'],
      ['http://127.0.0.1', 'http://localhost'],
      ['http://localhost', 'http://localhost'],
      ['http://localhost', 'http://127.0.0.1'],
    ])('a page of %s:<other port> calling %s:<port> makes the provider receive nothing, by any means', async (page, target) => {
      const { page: attacker, statuses } = await openOtherPage(`${page}:${other.port}`);
      const base = `${target}:${port()}`;
      fake.reset();
      for (const [vector, method] of Object.entries(VECTORS) as Array<[Vector, 'GET' | 'POST']>) {
        const urls = (method === 'GET' ? GET_TARGETS : POST_TARGETS).map((path) => `${base}${path}`);
        const answered =
          vector === 'form post (text/plain) into a frame'
            ? // A frame's navigation is over when its answer arrives, whatever the frame shows of it.
              Promise.all(urls.map((url) => attacker.waitForResponse((response) => response.url() === url && response.request().method() === 'POST')))
            : Promise.resolve();
        const outcomes = await attacker.evaluate(`(${ATTACK})(${JSON.stringify({ vector, urls, body: ATTACK_BODY })})`);
        await answered;
        expect(outcomes, vector).toHaveLength(urls.length);
        // Soft: a failure names every means that got through, not only the first.
        expect.soft(fake.requests.map((request) => `${request.method} ${request.path}`), `${vector} from ${page} to ${target}`).toEqual([]);
        fake.reset();
      }
      // Every answer the page got from the server was a refusal (a preflight refused leaves none).
      expect([...statuses.values()].flat().length).toBeGreaterThan(0);
      for (const [request, codes] of statuses) expect(new Set(codes), request).toEqual(new Set([403]));
    });
  });

  it('leaves the settings page working: opened from the server, it saves, tests and lists models through the API', async () => {
    expect(await api('DELETE', '/api/settings/llm')).toBe(204);
    for (const origin of [running.url, `http://localhost:${port()}`]) {
      context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      await page.locator('#settings').waitFor({ state: 'visible' });
      await page.locator('#model-select-field[aria-busy="false"]').waitFor({ state: 'attached' });
      await page.selectOption('#provider', 'openai');
      await page.locator('#model-select-field[aria-busy="false"]').waitFor({ state: 'attached' });
      fake.reset();
      await page.fill('#api-key', KEYS.openai);
      await page.click('#save-button');
      await page.locator('#status', { hasText: 'Settings saved.' }).waitFor();
      await page.click('#test-button');
      await page.locator('#status', { hasText: 'Test succeeded.' }).waitFor();
      expect(await page.locator('#test-subject').textContent()).toBe('the stored settings');
      // The page's own calls reached the provider with the key it saved.
      expect(fake.requests.length).toBeGreaterThan(0);
      expect(new Set(fake.requests.map((request) => request.apiKey))).toEqual(new Set([KEYS.openai]));
      await context.close();
      expect(await api('DELETE', '/api/settings/llm')).toBe(204);
    }
  });
});
