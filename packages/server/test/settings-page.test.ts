import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import type { RunningServer } from '../src/serve.js';
import { CHROMIUM, SKIP_BROWSER_TESTS, launchChromium, watchPageProblems } from './support/browser.js';
import { createSqliteDatabase, type TestDatabase } from './support/databases.js';
import { captureLogs } from './support/logs.js';
import { serveAgainstFake } from './support/serve-against-fake.js';
import { REPO_ROOT } from './support/processes.js';

/**
 * The browser globals that the functions given to page.evaluate use (they run in the
 * page). Declared here, not through the DOM lib, which would retype Node's globals for
 * every package in the type check.
 */
interface PageElement {
  readonly id: string;
  readonly value: string;
  readonly labels: { readonly length: number } | null;
  textContent: string | null;
}
declare const document: {
  readonly documentElement: { readonly outerHTML: string };
  readonly activeElement: PageElement | null;
  readonly body: { append(node: PageElement): void };
  querySelectorAll(selectors: string): Iterable<PageElement>;
  createElement(tag: 'script'): PageElement;
};
declare const sessionStorage: { readonly length: number };
declare const localStorage: { readonly length: number };
declare const window: { inlineRan?: boolean };

const OPENAI_KEY = 'sk-proj-PAGE-SECRET-openai-key-4f7a9c2e';
const ANTHROPIC_KEY = 'sk-ant-api03-PAGE-SECRET-anthropic-key-b81d';
const REFUSED_KEY = 'sk-proj-PAGE-REFUSED-key-0000aaaa';
const API_TOKEN = 'page-test-token-7d2c9e41b0';
const SECRETS = [OPENAI_KEY, ANTHROPIC_KEY, REFUSED_KEY];
/** A model only the fake provider's live list has: seeing it in the page proves the list is live. */
const LIVE_ONLY_MODEL = 'gpt-4.1-fake-live';
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/** One server on its own SQLite file, talking to the fake provider. */
async function startServer(fake: FakeProvider, env: Record<string, string> = {}): Promise<{ server: RunningServer; database: TestDatabase }> {
  const database = createSqliteDatabase();
  const server = await serveAgainstFake(fake, { databaseUrl: database.url, logger: captureLogs().logger, env: { PROBE_TIMEOUT_MS: '2000', ...env } });
  return { server, database };
}

const SKIPPED = `browser tests skipped: ${CHROMIUM} not installed`;
// The reporter names a skipped file, not why: say it once, plainly.
if (SKIP_BROWSER_TESTS) console.warn(SKIPPED);

