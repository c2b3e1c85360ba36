import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findProjectDir } from '../src/data-home.js';
import { REPO_ROOT, assertBuilt, freePort, start, waitForOk, type Spawned } from './support/processes.js';

const SERVER_PACKAGE = join(REPO_ROOT, 'packages', 'server');
const API_KEY = 'sk-ant-api03-DATA-FOLDER-TEST-0123456789';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llm-data-folder-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An application folder (with a package.json) and its node_modules folder. */
function application(name: string): { app: string; modules: string } {
  const app = join(dir, name);
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name, private: true }));
  return { app, modules: join(app, 'node_modules') };
}

/**
 * The built server copied into `<app>/node_modules/@llm-settings/server` as npm installs it;
 * its own dependencies are reached through a link to this checkout's node_modules.
 */
function installServer(modulesDir: string): string {
  const installed = join(modulesDir, '@llm-settings', 'server');
  mkdirSync(installed, { recursive: true });
  cpSync(join(SERVER_PACKAGE, 'package.json'), join(installed, 'package.json'));
  cpSync(join(SERVER_PACKAGE, 'dist'), join(installed, 'dist'), { recursive: true });
  symlinkSync(join(SERVER_PACKAGE, 'node_modules'), join(installed, 'node_modules'));
  return installed;
}

describe('findProjectDir', () => {
  it('is the repository root from this checkout, sources or build', () => {
    expect(findProjectDir(join(SERVER_PACKAGE, 'src'))).toBe(REPO_ROOT);
    expect(findProjectDir(join(SERVER_PACKAGE, 'dist'))).toBe(REPO_ROOT);
  });

  it('is the application that installed the server, in npm\'s and pnpm\'s layouts', () => {
    const { app, modules } = application('npm-app');
    mkdirSync(join(modules, '@llm-settings', 'server', 'dist'), { recursive: true });
    writeFileSync(join(modules, '@llm-settings', 'server', 'package.json'), '{}');
    expect(findProjectDir(join(modules, '@llm-settings', 'server', 'dist'))).toBe(app);

    const pnpm = application('pnpm-app');
    const stored = join(pnpm.modules, '.pnpm', '@llm-settings+server@0.1.0', 'node_modules', '@llm-settings', 'server');
    mkdirSync(join(stored, 'dist'), { recursive: true });
    writeFileSync(join(stored, 'package.json'), '{}');
    expect(findProjectDir(join(stored, 'dist'))).toBe(pnpm.app);
  });
});

describe('the data folder does not depend on the working directory', () => {
  let app: string;
  let cli: string;

  beforeAll(() => {
    assertBuilt();
    const installed = application('installed-app');
    app = installed.app;
    cli = join(installServer(installed.modules), 'dist', 'cli.js');
  });

  /** Starts the installed CLI's `serve` from `cwd`, without DATABASE_URL or ENCRYPTION_KEY. */
  async function serveFrom(cwd: string, env: Record<string, string> = {}): Promise<{ server: Spawned; url: string }> {
    mkdirSync(cwd, { recursive: true });
    const port = await freePort();
    const server = start('node', [cli, 'serve'], { PORT: String(port), ...env }, cwd);
    const url = `http://127.0.0.1:${port}`;
    await waitForOk(`${url}/readyz`).catch((error: Error) => {
      throw new Error(`${error.message}\n${server.output()}`);
    });
    return { server, url };
  }

  async function stop(server: Spawned): Promise<void> {
    server.child.kill('SIGTERM');
    await server.exited;
  }

  /** The start-up line, once written: logs are flushed after the first answers may have gone. */
  async function listeningLine(server: Spawned): Promise<Record<string, unknown>> {
    return vi.waitFor(
      () => {
        const output = server.output();
        const line = output.split('\n').find((text) => text.includes('"msg":"llm-settings listening"'));
        if (!line) throw new Error(`no start-up line in:\n${output}`);
        return JSON.parse(line) as Record<string, unknown>;
      },
      { timeout: 5_000 },
    );
  }

  it('started from two other folders, the installed CLI uses one database and one key file in <app>/data, and says where', async () => {
    const first = await serveFrom(join(dir, 'somewhere'));
    try {
      const put = await fetch(`${first.url}/api/settings/llm`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'anthropic', api_key: API_KEY }),
      });
      expect(put.status).toBe(200);
      expect(await listeningLine(first.server)).toMatchObject({
        data_dir: join(app, 'data'),
        database_file: join(app, 'data', 'llm-settings.db'),
      });
    } finally {
      await stop(first.server);
    }
    const key = readFileSync(join(app, 'data', 'encryption.key'), 'utf8');

    const second = await serveFrom(join(dir, 'elsewhere', 'deeper'));
    try {
      const view = await (await fetch(`${second.url}/api/settings/llm`)).json();
      // Read and decrypted: the same database, opened with the same key.
      expect(view).toMatchObject({ provider: 'anthropic', api_key_set: true, api_key_masked: '...6789' });
      expect(second.server.output()).not.toContain('generated a new encryption key');
    } finally {
      await stop(second.server);
    }
    expect(readFileSync(join(app, 'data', 'encryption.key'), 'utf8')).toBe(key);
    expect(existsSync(join(dir, 'somewhere', 'data'))).toBe(false);
    expect(existsSync(join(dir, 'elsewhere', 'deeper', 'data'))).toBe(false);
  }, 30_000);

  it('LLM_SETTINGS_HOME, relative to the working directory, holds the database and the key file, named absolute in the start-up line', async () => {
    const cwd = join(dir, 'operator');
    const { server } = await serveFrom(cwd, { LLM_SETTINGS_HOME: 'state' });
    try {
      expect(await listeningLine(server)).toMatchObject({
        data_dir: join(cwd, 'state'),
        database_file: join(cwd, 'state', 'llm-settings.db'),
      });
      expect(statSync(join(cwd, 'state', 'encryption.key')).mode & 0o777).toBe(0o600);
      expect(statSync(join(cwd, 'state', 'llm-settings.db')).isFile()).toBe(true);
    } finally {
      await stop(server);
    }
  }, 30_000);
});
