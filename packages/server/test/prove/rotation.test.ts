import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createLlmSettings } from '../../src/create-llm-settings.js';
import { createDatabase, describeEachDatabase, type TestDatabase } from '../support/databases.js';
import { decryptWithPython } from './support/fernet-python.js';
import { Figures } from './support/figures.js';
import { Transcript, type Exchange } from './support/http-client.js';
import { describeLeaks, findLeaks } from './support/leaks.js';
import { killLeftoverServers, runCli, startServer, type ServerProcess } from './support/server-process.js';
import { readStoredRows, type StoredRow } from './support/stored.js';

/*
 * Key rotation as an operator does it, with restarts and the CLI. Two stored values:
 * the default scope (written over HTTP) and a tenant scope (written through the
 * embedding API), so "every value" means more than one.
 *
 * Wrong key, two branches: a server refuses to start with an unrelated key C, saying how
 * to recover; started anyway (ALLOW_UNDECRYPTABLE=1) it answers CRYPTO.UNDECRYPTABLE and
 * overwrites nothing, so restarting with B brings the settings back. Once a user saves new settings under C (PUT and DELETE work), the default scope
 * holds a C token: B then reports that one as undecryptable, while the untouched tenant
 * value still opens with B.
 */

const randomText = (length: number) => randomBytes(length).toString('base64url').slice(0, length);
const KEY_1 = `sk-ant-api03-${randomText(40)}`;
const KEY_2 = `sk-${randomText(40)}`;
const KEY_3 = `gw_${randomText(40)}`;
const TENANT = 'tenant-42';
const SETTINGS = '/api/settings/llm';

const masked = (key: string) => `...${key.slice(-4)}`;
/** Starts even though the key opens none of the stored values. */
const ALLOW_UNDECRYPTABLE = { ALLOW_UNDECRYPTABLE: '1' };

