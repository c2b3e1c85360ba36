import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, isLlmSettingsError, silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createLlmSettings } from '../src/create-llm-settings.js';
import { assertBuilt, CLI, run } from './support/processes.js';

/*
 * A maintenance command (migrate: 'require') given an SQLite file that is not there is
 * refused, naming it, before anything opens it: a mistyped path must not leave an empty
 * database behind. serve and migrate still create it. Real SQLite files, the built CLI.
 */

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'llm-missing-db-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A folder with nothing in it yet, and the database file that would go there. */
function emptyFolder(name: string): { folder: string; file: string } {
  const folder = join(dir, name);
  mkdirSync(folder, { mode: 0o700 });
  return { folder, file: join(folder, 'settings.db') };
}

async function refusal(env: Record<string, string>): Promise<Error> {
  return createLlmSettings({ env, logger: silentLogger, migrate: 'require' }).then(
    async (settings) => {
      await settings.close();
      return new Error('expected a refusal');
    },
    (thrown: unknown) => thrown as Error,
  );
}

describe("createLlmSettings({ migrate: 'require' }) on an SQLite file that is not there", () => {
  it.each([
    ['with ENCRYPTION_KEY', true],
    ['without a key file', false],
  ])('%s: refused naming the file, which is not created (nor anything beside it)', async (name, withKey) => {
    const { folder, file } = emptyFolder(`require-${withKey}`);
    const error = await refusal({ DATABASE_URL: `sqlite:${file}`, ...(withKey ? { ENCRYPTION_KEY: generateFernetKey() } : {}) });
    expect(isLlmSettingsError(error, ErrorCodes.CONFIG_INVALID), name).toBe(true);
    expect(error.message).toContain(`There is no SQLite database file ${file}`);
    expect(error.message).toContain('DATABASE_URL');
    expect(readdirSync(folder)).toEqual([]);
  });

  it('the default database of LLM_SETTINGS_HOME too, without creating the folder', async () => {
    const home = join(dir, 'no-home');
    const error = await refusal({ LLM_SETTINGS_HOME: home, ENCRYPTION_KEY: generateFernetKey() });
    expect(error.message).toContain(`There is no SQLite database file ${join(home, 'llm-settings.db')}`);
    expect(existsSync(home)).toBe(false);
  });

  it('migrate: true still creates it', async () => {
    const { file } = emptyFolder('migrate-true');
    const settings = await createLlmSettings({ env: { DATABASE_URL: `sqlite:${file}`, ENCRYPTION_KEY: generateFernetKey() }, logger: silentLogger });
    await settings.close();
    expect(existsSync(file)).toBe(true);
  });
});

describe('the CLI maintenance commands on an SQLite file that is not there', () => {
  it.each([['rotate-key'], ['confirm-endpoint', '--provider', 'openai'], ['revoke-tokens', '--scope', 'tenant-42']])(
    '%s exits 1 naming the file, and creates none',
    async (...command) => {
      const { folder, file } = emptyFolder(`cli-${command[0]}`);
      const env = { DATABASE_URL: `sqlite:${file}`, ENCRYPTION_KEY: generateFernetKey(), SETTINGS_TOKEN_SECRET: 'a-token-secret-of-32-characters-or-more-0123' };
      const { code, output } = await run('node', [CLI, ...command], env);
      expect(code).toBe(1);
      expect(output).toContain(`There is no SQLite database file ${file}`);
      expect(readdirSync(folder)).toEqual([]);
    },
  );
});