describe.skipIf(SKIP_BROWSER_TESTS)(SKIP_BROWSER_TESTS ? SKIPPED : 'settings page in headless Chromium', () => {
  let fake: FakeProvider;
  let main: { server: RunningServer; database: TestDatabase };
  let browser: Browser;
  let context: BrowserContext;
  /** The problems of every page a test opened with openPage. */
  const watched: Array<{ problems: string[] }> = [];

  /** Calls the API from the test, as another client would (behind the page's back). */
  async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${main.server.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, etag: response.headers.get('etag'), json: text === '' ? null : JSON.parse(text) };
  }

  /** Opens the page in a new tab and waits until it shows the settings and its model choice. */
  async function openPage(url = main.server.url): Promise<Page> {
    const page = await context.newPage();
    watched.push(watchPageProblems(page));
    await page.goto(`${url}/`);
    return page;
  }

  async function settled(page: Page): Promise<void> {
    await page.locator('#settings').waitFor({ state: 'visible' });
    await page.locator('#model-select-field[aria-busy="false"]').waitFor({ state: 'attached' });
  }

  async function statusText(page: Page, expected: string): Promise<void> {
    await page.locator('#status', { hasText: expected }).waitFor();
  }

  /** Nothing the page holds (DOM, field values, storage) contains a provider key. */
  async function assertNoKeyInBrowser(page: Page): Promise<void> {
    const held = await page.evaluate(() => ({
      html: document.documentElement.outerHTML,
      values: [...document.querySelectorAll('input, select')].map((element) => element.value),
      session: JSON.stringify({ ...sessionStorage }),
      local: JSON.stringify({ ...localStorage }),
    }));
    for (const secret of SECRETS) {
      expect(held.html).not.toContain(secret);
      expect(held.values.join('\n')).not.toContain(secret);
      expect(held.session).not.toContain(secret);
      expect(held.local).not.toContain(secret);
    }
  }

  beforeAll(async () => {
    fake = await startFakeProvider({ models: { openai: ['gpt-4o', 'gpt-4.1', LIVE_ONLY_MODEL] } });
    main = await startServer(fake);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await main?.server.close();
    await main?.database.drop();
    await fake?.close();
  });

  beforeEach(async () => {
    fake.reset();
    watched.length = 0;
    await api('DELETE', '/api/settings/llm');
    context = await browser.newContext();
  });

  afterEach(async () => {
    await context?.close();
    // No test may leave a CSP violation or an uncaught error behind.
    expect(watched.flatMap((page) => page.problems)).toEqual([]);
  });

  it('saves a key, shows only its mask, after a reload too, and keeps the key nowhere in the browser', async () => {
    const page = await openPage();
    await settled(page);
    expect(await page.locator('#current-key').textContent()).toBe('none stored');
    expect(await page.locator('#current-updated').textContent()).toContain('never');

    await page.selectOption('#provider', 'openai');
    await page.locator('#model-select-field[aria-busy="false"]').waitFor({ state: 'attached' });
    await page.fill('#api-key', OPENAI_KEY);
    await page.click('#save-button');
    await statusText(page, 'Settings saved.');

    const stored = await api('GET', '/api/settings/llm');
    expect(stored.json).toMatchObject({ provider: 'openai', api_key_set: true });
    expect(await page.locator('#current-key').textContent()).toBe(stored.json.api_key_masked);
    expect(await page.locator('#current-provider').textContent()).toBe('OpenAI');
    expect(await page.locator('#current-updated time').getAttribute('datetime')).toBe(stored.json.updated_at);
    expect(await page.inputValue('#api-key')).toBe('');
    await assertNoKeyInBrowser(page);

    await page.reload();
    await settled(page);
    expect(await page.locator('#current-key').textContent()).toBe(stored.json.api_key_masked);
    expect(await page.locator('#current-model').textContent()).toContain(stored.json.model);
    await assertNoKeyInBrowser(page);
  });

  it('tests a good key, a refused key and the stored settings, showing outcome, code and latency', async () => {
    fake.setKeyBehavior('openai', REFUSED_KEY, 'unauthorized');
    const page = await openPage();
    await settled(page);
    await page.selectOption('#provider', 'openai');
    await page.locator('#model-select-field[aria-busy="false"]').waitFor({ state: 'attached' });

    await page.fill('#api-key', OPENAI_KEY);
    await page.click('#test-button');
    await statusText(page, 'Test succeeded.');
    expect(await page.locator('#test-outcome').textContent()).toMatch(/^✓ Success/);
    expect(await page.locator('#test-code').textContent()).toBe('ok');
    expect(await page.locator('#test-latency').textContent()).toMatch(/^\d+ ms$/);
    expect(await page.locator('#test-subject').textContent()).toContain('entered');

    await page.fill('#api-key', REFUSED_KEY);
    await page.click('#test-button');
    await statusText(page, 'Test failed');
    expect(await page.locator('#test-outcome').textContent()).toMatch(/^✗ Failed/);
    expect(await page.locator('#test-code').textContent()).toBe('invalid_api_key');
    // Testing stores nothing.
    expect((await api('GET', '/api/settings/llm')).json.api_key_set).toBe(false);

    await api('PUT', '/api/settings/llm', { provider: 'openai', api_key: OPENAI_KEY });
    await page.fill('#api-key', '');
    await page.click('#test-button');
    await statusText(page, 'Test succeeded.');
    expect(await page.locator('#test-subject').textContent()).toBe('the stored settings');
    // The tests' own provider calls (a model lookup; a pasted key also lists its models).
    const lookups = fake.requests.filter((request) => request.provider === 'openai' && /\/models\/[^/?]+/.test(request.path));
    expect(lookups.map((request) => request.apiKey)).toEqual([OPENAI_KEY, REFUSED_KEY, OPENAI_KEY]);
  });

  it('offers the live model list of the stored key and of a pasted key, and saves the model picked', async () => {
    await api('PUT', '/api/settings/llm', { provider: 'openai', api_key: OPENAI_KEY });
    const page = await openPage();
    await settled(page);
    expect(await page.locator('#model-source').textContent()).toContain('listed live by the stored key');
    const options = await page.locator('#model-select option').evaluateAll((all) => all.map((option: PageElement) => option.value));
    expect(options).toContain(LIVE_ONLY_MODEL);

    await page.selectOption('#model-select', LIVE_ONLY_MODEL);
    await page.click('#save-button');
    await statusText(page, 'Settings saved.');
    expect((await api('GET', '/api/settings/llm')).json.model).toBe(LIVE_ONLY_MODEL);

    // A key pasted for the other provider lists that key's models, when asked, before anything is saved.
    await page.selectOption('#provider', 'anthropic');
    await page.fill('#api-key', ANTHROPIC_KEY);
    await page.click('#list-models-button');
    await page.locator('#model-source', { hasText: 'the key you entered' }).waitFor();
    const anthropicOptions = await page.locator('#model-select option').evaluateAll((all) => all.map((option: PageElement) => option.value));
    expect(anthropicOptions).toContain('claude-sonnet-4-20250514');

    // A key the provider refuses says so; the catalogue stays to choose from.
    fake.setKeyBehavior('anthropic', REFUSED_KEY, 'unauthorized');
    await page.fill('#api-key', REFUSED_KEY);
    await page.click('#list-models-button');
    await page.locator('#model-source', { hasText: 'Built-in catalogue. The key you entered did not list its models (invalid_api_key).' }).waitFor();
    expect(fake.requests.some((request) => request.provider === 'anthropic' && request.apiKey === ANTHROPIC_KEY)).toBe(true);
    expect((await api('GET', '/api/settings/llm')).json.provider).toBe('openai');
  });

  it('sends a typed key nowhere until a button is pressed: pasted before the provider was chosen, it never reaches the other one', async () => {
    const page = await openPage();
    await settled(page);
    expect(await page.inputValue('#provider')).toBe('anthropic');
    const sentWith = (key: string) => fake.requests.filter((request) => request.apiKey === key).map((request) => request.provider);
    const typed = `${OPENAI_KEY.slice(0, -6)}TYPED1`;
    await page.fill('#api-key', typed);
    await page.locator('#api-key').blur();
    await page.selectOption('#provider', 'openai');
    await page.locator('#model-select-field[aria-busy="false"]').waitFor({ state: 'attached' });
    await page.locator('#model-source', { hasText: 'Built-in catalogue' }).waitFor();
    expect(sentWith(typed)).toEqual([]);

    await page.click('#list-models-button');
    await page.locator('#model-source', { hasText: 'the key you entered' }).waitFor();
    expect(new Set(sentWith(typed))).toEqual(new Set(['openai']));
  });

  it('deletes the settings only after the confirmation', async () => {
    await api('PUT', '/api/settings/llm', { provider: 'openai', api_key: OPENAI_KEY });
    const page = await openPage();
    await settled(page);

    await page.click('#delete-button');
    await page.locator('#delete-dialog').waitFor({ state: 'visible' });
    await page.click('#delete-cancel');
    await page.locator('#delete-dialog').waitFor({ state: 'hidden' });
    expect((await api('GET', '/api/settings/llm')).json.api_key_set).toBe(true);

    await page.click('#delete-button');
    await page.click('#delete-confirm');
    await statusText(page, 'Settings deleted');
    expect(await page.locator('#current-key').textContent()).toBe('none stored');
    expect((await api('GET', '/api/settings/llm')).json.api_key_set).toBe(false);
  });

  it('shows the last 30 days of usage as a table, the model as text', async () => {
    await api('PUT', '/api/settings/llm', { provider: 'openai', api_key: OPENAI_KEY });
    const today = new Date().toISOString().slice(0, 10);
    const calls = async () => ((await api('GET', `/api/settings/llm/usage?from=${today}&to=${today}`)).json.rows as Array<{ model: string; calls: number }>).find((row) => row.model === 'gpt-4o')?.calls ?? 0;
    const before = await calls();
    for (let i = 0; i < 2; i++) {
      const answer = await api('POST', '/api/llm/openai/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.status).toBe(200);
    }
    // A call is counted when its answer closes; the page reads what this process counted.
    await expect.poll(calls).toBe(before + 2);
    const page = await openPage();
    await settled(page);
    await page.locator('#usage-table').waitFor({ state: 'visible' });
    const row = page.locator('#usage-rows tr', { hasText: 'gpt-4o' }).first();
    expect((await row.locator('td').allTextContents()).slice(0, 5)).toEqual([today, 'OpenAI', 'gpt-4o', String(before + 2), '0']);
    expect(await page.locator('#usage-empty').isHidden()).toBe(true);
  });

  it('explains a conflicting change (412), loses neither write, and saves after a reload', async () => {
    const page = await openPage();
    await settled(page);
    // Another client saves after the page has read the settings.
    await api('PUT', '/api/settings/llm', { provider: 'anthropic', api_key: ANTHROPIC_KEY });

    await page.selectOption('#provider', 'openai');
    await page.locator('#model-select-field[aria-busy="false"]').waitFor({ state: 'attached' });
    await page.fill('#api-key', OPENAI_KEY);
    await page.click('#save-button');
    await page.locator('#conflict').waitFor({ state: 'visible' });
    await statusText(page, 'changed elsewhere');
    expect((await api('GET', '/api/settings/llm')).json.provider).toBe('anthropic');
    // The refused save kept what was typed.
    expect(await page.inputValue('#api-key')).toBe(OPENAI_KEY);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('reload-button');

    await page.keyboard.press('Enter');
    await page.locator('#conflict').waitFor({ state: 'hidden' });
    await settled(page);
    expect(await page.locator('#current-provider').textContent()).toBe('Anthropic');
    await page.selectOption('#provider', 'openai');
    await page.locator('#model-select-field[aria-busy="false"]').waitFor({ state: 'attached' });
    await page.click('#save-button');
    await statusText(page, 'Settings saved.');
    expect((await api('GET', '/api/settings/llm')).json).toMatchObject({ provider: 'openai', api_key_masked: expect.stringMatching(/9c2e$/) });
  });

  it('offers the providers the server enables, by their names, and saves a keyless one without a key', async () => {
    const other = await startServer(fake, { LLM_PROVIDERS: 'groq,ollama,openai', GROQ_BASE_URL: fake.baseUrls.groq!, OLLAMA_BASE_URL: fake.baseUrls.ollama! });
    try {
      const page = await openPage(other.server.url);
      await settled(page);
      const options = await page.locator('#provider option').evaluateAll((nodes) => nodes.map((node) => [(node as unknown as PageElement).value, (node as unknown as PageElement).textContent]));
      expect(options).toEqual([
        ['groq', 'Groq'],
        ['ollama', 'Ollama'],
        ['openai', 'OpenAI'],
      ]);
      expect(await page.inputValue('#provider')).toBe('groq');
      await page.selectOption('#provider', 'ollama');
      await settled(page);
      expect(await page.getAttribute('#api-key', 'placeholder')).toContain('Not needed');
      // Nothing is stored yet: the test is of the keyless provider as chosen, without a key.
      await page.click('#test-button');
      await statusText(page, 'Test succeeded.');
      await page.click('#save-button');
      await statusText(page, 'Settings saved.');
      const saved = await fetch(`${other.server.url}/api/settings/llm`);
      expect(await saved.json()).toMatchObject({ provider: 'ollama', api_key_set: false });
    } finally {
      await other.server.close();
      await other.database.drop();
    }
  });

  it('asks for the API token once per tab, refuses a wrong one, and keeps it in sessionStorage only', async () => {
    const guarded = await startServer(fake, { SETTINGS_API_TOKEN: API_TOKEN });
    try {
      const page = await openPage(guarded.server.url);
      await page.locator('#token-section').waitFor({ state: 'visible' });
      expect(await page.locator('#settings').isHidden()).toBe(true);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');

      await page.fill('#token', 'not-the-right-token-000');
      await page.keyboard.press('Enter');
      await statusText(page, 'The API token was refused');
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

      await page.fill('#token', API_TOKEN);
      await page.keyboard.press('Enter');
      await settled(page);
      expect(await page.inputValue('#token')).toBe('');
      expect(await page.evaluate(() => Object.values({ ...sessionStorage }))).toEqual([API_TOKEN]);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);

      // Same tab: no new prompt. A new tab is a new session: asked again.
      await page.reload();
      await settled(page);
      expect(await page.locator('#token-section').isHidden()).toBe(true);
      const other = await openPage(guarded.server.url);
      await other.locator('#token-section').waitFor({ state: 'visible' });
    } finally {
      await guarded.server.close();
      await guarded.database.drop();
    }
  });

  it('saves with the keyboard alone, every field labelled', async () => {
    const page = await openPage();
    await settled(page);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select')].filter((field) => field.labels?.length === 0).map((field) => field.id),
    );
    expect(unlabelled).toEqual([]);

    const focusedId = () => page.evaluate(() => document.activeElement?.id ?? '');
    async function tabTo(id: string): Promise<void> {
      for (let presses = 0; presses < 12 && (await focusedId()) !== id; presses++) await page.keyboard.press('Tab');
      expect(await focusedId()).toBe(id);
    }
    await tabTo('provider');
    await page.keyboard.press('ArrowDown');
    expect(await page.inputValue('#provider')).toBe('openai');
    await page.locator('#model-select-field[aria-busy="false"]').waitFor({ state: 'attached' });
    await tabTo('api-key');
    await page.keyboard.type(OPENAI_KEY);
    await page.keyboard.press('Enter');
    await statusText(page, 'Settings saved.');
    expect((await api('GET', '/api/settings/llm')).json).toMatchObject({ provider: 'openai', api_key_set: true });
    expect(await page.locator('#status').getAttribute('aria-live')).toBe('polite');

    // Testing from the keyboard leaves the focus on the button pressed.
    await tabTo('test-button');
    await page.keyboard.press('Enter');
    await statusText(page, 'Test succeeded.');
    expect(await focusedId()).toBe('test-button');
  });

  it('is served under the strict Content-Security-Policy, and a violation would be seen', async () => {
    const page = await context.newPage();
    const policy = watchPageProblems(page);
    const response = await page.goto(`${main.server.url}/`);
    expect(response?.headers()['content-security-policy']).toBe(CSP);
    await settled(page);
    expect(policy.problems).toEqual([]);
    // The watch catches what the policy blocks: an inline script is refused and reported.
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
    });
    expect(await page.evaluate(() => window.inlineRan)).toBeUndefined();
    await expect.poll(() => policy.problems.join('\n')).toMatch(/Content Security Policy/);
  });

  it('renders a readable page (the screenshot in docs/settings-page.png)', async () => {
    await api('PUT', '/api/settings/llm', { provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4.1' });
    const page = await openPage();
    await page.setViewportSize({ width: 900, height: 1100 });
    await settled(page);
    await page.click('#test-button');
    await statusText(page, 'Test succeeded.');
    await page.locator('#test-latency').evaluate((element) => (element.textContent = '42 ms')); // stable pixels
    const png = await page.screenshot({ fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // Regenerate the committed picture with UPDATE_SCREENSHOT=1 (see the package's `screenshot` script).
    if (process.env.UPDATE_SCREENSHOT === '1') {
      mkdirSync(join(REPO_ROOT, 'docs'), { recursive: true });
      writeFileSync(join(REPO_ROOT, 'docs', 'settings-page.png'), png);
    }
  });
});
