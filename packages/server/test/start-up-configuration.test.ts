import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { serve } from '../src/serve.js';
import { captureLogs } from './support/logs.js';
import { CLI, assertBuilt, run } from './support/processes.js';

const TOKEN = 'api-token-VALUE-0123456789';
let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'llm-start-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A private data folder holding a file that is not an SQLite database: the start fails on its first read. */
function folderWithBrokenDatabase(name: string): { folder: string; env: Record<string, string> } {
  const folder = join(dir, name);
  mkdirSync(folder, { mode: 0o700 });
  writeFileSync(join(folder, 's.db'), Buffer.alloc(4096, 7));
  return { folder, env: { DATABASE_URL: `sqlite:${join(folder, 's.db')}`, PORT: '0' } };
}

async function serveFails(env: Record<string, string>): Promise<Error> {
  const logs = captureLogs();
  return serve({ env, logger: logs.logger }).then(
    async (running) => {
      await running.close();
      throw new Error('expected the start to fail');
    },
    (error: Error) => error,
  );
}

describe('a start that fails', () => {
  it('keeps the key file it generated: another instance sharing the folder may already encrypt with it', async () => {
    const folder = join(dir, 'serve-generated');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      // Fails on listening, once the key file is made and the database migrated.
      expect((await serveFails({ DATABASE_URL: `sqlite:${join(folder, 's.db')}`, HOST: '127.0.0.1', PORT: String(port) })).message).toContain(String(port));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    expect(existsSync(join(folder, 'encryption.key'))).toBe(true);
  });

  it('generates no key file for a database it cannot read: whether settings are stored there is asked first', async () => {
    const { folder, env } = folderWithBrokenDatabase('serve-unreadable');
    expect((await serveFails(env)).message).toBe('The settings storage is unavailable.');
    expect(existsSync(join(folder, 'encryption.key'))).toBe(false);
  });

  it('keeps a key file that was there before as it was', async () => {
    const { folder, env } = folderWithBrokenDatabase('serve-existing');
    const key = `${generateFernetKey()}\n`;
    writeFileSync(join(folder, 'encryption.key'), key, { mode: 0o600 });
    await serveFails(env);
    expect(readFileSync(join(folder, 'encryption.key'), 'utf8')).toBe(key);
  });

  it('a folder as the SQLite file is refused before any key file is made in the folder above', async () => {
    const parent = join(dir, 'folder-as-database');
    mkdirSync(join(parent, 'dbdir'), { recursive: true, mode: 0o700 });
    for (const url of [`sqlite:${join(parent, 'dbdir')}`, `sqlite:${join(parent, 'dbdir')}/`, `sqlite:${join(parent, 'missing')}/`]) {
      expect((await serveFails({ DATABASE_URL: url, PORT: '0' })).message, url).toContain('DATABASE_URL must name an SQLite file, not a folder');
    }
    expect(existsSync(join(parent, 'encryption.key'))).toBe(false);
    expect(existsSync(join(parent, 'missing'))).toBe(false);
  });
});

describe('the start says what the environment left unnoticed', () => {
  it('one warning names a misspelt variable and the known one, never its value; the listening line says auth none, as a warning', async () => {
    const logs = captureLogs();
    const folder = join(dir, 'misspelt');
    const running = await serve({ env: { DATABASE_URL: `sqlite:${join(folder, 's.db')}`, PORT: '0', SETTINGS_API_TOKN: TOKEN }, logger: logs.logger });
    await running.close();
    const lines = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.unknown_variables !== undefined)).toEqual([
      expect.objectContaining({ level: 40, unknown_variables: ['SETTINGS_API_TOKN'], msg: 'ignoring unknown variables: SETTINGS_API_TOKN (did you mean SETTINGS_API_TOKEN?)' }),
    ]);
    expect(lines.find((line) => line.msg === 'llm-settings listening')).toMatchObject({ level: 40, auth: 'none' });
    expect(logs.text()).not.toContain('VALUE');
  });

  it('with SETTINGS_API_TOKEN the listening line says auth token, as information', async () => {
    const logs = captureLogs();
    const running = await serve({ env: { DATABASE_URL: `sqlite:${join(dir, 'token', 's.db')}`, PORT: '0', SETTINGS_API_TOKEN: TOKEN }, logger: logs.logger });
    await running.close();
    const lines = logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.msg === 'llm-settings listening')).toMatchObject({ level: 30, auth: 'token' });
    expect(lines.filter((line) => line.unknown_variables !== undefined)).toEqual([]);
  });

  it('serve refuses every configuration problem at once: the values, the production key and the API exposed without a token', async () => {
    const folder = join(dir, 'at-once');
    const { code, output } = await run('node', [CLI, 'serve'], {
      NODE_ENV: 'Production',
      HOST: '0.0.0.0',
      PORT: 'port-VALUE',
      SETTINGS_API_TOKEN: '',
      LLM_SETTINGS_HOME: ` ${folder}`,
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      'llm-settings: Invalid configuration:',
      '  - PORT must be an integer from 0 to 65535',
      '  - SETTINGS_API_TOKEN is set but empty (an unset shell variable?): give it a value, or remove it from the environment',
      '  - LLM_SETTINGS_HOME must be a folder path without leading or trailing whitespace',
      '  - ENCRYPTION_KEY is required when NODE_ENV=production (generate one with `npx llm-settings generate-key` (in a clone of llm-settings: `npm run llm-settings -- generate-key`))',
      '  - Refusing to serve on a non-loopback HOST without SETTINGS_API_TOKEN: set a token, or ALLOW_UNAUTHENTICATED=1 if a proxy in front authenticates requests',
    ]);
    expect(existsSync(folder)).toBe(false);
  });
});
