import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { createDatabase, type TestDatabase } from '../support/databases.js';
import { answerIssues } from './support/answers.js';
import { Figures } from './support/figures.js';
import { FUZZ_SEED } from './support/fuzz-suite.js';
import { Transcript, type RequestSpec } from './support/http-client.js';
import { describeLeaks, findLeaks } from './support/leaks.js';
import { killLeftoverServers, startServer, type ServerProcess } from './support/server-process.js';
import { spellingsOf } from './support/path-spellings.js';
import { readStoredRows } from './support/stored.js';

/*
 * With SETTINGS_API_TOKEN set, every settings route refuses a missing, wrong,
 * differently-cased or overlong token; health routes and the contract stay open. No
 * spelling of a protected route's path, with any method, gets past the token.
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
  { method: 'GET', path: '/api/settings/llm/models' },
  { method: 'POST', path: '/api/settings/llm/models', body: { provider: 'openai', api_key: 'sk-auth-test-intruder-0000' } },
];
/** Routes open without a token; every other operation of the served contract is protected. */
const OPEN_PATHS = ['/healthz', '/readyz', '/api/openapi.json'];
const FUZZED_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'];
const INTRUDER_BODY = { provider: 'anthropic', api_key: 'sk-ant-intruder-spelling-0000' };

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

  describe('path spellings', () => {
    let protectedPaths: string[];
    let knownPaths: string[];
    const refusedWithoutToken = async (method: string, path: string) => {
      figures.inputs++;
      const spec: RequestSpec = { method, path, ...(method === 'PUT' || method === 'POST' ? { body: INTRUDER_BODY } : {}) };
      const answer = await call(spec);
      expect(answer.status, `${method} ${path} → ${answer.status} without the token`).toBeGreaterThanOrEqual(400);
      expect(answer.status, `${method} ${path}`).toBeLessThan(500);
      return answer;
    };

    beforeAll(async () => {
      // The protected routes come from the served contract, so a route added later is fuzzed too.
      const contract = (await call({ method: 'GET', path: '/api/openapi.json' })).json() as { paths: Record<string, object> };
      knownPaths = Object.keys(contract.paths);
      protectedPaths = knownPaths.filter((path) => !OPEN_PATHS.includes(path));
      expect(protectedPaths).toEqual(expect.arrayContaining(['/api/settings/llm', '/api/settings/llm/test']));
      expect((await call(SETTINGS_ROUTES[1]!, `Bearer ${TOKEN}`)).status).toBe(200);
    });

    it('no spelling of a protected path, with any method, answers 2xx without the token, and the stored row stays untouched', async () => {
      const before = await readStoredRows(database);
      expect(before).toHaveLength(1);
      for (const path of protectedPaths) {
        // The path itself, with a query or a fragment (the same route), then its other spellings.
        for (const spelling of [path, `${path}?x=1`, `${path}#x`, ...spellingsOf(path, knownPaths)]) {
          for (const method of FUZZED_METHODS) await refusedWithoutToken(method, spelling);
        }
      }
      expect(await readStoredRows(database)).toEqual(before);
    });

    it('with the token, a spelling the API does not define answers 404, and a known path with another method 405', async () => {
      for (const path of protectedPaths) {
        for (const spelling of spellingsOf(path, knownPaths)) {
          figures.inputs++;
          const answer = await call({ method: 'GET', path: spelling }, `Bearer ${TOKEN}`);
          expect(answer.status, `GET ${spelling}`).toBe(404);
        }
        expect((await call({ method: 'PATCH', path }, `Bearer ${TOKEN}`)).status).toBe(405);
      }
    });

    it('random letter case of a protected path never opens it (property, seeded)', async () => {
      const before = await readStoredRows(database);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...protectedPaths), fc.infiniteStream(fc.boolean()), fc.constantFrom(...FUZZED_METHODS), async (path, flips, method) => {
          const spelling = [...path].map((c) => (flips.next().value ? c.toUpperCase() : c)).join('');
          await refusedWithoutToken(method, spelling);
        }),
        { seed: FUZZ_SEED, numRuns: 200 },
      );
      expect(await readStoredRows(database)).toEqual(before);
    });
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
