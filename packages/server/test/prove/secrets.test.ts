import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { FAKE_BEHAVIORS, startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { createDatabase, describeEachDatabase, type TestDatabase } from '../support/databases.js';
import { answerIssues } from './support/answers.js';
import { decryptWithPython } from './support/fernet-python.js';
import { Figures } from './support/figures.js';
import { Transcript, type RequestSpec } from './support/http-client.js';
import { describeLeaks, findLeaks } from './support/leaks.js';
import { needsRoot } from '../support/root.js';
import { IMMUTABLE_SKIPPED } from './support/immutable.js';
import { prepareOutage, type StorageOutage } from './support/outages.js';
import { killLeftoverServers, runCli, startServer, type ServerProcess } from './support/server-process.js';
import { databaseContents, readStoredRows, runStatement } from './support/stored.js';

/*
 * Secrets: drive every route through its failure modes, then look for any run of 8
 * characters of any secret in everything the system left behind.
 */

const randomText = (length: number) => randomBytes(length).toString('base64url').slice(0, length);
/** Fresh per run, so no fixed string can match by accident. */
const SECRETS = {
  anthropic: `sk-ant-api03-${randomText(48)}`,
  // An old-style OpenAI key: the provider's 401 echoes its first 8 characters, 5 of them secret.
  openai: `sk-${randomText(48)}`,
  // A gateway key: not shaped like a provider key, so only never logging it keeps it out of logs.
  gateway: `gw_${randomText(40)}`,
  encryption_key: generateFernetKey(),
};
const SETTINGS = '/api/settings/llm';
const TEST = '/api/settings/llm/test';

describeEachDatabase('secrets on %s', (kind) => {
  const figures = new Figures(`secrets on ${kind}`);
  const transcript = new Transcript();
  const cliOutputs: Record<string, string> = {};
  let database: TestDatabase;
  let outage: StorageOutage;
  let fake: FakeProvider;
  let server: ServerProcess;

  const call = async (spec: RequestSpec, allowedServerErrors: number[] = []) => {
    const exchange = await transcript.send(server.url, spec);
    figures.requests++;
    expect(answerIssues(exchange, allowedServerErrors), `${spec.method} ${spec.path} → ${exchange.status} ${exchange.text}`).toEqual([]);
    return exchange;
  };
  const cli = async (name: string, args: string[], env: Record<string, string>) => {
    const result = await runCli(args, env);
    cliOutputs[`CLI ${name}`] = result.output;
    return result;
  };

  beforeAll(async () => {
    database = await createDatabase(kind);
    outage = await prepareOutage(database);
    fake = await startFakeProvider();
    server = await startServer({
      DATABASE_URL: outage.databaseUrl,
      ENCRYPTION_KEY: SECRETS.encryption_key,
      ANTHROPIC_BASE_URL: fake.baseUrls.anthropic,
      OPENAI_BASE_URL: fake.baseUrls.openai,
      PROBE_TIMEOUT_MS: '300',
      // Everything the server can say, said.
      LOG_LEVEL: 'trace',
    });
  });

  afterAll(async () => {
    await killLeftoverServers();
    await outage?.close();
    await fake?.close();
    await database?.drop();
    figures.print();
  });

  it('routes answer well-formed views, test results and problems while handling keys', async () => {
    await call({ method: 'GET', path: SETTINGS });
    for (const [provider, key] of [['openai', SECRETS.openai], ['openai', SECRETS.gateway], ['anthropic', SECRETS.anthropic]] as const) {
      expect((await call({ method: 'PUT', path: SETTINGS, body: { provider, api_key: key } })).status).toBe(200);
      await call({ method: 'GET', path: SETTINGS });
      // The stored settings meet every provider behaviour, including a 401 that quotes the key.
      for (const behavior of FAKE_BEHAVIORS) {
        fake.setBehavior(provider, behavior);
        if (behavior !== 'ok') figures.faults++;
        const tested = (await call({ method: 'POST', path: TEST })).json();
        if (behavior === 'ok') expect(tested.success).toBe(true);
        if (behavior === 'hang') expect(tested.code).toBe('timeout');
        if (behavior === 'unauthorized') expect(tested.code).toBe('invalid_api_key');
      }
      fake.setBehavior(provider, 'ok');
    }
    // Candidates: the same behaviours through the candidate route.
    for (const [provider, key] of [['openai', SECRETS.openai], ['openai', SECRETS.gateway], ['anthropic', SECRETS.anthropic]] as const) {
      for (const behavior of FAKE_BEHAVIORS) {
        fake.setKeyBehavior(provider, key, behavior);
        if (behavior !== 'ok') figures.faults++;
        await call({ method: 'POST', path: TEST, body: { provider, api_key: key, model: 'gpt-4.1' } });
      }
      fake.setKeyBehavior(provider, key, null);
    }
  });

  it('refuses bad input that carries a key without repeating it', async () => {
    const { openai, gateway, anthropic } = SECRETS;
    const bad: Array<[RequestSpec, number]> = [
      [{ method: 'PUT', path: SETTINGS, body: `{"provider":"openai","api_key":"${openai}"`, headers: { 'content-type': 'application/json' } }, 400],
      [{ method: 'PUT', path: SETTINGS, body: `{"provider":"openai","api_key":"${gateway}",}`, headers: { 'content-type': 'application/json' } }, 400],
      [{ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: openai, admin: gateway } }, 400],
      [{ method: 'PUT', path: SETTINGS, body: { provider: 'gemini', api_key: anthropic } }, 400],
      [{ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: [gateway] } }, 400],
      [{ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: `${openai} ${gateway}` } }, 400],
      [{ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: openai.repeat(12) } }, 400],
      [{ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: `${gateway}\u0000` } }, 400],
      [{ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: openai, model: 'has space' } }, 400],
      [{ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: openai }, headers: { 'if-match': '"999-zz"' } }, 412],
      [{ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: gateway }, headers: { 'if-match': `"${gateway}` } }, 400],
      [{ method: 'PUT', path: SETTINGS, body: `provider=openai&api_key=${openai}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415],
      [{ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: gateway, model: gateway.repeat(500) } }, 413],
      [{ method: 'POST', path: TEST, body: `{"provider":"anthropic","api_key":"${anthropic}`, headers: { 'content-type': 'application/json' } }, 400],
      [{ method: 'POST', path: TEST, body: { provider: 'anthropic', api_key: anthropic, extra: anthropic } }, 400],
      [{ method: 'POST', path: TEST, body: { provider: 'openai', api_key: gateway }, headers: { 'content-type': 'text/plain' } }, 415],
      [{ method: 'DELETE', path: SETTINGS, headers: { 'if-match': `W/"${openai}"` } }, 412],
      [{ method: 'GET', path: `/api/${gateway}` }, 404],
      [{ method: 'PATCH', path: SETTINGS, body: { provider: 'openai', api_key: openai } }, 405],
    ];
    for (const [spec, status] of bad) {
      const answer = await call(spec);
      expect(answer.status, `${spec.method} ${spec.path} ${JSON.stringify(spec.body)?.slice(0, 60)}`).toBe(status);
      figures.inputs++;
    }
    // Keys in places the API does not read: headers and the query string.
    await call({ method: 'GET', path: `${SETTINGS}?api_key=${openai}`, headers: { authorization: `Bearer ${gateway}`, 'x-api-key': anthropic, cookie: `key=${openai}` } });
    figures.inputs++;
  });

  // On SQLite the outage makes the database file immutable (`chattr +i`), which takes root.
  const immutable = kind === 'sqlite';
  const outageTitle = 'answers 503 while storage is down, and recovers';
  it.skipIf(immutable && IMMUTABLE_SKIPPED !== undefined)(immutable ? needsRoot(outageTitle, IMMUTABLE_SKIPPED) : outageTitle, async () => {
    await outage.begin();
    figures.faults++;
    try {
      const put = await call({ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: SECRETS.gateway } }, [503]);
      expect(put.status).toBe(503);
      expect(put.json().code).toBe('STORAGE.UNAVAILABLE');
      expect((await call({ method: 'PUT', path: SETTINGS, body: { provider: 'anthropic', model: 'claude-opus-4-1-20250805' } }, [503])).status).toBe(503);
      expect((await call({ method: 'DELETE', path: SETTINGS }, [503])).status).toBe(503);
      await call({ method: 'GET', path: SETTINGS }, [503]);
      await call({ method: 'POST', path: TEST }, [503]);
      await call({ method: 'POST', path: TEST, body: { provider: 'openai', api_key: SECRETS.openai } }, [503]);
      await call({ method: 'GET', path: '/readyz' }, [503]);
      // The CLI meets the same outage: its error output is scanned too.
      const rotation = await cli('rotate-key during the outage', ['rotate-key'], {
        DATABASE_URL: outage.databaseUrl,
        ENCRYPTION_KEY: `${generateFernetKey()},${SECRETS.encryption_key}`,
      });
      expect(rotation.code).toBe(1);
    } finally {
      await outage.end();
    }
    expect((await call({ method: 'GET', path: SETTINGS })).status).toBe(200);
  });

  it('answers a fixed 503 when a handler fails on a storage fault (its table gone)', async () => {
    await runStatement(database, 'ALTER TABLE settings RENAME TO settings_moved_away');
    figures.faults++;
    try {
      const put = await call({ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: SECRETS.openai } }, [503]);
      expect(put.status).toBe(503);
      expect(put.json().code).toBe('STORAGE.UNAVAILABLE');
      expect((await call({ method: 'DELETE', path: SETTINGS }, [503])).status).toBe(503);
      await call({ method: 'POST', path: TEST }, [503]);
      await call({ method: 'GET', path: SETTINGS }, [503]);
      const rotation = await cli('rotate-key without a table', ['rotate-key'], {
        DATABASE_URL: database.url,
        ENCRYPTION_KEY: `${generateFernetKey()},${SECRETS.encryption_key}`,
      });
      expect(rotation.code).toBe(1);
    } finally {
      await runStatement(database, 'ALTER TABLE settings_moved_away RENAME TO settings');
    }
  });

  it('the CLI reports a key mismatch without quoting anything stored', async () => {
    const rotation = await cli('rotate-key with a foreign key', ['rotate-key'], { DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey() });
    figures.faults++;
    expect(rotation.code).toBe(1);
    expect(rotation.output).toContain('can be decrypted with the keys in ENCRYPTION_KEY');
    const invalid = await cli('serve with an invalid key list', ['serve'], { DATABASE_URL: database.url, ENCRYPTION_KEY: `${SECRETS.encryption_key},${SECRETS.gateway}` });
    expect(invalid.code).toBe(1);
  });

  it('stores a token that python3 cryptography decrypts to the expected JSON', async () => {
    await call({ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: SECRETS.gateway, model: 'gpt-4.1' } });
    const rows = await readStoredRows(database);
    expect(rows.map((r) => r.key)).toEqual(['llm_config']);
    const [decrypted] = decryptWithPython([rows[0]!.value], [SECRETS.encryption_key]);
    expect(decrypted).toEqual({ ok: true, json: { provider: 'openai', model: 'gpt-4.1', api_key: SECRETS.gateway, scope: 'default', origin: new URL(fake.baseUrls.openai).origin } });
  });

  it('no part of any secret reaches the database, the logs, a response or an error message', async () => {
    // The scan must see real material: keys that went all the way to the provider, and the stored token.
    for (const key of [SECRETS.anthropic, SECRETS.openai, SECRETS.gateway]) expect(fake.requests.some((r) => r.apiKey === key)).toBe(true);
    const [stored] = await readStoredRows(database);
    const whileRunning = await databaseContents(database);
    expect(Object.values(whileRunning).some((content) => content.toString().includes(stored!.value))).toBe(true);
    expect(await server.stop()).toBe(0);
    const afterStop = await databaseContents(database);
    const sources: Record<string, string | Buffer> = {
      'server stdout': server.stdout(),
      'server stderr': server.stderr(),
      'responses (headers and bodies)': transcript.text(),
      ...cliOutputs,
      ...Object.fromEntries(Object.entries(whileRunning).map(([name, content]) => [`${name} (running)`, content])),
      ...Object.fromEntries(Object.entries(afterStop).map(([name, content]) => [`${name} (stopped)`, content])),
    };
    expect(server.stdout().split('\n').length).toBeGreaterThan(transcript.exchanges.length);
    const leaks = findLeaks(SECRETS, sources);
    figures.leaks = leaks.length;
    figures.set('places scanned', Object.keys(sources).length);
    expect(leaks, describeLeaks(leaks)).toEqual([]);
  });
});
