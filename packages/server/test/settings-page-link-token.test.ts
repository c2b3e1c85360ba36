import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createJoseTokenMinter } from '@llm-settings/auth-jose';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import type { RunningServer } from '../src/serve.js';
import { CHROMIUM, SKIP_BROWSER_TESTS, launchChromium, watchPageProblems } from './support/browser.js';
import { createSqliteDatabase, type TestDatabase } from './support/databases.js';
import { captureLogs } from './support/logs.js';
import { TOKEN_SECRET } from './support/scoped-tokens.js';
import { serveAgainstFake } from './support/serve-against-fake.js';

/** The page's globals that page.evaluate uses (run in the page), declared without the DOM lib. */
declare const sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
declare const location: { hash: string };

const TOKEN_KEY = 'llm-settings.api-token';
const ADMIN_TOKEN = 'link-token-admin-token-0123456789';
const KEY = 'sk-proj-LINK-TOKEN-key-00001111aaaa';
/** The scope of the link: an attacker's, in the login-CSRF case. */
const LINKED_SCOPE = 'tenant-linked';
const SKIPPED = `browser tests skipped: ${CHROMIUM} not installed`;
/** Waits of the page's own doing: short, so that a page that never shows them fails fast. */
const SHOWN = { timeout: 10_000 } as const;

/**
 * A token in the page's address (`/#token=`): any site can send a person there, so the page
 * never uses one silently (login CSRF), refuses one no request header can carry, and never
 * takes the admin token from an address (the browser's history keeps it).
 */
