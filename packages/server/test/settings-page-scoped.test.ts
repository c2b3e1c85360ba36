import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createJoseTokenMinter } from '@llm-settings/auth-jose';
import type { Permission } from '@llm-settings/core';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import type { RunningServer } from '../src/serve.js';
import { CHROMIUM, SKIP_BROWSER_TESTS, launchChromium, watchPageProblems } from './support/browser.js';
import { createSqliteDatabase, type TestDatabase } from './support/databases.js';
import { captureLogs } from './support/logs.js';
import { TOKEN_SECRET } from './support/scoped-tokens.js';
import { serveAgainstFake } from './support/serve-against-fake.js';

/** The page's globals that page.evaluate uses (run in the page), declared without the DOM lib. */
declare const sessionStorage: { getItem(key: string): string | null };

const ADMIN_TOKEN = 'page-scoped-admin-token-0123456789';
const KEY = 'sk-proj-PAGE-SCOPED-key-00001111aaaa';
const SCOPE = 'tenant-page';
const SKIPPED = `browser tests skipped: ${CHROMIUM} not installed`;

describe.skipIf(SKIP_BROWSER_TESTS)(SKIP_BROWSER_TESTS ? SKIPPED : 'settings page with a scoped token (#token=) in headless Chromium', () => {
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

  async function openWithToken(can: Permission[]): Promise<{ page: Page; token: string }> {
    const token = await minter.mint({ scope: SCOPE, can, ttlSeconds: 600 });
    const page = await context.newPage();
    watched.push(watchPageProblems(page));
    await page.goto(`${server.url}/#token=${token}`);
    // A link's token is used only once the person confirms it (settings-page-link-token.test.ts).
    await page.click('#link-use');
    await page.locator('#status', { hasText: 'Current settings loaded.' }).waitFor();
    return { page, token };
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
    await adminCall('PUT', SCOPE, { provider: 'openai', api_key: KEY, model: 'gpt-4.1' });
    await adminCall('PUT', 'default', { provider: 'openai', api_key: KEY, model: 'gpt-4o' });
    context = await browser.newContext();
  });

  afterEach(async () => {
    await context?.close();
    expect(watched.flatMap((page) => page.problems)).toEqual([]);
  });

  it('keeps the token of #token= for the tab once confirmed, takes it out of the address bar, and shows its scope', async () => {
    const { page, token } = await openWithToken(['read', 'test']);
    expect(page.url()).toBe(`${server.url}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('llm-settings.api-token'))).toBe(token);
    expect(await page.locator('#current-scope').textContent()).toBe(SCOPE);
    expect(await page.locator('#current-model').textContent()).toBe('gpt-4.1');
    // After a reload, without the fragment, the tab still has its token.
    await page.reload();
    await page.locator('#status', { hasText: 'Current settings loaded.' }).waitFor();
    expect(await page.locator('#current-scope').textContent()).toBe(SCOPE);
  });

  it('takes #token= out of the address whatever else the fragment holds, and a badly encoded one too, saying so', async () => {
    const token = await minter.mint({ scope: SCOPE, can: ['read'], ttlSeconds: 600 });
    const page = await context.newPage();
    watched.push(watchPageProblems(page));
    await page.goto(`${server.url}/#token=${token}&from=app`);
    await page.click('#link-use');
    await page.locator('#status', { hasText: 'Current settings loaded.' }).waitFor();
    expect(page.url()).toBe(`${server.url}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('llm-settings.api-token'))).toBe(token);
    expect(await page.locator('#current-scope').textContent()).toBe(SCOPE);

    const fresh = await browser.newContext();
    try {
      const badly = await fresh.newPage();
      await badly.goto(`${server.url}/#token=tok%E0-not-utf8`);
      await badly.locator('#link-text', { hasText: 'The token in the link is not well encoded; it was not used.' }).waitFor();
      await badly.locator('#token-section').waitFor({ state: 'visible' });
      expect(badly.url()).toBe(`${server.url}/`);
      expect(await badly.evaluate(() => sessionStorage.getItem('llm-settings.api-token'))).toBeNull();
    } finally {
      await fresh.close();
    }
  });

  it('hides what the token may not do: no save or delete without write, no test without test', async () => {
    const { page } = await openWithToken(['read', 'test']);
    expect(await page.locator('#test-button').isVisible()).toBe(true);
    expect(await page.locator('#save-button').isVisible()).toBe(false);
    expect(await page.locator('#delete-section').isVisible()).toBe(false);

    const reader = await openWithToken(['read']);
    expect(await reader.page.locator('#edit-section').isVisible()).toBe(false);
    expect(await reader.page.locator('#delete-section').isVisible()).toBe(false);
  });

  it('saves to the token’s own scope, never the default one', async () => {
    const { page } = await openWithToken(['read', 'write', 'test', 'models']);
    expect(await page.locator('#save-button').isVisible()).toBe(true);
    await page.locator('#model-select-field[aria-busy="false"]').waitFor({ state: 'attached' });
    await page.selectOption('#model-select', 'gpt-4o-mini');
    await page.click('#save-button');
    await page.locator('#status', { hasText: 'Settings saved.' }).waitFor();
    expect((await adminCall('GET', SCOPE)).model).toBe('gpt-4o-mini');
    expect((await adminCall('GET', 'default')).model).toBe('gpt-4o');
  });

  it('deletes the scope’s own settings and says it now uses those of the scope the operator linked it to', async () => {
    await adminCall('PUT', 'team-page', { provider: 'openai', api_key: KEY, model: 'gpt-4o-mini' });
    await adminCall('PUT', SCOPE, { inherit_from: 'team-page' });
    const { page } = await openWithToken(['read', 'write']);
    await page.click('#delete-button');
    await page.click('#delete-confirm');
    await page.locator('#status', { hasText: 'Settings deleted; this scope now uses those of scope team-page.' }).waitFor();
    expect(await page.locator('#current-key').textContent()).toBe('inherited from scope team-page');
    expect(await page.locator('#current-model').textContent()).toBe('gpt-4o-mini');
    expect(await adminCall('GET', SCOPE)).toMatchObject({ inherit_from: 'team-page', api_key_source: 'inherited' });
    await adminCall('PUT', SCOPE, { inherit_from: null });
  });
});
