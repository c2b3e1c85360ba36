import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

/** Debian's chromium package; no browser is downloaded. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_INSTALLED = existsSync(CHROMIUM);
/** Where there is no Chromium the browser tests skip, except in CI, where they must run. */
export const SKIP_BROWSER_TESTS = !CHROMIUM_INSTALLED && process.env.CI === undefined;

/**
 * Headless Chromium for the tests: no GPU, sandbox or background traffic (updates, sync,
 * QUIC probing), so that it runs in a container without internet. Each launch gets a
 * fresh temporary profile (Playwright's own user data dir, removed on close).
 */
export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM_INSTALLED) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Everything a page reports as broken: uncaught errors, and console lines about the security policy. */
export function watchPageProblems(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  return { problems };
}
