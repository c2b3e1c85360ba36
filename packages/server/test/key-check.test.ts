import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, isLlmSettingsError, silentLogger } from '@llm-settings/core';
import { createFernetCipher, generateFernetKey } from '@llm-settings/crypto-fernet';
import { createLlmSettings } from '../src/create-llm-settings.js';
import { KEY_CHECK_SAMPLE_SIZE } from '../src/key-check.js';
import { serve } from '../src/serve.js';
import { createDatabase, describeEachDatabase, createSqliteDatabase, type TestDatabase } from './support/databases.js';
import { keyRunFinder } from './support/leaks.js';
import { captureLogs } from './support/logs.js';

/*
 * A start with a key that opens none of the stored values (a key generated anew at each
 * start, a lost key file) is refused with the way back, instead of serving every read as
 * CRYPTO.UNDECRYPTABLE. Real SQLite file, real PostgreSQL.
 */

const PROVIDER_KEY = 'sk-proj-KEY-CHECK-SECRET-0123456789';

describeEachDatabase('start-up key check on %s', (kind) => {
  const [A, B] = [generateFernetKey(), generateFernetKey()];
  const findKey = keyRunFinder([A, B, PROVIDER_KEY]);
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createDatabase(kind);
  });
  afterEach(async () => {
    await database.drop();
  });

  const env = (keys: string, more: Record<string, string> = {}) => ({ DATABASE_URL: database.url, ENCRYPTION_KEY: keys, ...more });

  /** Saves settings for each scope under `keys`, as a running service would. */
  async function saveUnder(keys: string, scopes: string[]): Promise<void> {
    const settings = await createLlmSettings({ env: env(keys), logger: silentLogger });
    try {
      for (const scope of scopes) await settings.service.update({ provider: 'openai', api_key: PROVIDER_KEY }, { scope });
    } finally {
      await settings.close();
    }
  }

  async function refusal(keys: string, more: Record<string, string> = {}): Promise<Error> {
    const logs = captureLogs();
    const error = await createLlmSettings({ env: env(keys, more), logger: logs.logger }).then(
      async (settings) => {
        await settings.close();
        throw new Error('expected the start to be refused');
      },
      (thrown: unknown) => thrown as Error,
    );
    expect(findKey(logs.text())).toBeUndefined();
    return error;
  }

  it('an empty database starts with any key', async () => {
    const logs = captureLogs();
    const settings = await createLlmSettings({ env: env(B), logger: logs.logger });
    await settings.close();
    expect(logs.lines.filter((line) => JSON.parse(line).level >= 40)).toEqual([]);
  });

  it('settings saved under key A: a restart with key B alone is refused with the way back, naming no key', async () => {
    await saveUnder(A, ['default']);
    const error = await refusal(B);
    expect(isLlmSettingsError(error, ErrorCodes.CONFIG_INVALID)).toBe(true);
    expect(error.message).toContain('Refusing to start: none of the 1 stored values checked can be decrypted with the keys in ENCRYPTION_KEY');
    expect(error.message).toContain('every read would answer CRYPTO.UNDECRYPTABLE');
    expect(error.message).toContain('start again with the previous key in ENCRYPTION_KEY');
    expect(error.message).toContain('ENCRYPTION_KEY=NEW,PREVIOUS');
    expect(error.message).toContain('`npx llm-settings rotate-key` (in a clone of llm-settings: `npm run llm-settings -- rotate-key`)');
    expect(error.message).toContain('ALLOW_UNDECRYPTABLE=1');
    expect(findKey(error.message)).toBeUndefined();
  });

  it('serve() is refused the same way, before it listens', async () => {
    await saveUnder(A, ['default']);
    const logs = captureLogs();
    const error = await serve({ env: env(B, { PORT: '0' }), logger: logs.logger }).then(
      async (running) => {
        await running.close();
        return null;
      },
      (thrown: unknown) => thrown as Error,
    );
    expect(error?.message).toMatch(/^Refusing to start: none of the 1 stored values/);
    expect(logs.text()).not.toContain('listening');
  });

  it('a restart with "B,A" starts and reads the settings saved under A', async () => {
    await saveUnder(A, ['default']);
    const logs = captureLogs();
    const settings = await createLlmSettings({ env: env(`${B},${A}`), logger: logs.logger });
    try {
      expect((await settings.service.get()).view).toMatchObject({ provider: 'openai', api_key_masked: '...6789' });
      expect(logs.lines.filter((line) => JSON.parse(line).level >= 40)).toEqual([]);
    } finally {
      await settings.close();
    }
  });

  it('ALLOW_UNDECRYPTABLE=1 starts with key B and one warning line with the counts', async () => {
    await saveUnder(A, ['default', 'tenant-1']);
    const logs = captureLogs();
    const settings = await createLlmSettings({ env: env(B, { ALLOW_UNDECRYPTABLE: '1' }), logger: logs.logger });
    try {
      const warnings = logs.lines.map((line) => JSON.parse(line)).filter((line) => line.level === 40);
      expect(warnings).toEqual([
        expect.objectContaining({
          sampled: 2,
          undecryptable: 2,
          msg: expect.stringMatching(/^none of the 2 stored values checked at start-up can be decrypted .*ALLOW_UNDECRYPTABLE=1/),
        }),
      ]);
      const read = await settings.service.get().catch((error: unknown) => error);
      expect(isLlmSettingsError(read, ErrorCodes.CRYPTO_UNDECRYPTABLE)).toBe(true);
      expect(findKey(logs.text())).toBeUndefined();
    } finally {
      await settings.close();
    }
  });

  it('some values under A and some under B: key B starts and warns with the counts', async () => {
    await saveUnder(A, ['tenant-1']);
    await saveUnder(`${B},${A}`, ['tenant-2', 'tenant-3']);
    const logs = captureLogs();
    const settings = await createLlmSettings({ env: env(B), logger: logs.logger });
    try {
      const warnings = logs.lines.map((line) => JSON.parse(line)).filter((line) => line.level === 40);
      expect(warnings).toEqual([
        expect.objectContaining({ sampled: 3, undecryptable: 1, msg: expect.stringMatching(/^1 of 3 stored values checked at start-up cannot be decrypted/) }),
      ]);
      expect((await settings.service.get({ scope: 'tenant-2' })).view).toMatchObject({ api_key_masked: '...6789' });
    } finally {
      await settings.close();
    }
  });

  it(`checks at most ${KEY_CHECK_SAMPLE_SIZE} values however many are stored`, async () => {
    await saveUnder(A, ['default']);
    const settings = await createLlmSettings({ env: env(A), logger: silentLogger });
    const cipher = createFernetCipher({ keys: A });
    const writes = Array.from({ length: KEY_CHECK_SAMPLE_SIZE + 20 }, (_, i) => ({ key: `llm_config:many-${i}`, value: cipher.encryptSync('{}') }));
    await settings.store.setMany(writes);
    await settings.close();

    const logs = captureLogs();
    const allowed = await createLlmSettings({ env: env(B, { ALLOW_UNDECRYPTABLE: 'true' }), logger: logs.logger });
    await allowed.close();
    expect(logs.lines.map((line) => JSON.parse(line)).filter((line) => line.level === 40)).toEqual([
      expect.objectContaining({ sampled: KEY_CHECK_SAMPLE_SIZE, undecryptable: KEY_CHECK_SAMPLE_SIZE }),
    ]);
  });
});

describe('start-up key check with a generated key file', () => {
  // A key file removed is refused before a new one is generated (lost-key-file.test.ts).
  it('a key file replaced by a new one (a lost key) is refused, naming the file and the backup', async () => {
    const database = createSqliteDatabase();
    const env = { DATABASE_URL: database.url };
    try {
      const first = await createLlmSettings({ env, logger: silentLogger });
      await first.service.update({ provider: 'openai', api_key: PROVIDER_KEY });
      await first.close();
      const path = join(first.config.dataDir, 'encryption.key');
      const lost = readFileSync(path, 'utf8').trim();
      writeFileSync(path, `${generateFernetKey()}\n`, { mode: 0o600 });

      const error = await createLlmSettings({ env, logger: silentLogger }).then(
        async (settings) => {
          await settings.close();
          return null;
        },
        (thrown: unknown) => thrown as Error,
      );
      expect(error?.message).toContain(`none of the 1 stored values checked can be decrypted with the keys in the key file ${path}`);
      expect(error?.message).toContain('put the key file from your backups back in place');
      const findKey = keyRunFinder([lost, readFileSync(path, 'utf8').trim()]);
      expect(findKey(error!.message)).toBeUndefined();
    } finally {
      await database.drop();
    }
  });
});
