import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createLlmSettings } from '../src/create-llm-settings.js';
import { createDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { REPO_ROOT, assertBuilt } from './support/processes.js';

/** Long enough for a start and its refusal on a loaded machine; a process held by a connection never gets there. */
const EXITS_WITHIN_MS = 8_000;

beforeAll(() => assertBuilt());

describeEachDatabase('a failed createLlmSettings() on %s releases everything it opened', (kind) => {
  let database: TestDatabase | undefined;
  afterEach(async () => database?.drop());

  it('a start refused by the key check (values stored under another key) lets the embedding process exit by itself', async () => {
    database = await createDatabase(kind);
    const seeded = await createLlmSettings({ env: { DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey() }, logger: silentLogger, pruning: false });
    await seeded.service.update({ provider: 'openai', api_key: 'sk-proj-FAILED-START-0123456789' }, { scope: 'tenant-1' });
    await seeded.close();

    const server = pathToFileURL(join(REPO_ROOT, 'packages', 'server', 'dist', 'index.js')).href;
    // METRICS on (the default): its watch of the store starts the change feed before the key check.
    const env = { DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey(), LOG_LEVEL: 'silent' };
    const script = `
      const { createLlmSettings } = await import(${JSON.stringify(server)});
      await createLlmSettings({ env: ${JSON.stringify(env)} }).then(() => console.log('started'), (error) => console.log(error.code));`;
    // Left open, a connection would hold the process until the timeout kills it (execFile then rejects).
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: EXITS_WITHIN_MS });
    expect(stdout.trim()).toBe('CONFIG.INVALID');
  });
});
