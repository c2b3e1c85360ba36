import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider, type FakeProvider } from '@llm-settings/provider-probe/testing';
import { createDatabase, type TestDatabase } from '../support/databases.js';
import { answerIssues } from './support/answers.js';
import { Figures } from './support/figures.js';
import { FUZZ_SEED } from './support/fuzz-suite.js';
import { Transcript, type RequestSpec } from './support/http-client.js';
import { describeLeaks, findLeaks } from './support/leaks.js';
import { killLeftoverServers, startServer, type ServerProcess } from './support/server-process.js';
import { readStoredRows } from './support/stored.js';

/*
 * With SETTINGS_API_TOKEN set, every settings route refuses a missing, wrong,
 * differently-cased or overlong token; health routes and the contract stay open.
 */

/** Letters in both cases, so that a case change makes a different token. */
const TOKEN = `Tk${randomBytes(30).toString('base64url')}aZ`;
const swapCase = (text: string) => [...text].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');

const SETTINGS_ROUTES: RequestSpec[] = [
  { method: 'GET', path: '/api/settings/llm' },
  { method: 'PUT', path: '/api/settings/llm', body: { provider: 'openai', api_key: 'sk-auth-test-intruder-0000' } },
  { method: 'DELETE', path: '/api/settings/llm' },
  { method: 'POST', path: '/api/settings/llm/test' },
  { method: 'POST', path: '/api/settings/llm/test', body: { provider: 'openai', api_key: 'sk-auth-test-intruder-0000' } },
  { method: 'PATCH', path: '/api/settings/llm' },
  { method: 'GET', path: '/api/settings/other' },
];
const REFUSED_CREDENTIALS: Record<string, string | undefined> = {
  missing: undefined,
  empty: '',
  'wrong token': 'Bearer wrong-token-wrong-token',
  'swapped case': `Bearer ${swapCase(TOKEN)}`,
  'upper case': `Bearer ${TOKEN.toUpperCase()}`,
  'lower case': `Bearer ${TOKEN.toLowerCase()}`,
  'one character short': `Bearer ${TOKEN.slice(0, -1)}`,
  'one character more': `Bearer ${TOKEN}x`,
  'overlong (1 KiB more)': `Bearer ${TOKEN}${'x'.repeat(1024)}`,
  'overlong (the token 200 times)': `Bearer ${TOKEN.repeat(200)}`,
  'no scheme': TOKEN,
  'Basic scheme': `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`,
  'Token scheme': `Token ${TOKEN}`,
  'trailing words': `Bearer ${TOKEN} extra`,
  'token as scheme': `${TOKEN} ${TOKEN}`,
};

describe('bearer token', () => {
  const figures = new Figures('auth');
  const transcript = new Transcript();
  let database: TestDatabase;
  let fake: FakeProvider;
  let server: ServerProcess;

  const call = async (spec: RequestSpec, authorization?: string) => {
    figures.requests++;
    const exchange = await transcript.send(server.url, { ...spec, headers: { ...spec.headers, ...(authorization === undefined ? {} : { authorization }) } });
    expect(answerIssues(exchange), `${spec.method} ${spec.path} → ${exchange.status} ${exchange.text}`).toEqual([]);
    return exchange;
  };
  const expectRefused = async (spec: RequestSpec, authorization: string | undefined) => {
    const answer = await call(spec, authorization);
    expect(answer.status, `${spec.method} ${spec.path}`).toBe(401);
    expect(answer.json().code).toBe('HTTP.UNAUTHORIZED');
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="llm-settings"/);
  };

  beforeAll(async () => {
    database = await createDatabase('sqlite');
    fake = await startFakeProvider();
    server = await startServer({
      DATABASE_URL: database.url,
      ENCRYPTION_KEY: generateFernetKey(),
      SETTINGS_API_TOKEN: TOKEN,
      OPENAI_BASE_URL: fake.baseUrls.openai,
      LOG_LEVEL: 'trace',
    });
  });
  afterAll(async () => {
    await killLeftoverServers();
    await fake?.close();
    await database?.drop();
    figures.print();
  });

  it('the right token opens every settings route (the scheme in any case)', async () => {
    expect((await call(SETTINGS_ROUTES[1]!, `Bearer ${TOKEN}`)).status).toBe(200);
    expect((await call(SETTINGS_ROUTES[0]!, `bearer ${TOKEN}`)).status).toBe(200);
    expect((await call(SETTINGS_ROUTES[3]!, `BEARER ${TOKEN}`)).json()).toMatchObject({ success: true });
  });

  it.each(Object.entries(REFUSED_CREDENTIALS))('refuses a %s token on every settings route, and nothing changes', async (_name, authorization) => {
    const before = await readStoredRows(database);
    for (const route of SETTINGS_ROUTES) {
      figures.inputs++;
      await expectRefused(route, authorization);
    }
    expect(await readStoredRows(database)).toEqual(before);
  });

  it('refuses random tokens (property, seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 1100 }).filter((t) => t !== TOKEN),
        fc.constantFrom(...SETTINGS_ROUTES),
        async (token, route) => {
          figures.inputs++;
          await expectRefused(route, `Bearer ${token}`);
        },
      ),
      { seed: FUZZ_SEED, numRuns: 100 },
    );
  });

  it('health routes and the contract stay open without a token', async () => {
    for (const path of ['/healthz', '/readyz', '/api/openapi.json']) {
      expect((await call({ method: 'GET', path })).status, path).toBe(200);
      expect((await call({ method: 'GET', path }, 'Bearer wrong-token-wrong-token')).status, path).toBe(200);
    }
  });

  it('the token appears in no log line and no response', async () => {
    expect(await server.stop()).toBe(0);
    const leaks = findLeaks({ SETTINGS_API_TOKEN: TOKEN }, { stdout: server.stdout(), stderr: server.stderr(), responses: transcript.text() });
    figures.leaks = leaks.length;
    expect(leaks, describeLeaks(leaks)).toEqual([]);
  });
});