describe.skipIf(SKIP_BROWSER_TESTS)(SKIP_BROWSER_TESTS ? SKIPPED : 'settings page: a token in the address (#token=) in headless Chromium', () => {
  let fake: FakeProvider;
  let database: TestDatabase;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  const watched: Array<{ problems: string[] }> = [];
  const minter = createJoseTokenMinter({ secrets: TOKEN_SECRET });

  async function adminCall(method: string, scope: string, body?: object) {
    const response = await fetch(`${server.url}/api/settings/llm`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'llm-settings-scope': scope, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await response.json()) as { model: string; api_key_set: boolean };
  }

  async function newPage(): Promise<Page> {
    const page = await context.newPage();
    watched.push(watchPageProblems(page));
    return page;
  }

  const stored = (page: Page) => page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY);

  /** A tab where the person entered the admin token and sees the default scope's settings. */
  async function signedInTab(): Promise<Page> {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.locator('#token-section').waitFor({ state: 'visible', ...SHOWN });
    await page.fill('#token', ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('#status', { hasText: 'Current settings loaded.' }).waitFor(SHOWN);
    expect(await page.locator('#current-scope').textContent()).toBe('default');
    return page;
  }

  beforeAll(async () => {
    fake = await startFakeProvider();
    database = createSqliteDatabase();
    server = await serveAgainstFake(fake, {
      databaseUrl: database.url,
      logger: captureLogs().logger,
      env: { SETTINGS_API_TOKEN: ADMIN_TOKEN, SETTINGS_TOKEN_SECRET: TOKEN_SECRET, SETTINGS_UI: '1' },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.drop();
    await fake?.close();
  });

  beforeEach(async () => {
    await adminCall('PUT', LINKED_SCOPE, { provider: 'openai', api_key: KEY, model: 'gpt-4.1' });
    await adminCall('PUT', 'default', { provider: 'openai', api_key: KEY, model: 'gpt-4o' });
    context = await browser.newContext();
  });

  afterEach(async () => {
    await context?.close();
    expect(watched.flatMap((page) => page.problems)).toEqual([]);
    watched.length = 0;
  });

  it('never replaces the tab’s token silently: shows the link’s scope and permissions, and Dismiss keeps the tab’s token', async () => {
    const page = await signedInTab();
    const linked = await minter.mint({ scope: LINKED_SCOPE, can: ['read', 'write'], ttlSeconds: 600 });
    // Another site sends the tab to the page with its own token (a new load of the page).
    await page.goto('about:blank');
    await page.goto(`${server.url}/#token=${linked}`);
    await page.locator('#link-section').waitFor({ state: 'visible', ...SHOWN });
    expect(page.url()).toBe(`${server.url}/`);
    expect(await page.locator('#link-text').textContent()).toBe(`Continue as scope ${LINKED_SCOPE} (read, write)?`);
    expect(await page.locator('#link-use').isVisible()).toBe(true);
    // Nothing used until the person decides: the tab's token stays, no settings are shown.
    expect(await stored(page)).toBe(ADMIN_TOKEN);
    expect(await page.locator('#settings').isHidden()).toBe(true);

    await page.click('#link-dismiss');
    await page.locator('#status', { hasText: 'Current settings loaded.' }).waitFor(SHOWN);
    expect(await page.locator('#link-section').isHidden()).toBe(true);
    expect(await stored(page)).toBe(ADMIN_TOKEN);
    expect(await page.locator('#current-scope').textContent()).toBe('default');
    expect(await page.locator('#current-model').textContent()).toBe('gpt-4o');
  });

  it('uses the link’s token only after Use, and then saves to its scope', async () => {
    const linked = await minter.mint({ scope: LINKED_SCOPE, can: ['read', 'write', 'models'], ttlSeconds: 600 });
    const page = await newPage();
    await page.goto(`${server.url}/#token=${linked}`);
    await page.locator('#link-section').waitFor({ state: 'visible', ...SHOWN });
    expect(await page.locator('#link-text').textContent()).toBe(`Continue as scope ${LINKED_SCOPE} (read, write, models)?`);
    expect(await stored(page)).toBeNull();
    expect(await page.locator('#settings').isHidden()).toBe(true);
    expect(await page.locator('#token-section').isHidden()).toBe(true);

    await page.click('#link-use');
    await page.locator('#status', { hasText: 'Current settings loaded.' }).waitFor(SHOWN);
    expect(await stored(page)).toBe(linked);
    expect(await page.locator('#current-scope').textContent()).toBe(LINKED_SCOPE);
    await page.locator('#model-select-field[aria-busy="false"]').waitFor({ state: 'attached' });
    await page.selectOption('#model-select', 'gpt-4o-mini');
    await page.click('#save-button');
    await page.locator('#status', { hasText: 'Settings saved.' }).waitFor(SHOWN);
    expect((await adminCall('GET', LINKED_SCOPE)).model).toBe('gpt-4o-mini');
    expect((await adminCall('GET', 'default')).model).toBe('gpt-4o');
  });

  it('offers a link that reaches an open tab by its fragment alone (no new load) the same way', async () => {
    const page = await signedInTab();
    const linked = await minter.mint({ scope: LINKED_SCOPE, can: ['read'], ttlSeconds: 600 });
    await page.evaluate((fragment) => {
      location.hash = fragment;
    }, `#token=${linked}`);
    await page.locator('#link-section').waitFor({ state: 'visible', ...SHOWN });
    expect(page.url()).toBe(`${server.url}/`);
    expect(await page.locator('#link-text').textContent()).toBe(`Continue as scope ${LINKED_SCOPE} (read)?`);
    expect(await stored(page)).toBe(ADMIN_TOKEN);
    await page.click('#link-dismiss');
    await page.locator('#status', { hasText: 'Current settings loaded.' }).waitFor(SHOWN);
    expect(await stored(page)).toBe(ADMIN_TOKEN);
  });

  it('takes no admin token from an address (the browser’s history keeps links), nor a token the server refuses', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/#token=${ADMIN_TOKEN}`);
    await page.locator('#link-section').waitFor({ state: 'visible', ...SHOWN });
    expect(page.url()).toBe(`${server.url}/`);
    expect(await page.locator('#link-text').textContent()).toContain('administrator');
    expect(await page.locator('#link-use').isHidden()).toBe(true);
    expect(await stored(page)).toBeNull();
    await page.locator('#token-section').waitFor({ state: 'visible', ...SHOWN });

    // A tab with its own token keeps it when a link's token is refused (forged here).
    const tab = await signedInTab();
    const forged = await createJoseTokenMinter({ secrets: 'another-token-secret-0123456789-abcdefghij' }).mint({ scope: LINKED_SCOPE, can: ['read'], ttlSeconds: 600 });
    await tab.goto('about:blank');
    await tab.goto(`${server.url}/#token=${forged}`);
    await tab.locator('#link-text', { hasText: 'The server refused the token in the link' }).waitFor(SHOWN);
    await tab.locator('#status', { hasText: 'Current settings loaded.' }).waitFor(SHOWN);
    expect(await stored(tab)).toBe(ADMIN_TOKEN);
    expect(await tab.locator('#current-scope').textContent()).toBe('default');
    await tab.click('#link-dismiss');
    expect(await tab.locator('#link-section').isHidden()).toBe(true);
  });

  it('refuses at the token field a token no request header can carry, with the reason, and keeps nothing', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.locator('#token-section').waitFor({ state: 'visible', ...SHOWN });
    for (const pasted of [`“${ADMIN_TOKEN}”`, `${ADMIN_TOKEN}é`, `${ADMIN_TOKEN.slice(0, 10)} ${ADMIN_TOKEN.slice(10)}`, 'short-token']) {
      await page.fill('#token', pasted);
      await page.keyboard.press('Enter');
      await page.locator('#token-error').waitFor({ state: 'visible', ...SHOWN });
      expect(await page.locator('#token-error').textContent(), pasted).toMatch(/^This token cannot be used: .+ A token is 16 to 8192 printable ASCII characters/);
      expect(await page.locator('#token').getAttribute('aria-invalid')).toBe('true');
      expect(await stored(page)).toBeNull();
      expect(await page.locator('#status').textContent()).not.toContain('unreachable');
    }
    expect(await page.locator('#token-error').textContent()).toContain('shorter than 16');
    // The right one clears the message and is kept.
    await page.fill('#token', ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('#status', { hasText: 'Current settings loaded.' }).waitFor(SHOWN);
    expect(await page.locator('#token').getAttribute('aria-invalid')).toBeNull();
    expect(await stored(page)).toBe(ADMIN_TOKEN);
  });

  it('refuses such a token in the address, and forgets a stored one, asking again rather than saying "Server unreachable"', async () => {
    for (const spelled of [encodeURIComponent(`${ADMIN_TOKEN.slice(0, 10)}\n${ADMIN_TOKEN.slice(10)}`), encodeURIComponent(`“${ADMIN_TOKEN}”`), `${ADMIN_TOKEN}%E2%80%94`]) {
      const page = await newPage();
      await page.goto(`${server.url}/#token=${spelled}`);
      await page.locator('#link-text', { hasText: 'The token in the link cannot be used' }).waitFor(SHOWN);
      await page.locator('#token-section').waitFor({ state: 'visible', ...SHOWN });
      expect(page.url()).toBe(`${server.url}/`);
      expect(await stored(page)).toBeNull();
      expect(await page.locator('#status').textContent()).not.toContain('unreachable');
      await page.close();
    }

    // A token kept by an earlier version of the page, which no header can carry.
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.locator('#token-section').waitFor({ state: 'visible', ...SHOWN });
    await page.evaluate(([key, value]) => sessionStorage.setItem(key!, value!), [TOKEN_KEY, `“${ADMIN_TOKEN}”`]);
    await page.reload();
    await page.locator('#status', { hasText: 'The token kept for this tab cannot be sent' }).waitFor(SHOWN);
    expect(await page.locator('#token-section').isVisible()).toBe(true);
    expect(await stored(page)).toBeNull();
    await page.fill('#token', ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('#status', { hasText: 'Current settings loaded.' }).waitFor(SHOWN);
  });
});
