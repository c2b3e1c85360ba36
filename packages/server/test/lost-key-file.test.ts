import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ErrorCodes, isLlmSettingsError, silentLogger } from '@llm-settings/core';
import { createLlmSettings } from '../src/create-llm-settings.js';
import { createDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { keyRunFinder } from './support/leaks.js';
import { captureLogs } from './support/logs.js';

/*
 * ENCRYPTION_KEY unset and the key file gone: a database that holds stored settings is
 * refused before a key file is generated (a new key opens none of them, and would sit where
 * the lost one belongs); an empty one gets a key file. Real SQLite file, real PostgreSQL.
 */

const PROVIDER_KEY = 'sk-proj-LOST-KEY-FILE-SECRET-0123456789';
/** PostgreSQL here trusts local connections: the password is never checked, only hidden. */
const PASSWORD = 'Pg-Pass-Never-Printed-4711';

describeEachDatabase('a missing key file on %s', (kind) => {
  let database: TestDatabase;
  let home: string;
  let env: Record<string, string>;
  let keyFile: string;

  beforeEach(async () => {
    database = await createDatabase(kind);
    home = mkdtempSync(join(tmpdir(), 'llm-lost-key-'));
    const url = new URL(database.url);
    if (kind === 'postgres') url.password = PASSWORD;
    env = { DATABASE_URL: kind === 'postgres' ? url.toString() : database.url, LLM_SETTINGS_HOME: home };
    keyFile = join(home, 'encryption.key');
  });
  afterEach(async () => {
    await database.drop();
    rmSync(home, { recursive: true, force: true });
  });

  async function startAndClose(logger = silentLogger): Promise<void> {
    const settings = await createLlmSettings({ env, logger });
    await settings.close();
  }

  it('with stored settings: refused before anything is generated, naming the file and the database (password hidden)', async () => {
    const first = await createLlmSettings({ env, logger: silentLogger });
    await first.service.update({ provider: 'openai', api_key: PROVIDER_KEY });
    await first.close();
    const lost = readFileSync(keyFile, 'utf8').trim();
    rmSync(keyFile);

    const logs = captureLogs();
    const error = await createLlmSettings({ env, logger: logs.logger }).then(
      async (settings) => {
        await settings.close();
        return new Error('expected the start to be refused');
      },
      (thrown: unknown) => thrown as Error,
    );
    expect(isLlmSettingsError(error, ErrorCodes.CONFIG_INVALID)).toBe(true);
    const printedUrl = kind === 'postgres' ? env.DATABASE_URL!.replace(PASSWORD, '***') : env.DATABASE_URL!;
    expect(error.message).toContain(`The encryption key file ${keyFile} is missing`);
    expect(error.message).toContain(`the database ${printedUrl} holds settings encrypted with another key`);
    expect(error.message).toContain('Put the key file back from your backups');
    expect(error.message).toContain('ENCRYPTION_KEY');
    expect(error.message).not.toContain(PASSWORD);
    expect(keyRunFinder([lost, PROVIDER_KEY])(error.message + logs.text())).toBeUndefined();
    expect(existsSync(keyFile)).toBe(false);
    expect(logs.text()).not.toContain('generated a new encryption key');

    // The file put back from the backups: the stored settings open again.
    const restored = await createLlmSettings({ env: { ...env, ENCRYPTION_KEY: lost }, logger: silentLogger });
    try {
      expect((await restored.service.get()).view).toMatchObject({ provider: 'openai', api_key_masked: '...6789' });
    } finally {
      await restored.close();
    }
  });

  it('with a migrated database that holds nothing: a key file is generated', async () => {
    await startAndClose();
    rmSync(keyFile);
    const logs = captureLogs();
    await startAndClose(logs.logger);
    expect(existsSync(keyFile)).toBe(true);
    expect(logs.text()).toContain('generated a new encryption key');
  });

  it('two processes starting at once on a new database agree on one key file', async () => {
    const [a, b] = await Promise.all([createLlmSettings({ env, logger: silentLogger }), createLlmSettings({ env, logger: silentLogger })]);
    try {
      expect(a.config.encryptionKeys.reveal()).toBe(b.config.encryptionKeys.reveal());
      expect(readFileSync(keyFile, 'utf8').trim()).toBe(a.config.encryptionKeys.reveal());
    } finally {
      await a.close();
      await b.close();
    }
  });
});
