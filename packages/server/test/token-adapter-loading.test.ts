import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { REPO_ROOT, assertBuilt } from './support/processes.js';

const execFileAsync = promisify(execFile);
const SERVER = pathToFileURL(join(REPO_ROOT, 'packages', 'server', 'dist', 'index.js')).href;
/** jose's own files, wherever the package manager put them. */
const JOSE_FILE = /\/node_modules\/jose\//;

describe('the token adapter is loaded only when tokens are configured', () => {
  let dir: string;
  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'llm-settings-loads-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Starts and stops the server in a child process whose module loads are written down by
   * a loader hook, and returns the URLs of the modules it loaded.
   */
  async function modulesLoadedBy(name: string, env: Record<string, string>): Promise<string[]> {
    const log = join(dir, `${name}.txt`);
    const hooks = join(dir, `${name}-hooks.mjs`);
    writeFileSync(log, '');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';\n` +
        `export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
    );
    const register = `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`;
    const script = `const { serve } = await import(${JSON.stringify(SERVER)}); const running = await serve(); await running.close();`;
    await execFileAsync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, DATABASE_URL: 'sqlite::memory:', ENCRYPTION_KEY: generateFernetKey(), PORT: '0', LOG_LEVEL: 'silent', ...env },
    });
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  }

  it('serve - loads no jose module without SETTINGS_TOKEN_SECRET or an identity provider', async () => {
    const loaded = await modulesLoadedBy('without-tokens', {});
    expect(loaded.some((url) => url.includes('/packages/http-koa/'))).toBe(true);
    expect(loaded.filter((url) => JOSE_FILE.test(url))).toEqual([]);
  });

  it('serve - loads jose when SETTINGS_TOKEN_SECRET is set', async () => {
    const loaded = await modulesLoadedBy('with-tokens', { SETTINGS_TOKEN_SECRET: 'scoped-token-secret-of-some-forty-chars-1' });
    expect(loaded.some((url) => JOSE_FILE.test(url))).toBe(true);
  });
});