describeEachDatabase('key rotation on %s', (kind) => {
  const figures = new Figures(`rotation on ${kind}`);
  const transcript = new Transcript();
  const outputs: string[] = [];
  const [A, B, C] = [generateFernetKey(), generateFernetKey(), generateFernetKey()];
  let database: TestDatabase;

  /** Serves with `keys` (and `env`), runs `work`, stops with SIGTERM and expects exit code 0. */
  async function servedWith(
    keys: string,
    work: (call: (method: string, body?: object, path?: string) => Promise<Exchange>) => Promise<void>,
    env: Record<string, string> = {},
  ) {
    const server: ServerProcess = await startServer({ DATABASE_URL: database.url, ENCRYPTION_KEY: keys, ...env });
    figures.add('restarts');
    try {
      await work(async (method, body, path = SETTINGS) => {
        figures.requests++;
        return transcript.send(server.url, { method, path, ...(body ? { body } : {}) });
      });
    } finally {
      expect(await server.stop()).toBe(0);
      outputs.push(server.stdout(), server.stderr());
    }
  }
  async function cli(args: string[], keys: string, env: Record<string, string> = {}) {
    const result = await runCli(args, { DATABASE_URL: database.url, ENCRYPTION_KEY: keys, ...env });
    outputs.push(result.output);
    return result;
  }
  const rows = () => readStoredRows(database);
  // Each value carries the origin of its provider's API root when it was saved (the public ones here).
  const expectedDefault = { provider: 'anthropic', model: 'claude-opus-4-1-20250805', api_key: KEY_1, scope: 'default', origin: 'https://api.anthropic.com' };
  const expectedTenant = { provider: 'openai', model: 'gpt-4o', api_key: KEY_2, scope: TENANT, origin: 'https://api.openai.com' };
  const decrypt = (stored: StoredRow[], keys: string[]) => decryptWithPython(stored.map((r) => r.value), keys);

  beforeAll(async () => {
    database = await createDatabase(kind);
  });
  afterAll(async () => {
    await killLeftoverServers();
    await database?.drop();
    figures.print();
  });

  let rotated: StoredRow[];

  it('stores with key A, and "B,A" still reads it', async () => {
    await servedWith(A, async (call) => {
      expect((await call('PUT', { provider: 'anthropic', api_key: KEY_1, model: 'claude-opus-4-1-20250805' })).status).toBe(200);
    });
    const embedded = await createLlmSettings({ env: { DATABASE_URL: database.url, ENCRYPTION_KEY: A }, logger: silentLogger });
    try {
      await embedded.service.update({ provider: 'openai', api_key: KEY_2 }, { scope: TENANT });
    } finally {
      await embedded.close();
    }
    const underA = await rows();
    expect(decrypt(underA, [A])).toEqual([{ ok: true, json: expectedDefault }, { ok: true, json: expectedTenant }]);
    expect(decrypt(underA, [B]).every((d) => !d.ok)).toBe(true);

    await servedWith(`${B},${A}`, async (call) => {
      const view = await call('GET');
      expect(view.status).toBe(200);
      expect(view.json()).toMatchObject({ provider: 'anthropic', api_key_masked: masked(KEY_1) });
    });
    expect(await rows()).toEqual(underA);
  });

  it('rotate-key re-encrypts every value so that B alone decrypts it', async () => {
    const before = await rows();
    const result = await cli(['rotate-key'], `${B},${A}`);
    expect(result.code).toBe(0);
    expect(result.output).toContain('Re-encrypted 2 of 2 stored value(s)');
    rotated = await rows();
    expect(rotated.map((r) => r.value)).not.toEqual(before.map((r) => r.value));
    expect(decrypt(rotated, [B])).toEqual([{ ok: true, json: expectedDefault }, { ok: true, json: expectedTenant }]);
    expect(decrypt(rotated, [A]).every((d) => !d.ok)).toBe(true);

    await servedWith(B, async (call) => {
      expect((await call('GET')).json()).toMatchObject({ provider: 'anthropic', api_key_masked: masked(KEY_1) });
    });
  });

  it('with an unrelated key C, serve refuses; with ALLOW_UNDECRYPTABLE=1 reads answer CRYPTO.UNDECRYPTABLE and nothing is overwritten', async () => {
    const refusedStart = await cli(['serve'], C, { PORT: '0' });
    expect(refusedStart.code).toBe(1);
    expect(refusedStart.output).toContain('Refusing to start: none of the 2 stored values checked can be decrypted');
    await servedWith(C, async (call) => {
      const attempts = [['GET', SETTINGS], ['POST', `${SETTINGS}/test`], ['PUT', SETTINGS, { provider: 'anthropic' }]] as const;
      for (const [method, path, body] of attempts) {
        const response = await call(method, body, path);
        expect(response.status, method).toBe(409);
        expect(response.json()).toMatchObject({ code: 'CRYPTO.UNDECRYPTABLE', title: 'Encryption key mismatch' });
        expect(response.json().detail).toMatch(/encryption key does not match/);
        figures.faults++;
      }
    }, ALLOW_UNDECRYPTABLE);
    const refused = await cli(['rotate-key'], C, ALLOW_UNDECRYPTABLE);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('cannot be decrypted');
    expect(await rows()).toEqual(rotated);

    await servedWith(B, async (call) => {
      expect((await call('GET')).json()).toMatchObject({ provider: 'anthropic', api_key_masked: masked(KEY_1) });
    });
  });

  it('under C, PUT replaces and DELETE removes the undecryptable settings; B then sees the replacement as undecryptable', async () => {
    await servedWith(C, async (call) => {
      const replaced = await call('PUT', { provider: 'openai', api_key: KEY_3 });
      expect(replaced.status).toBe(200);
      expect((await call('GET')).json()).toMatchObject({ provider: 'openai', api_key_masked: masked(KEY_3) });
      expect((await call('DELETE')).status).toBe(204);
      expect((await call('GET')).json()).toMatchObject({ api_key_set: false });
      expect((await call('PUT', { provider: 'openai', api_key: KEY_3 })).status).toBe(200);
    }, ALLOW_UNDECRYPTABLE);
    const [defaultRow, tenantRow] = await rows();
    expect(decrypt([defaultRow!], [C])).toEqual([{ ok: true, json: { provider: 'openai', model: 'gpt-4o', api_key: KEY_3, scope: 'default', origin: 'https://api.openai.com' } }]);
    expect(tenantRow).toEqual(rotated[1]);
    expect(decrypt([tenantRow!], [B])).toEqual([{ ok: true, json: expectedTenant }]);

    await servedWith(B, async (call) => {
      const response = await call('GET');
      expect(response.status).toBe(409);
      expect(response.json().code).toBe('CRYPTO.UNDECRYPTABLE');
    });
  });

  it('no key reached a log line, a response or the CLI output', () => {
    const leaks = findLeaks({ KEY_1, KEY_2, KEY_3, A, B, C }, { outputs: outputs.join('\n'), responses: transcript.text() });
    figures.leaks = leaks.length;
    expect(leaks, describeLeaks(leaks)).toEqual([]);
  });
});
