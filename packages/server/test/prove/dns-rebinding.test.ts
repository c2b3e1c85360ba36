import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createDatabase, type TestDatabase } from '../support/databases.js';
import { answerIssues } from './support/answers.js';
import { Figures } from './support/figures.js';
import { Transcript, type RequestSpec } from './support/http-client.js';
import { killLeftoverServers, logLines, startServer, type ServerProcess } from './support/server-process.js';
import { readStoredRows } from './support/stored.js';

/*
 * The loopback default (no SETTINGS_API_TOKEN) against a web page the user visits: the
 * page rebinds attacker.example to 127.0.0.1, so the browser reaches the server with
 * `Host: attacker.example:<port>`; or it calls http://127.0.0.1:<port> directly and the
 * browser sends its Origin. Neither gets past the Host and Origin checks, while the
 * request curl sends to 127.0.0.1 is served as before.
 */

const ATTACKER = 'attacker.example';
const INTRUDER_BODY = { provider: 'openai', api_key: 'sk-rebinding-intruder-0000' };
const EVERY_ROUTE: RequestSpec[] = [
  { method: 'GET', path: '/api/settings/llm' },
  { method: 'PUT', path: '/api/settings/llm', body: INTRUDER_BODY },
  { method: 'DELETE', path: '/api/settings/llm' },
  { method: 'POST', path: '/api/settings/llm/test' },
  { method: 'POST', path: '/api/settings/llm/test', body: INTRUDER_BODY },
  { method: 'GET', path: '/api/settings/llm/models' },
  { method: 'POST', path: '/api/settings/llm/models', body: INTRUDER_BODY },
  { method: 'GET', path: '/api/openapi.json' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/readyz' },
];

describe('DNS rebinding and cross-site pages, against the built server', () => {
  const figures = new Figures('dns-rebinding');
  const transcript = new Transcript();
  let database: TestDatabase;
  let server: ServerProcess;
  const port = () => new URL(server.url).port;

  const call = async (target: ServerProcess, spec: RequestSpec) => {
    figures.requests++;
    const exchange = await transcript.send(target.url, spec);
    expect(answerIssues(exchange), `${spec.method} ${spec.path} → ${exchange.status} ${exchange.text}`).toEqual([]);
    return exchange;
  };

  beforeAll(async () => {
    database = await createDatabase('sqlite');
    server = await startServer({ DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey() });
  });
  afterAll(async () => {
    await killLeftoverServers();
    await database?.drop();
    figures.print();
  });

  it('refuses a rebound request (Host: attacker.example) on every route with 421, and nothing is stored', async () => {
    const before = await readStoredRows(database);
    for (const host of [`${ATTACKER}:${port()}`, ATTACKER, `${ATTACKER.toUpperCase()}.`]) {
      for (const route of EVERY_ROUTE) {
        figures.inputs++;
        const answer = await call(server, { ...route, headers: { host } });
        expect(answer.status, `${route.method} ${route.path} with Host ${host}`).toBe(421);
        expect(answer.json().code).toBe('HTTP.MISDIRECTED_REQUEST');
      }
    }
    expect(await readStoredRows(database)).toEqual(before);
  });

  it('refuses a cross-site page calling 127.0.0.1 directly (its Origin) with 403, and nothing is stored', async () => {
    const before = await readStoredRows(database);
    for (const origin of [`http://${ATTACKER}`, `http://${ATTACKER}:${port()}`, 'null']) {
      for (const route of EVERY_ROUTE) {
        figures.inputs++;
        const answer = await call(server, { ...route, headers: { origin } });
        expect(answer.status, `${route.method} ${route.path} with Origin ${origin}`).toBe(403);
        expect(answer.json().code).toBe('HTTP.FORBIDDEN_ORIGIN');
      }
    }
    expect(await readStoredRows(database)).toEqual(before);
  });

  it('serves the request curl sends to 127.0.0.1, and localhost', async () => {
    const saved = await call(server, { method: 'PUT', path: '/api/settings/llm', body: { provider: 'openai', api_key: 'sk-rebinding-owner-key-1234' } });
    expect(saved.status).toBe(200);
    expect(await readStoredRows(database)).toHaveLength(1);
    const read = await call(server, { method: 'GET', path: '/api/settings/llm', headers: { host: `localhost:${port()}` } });
    expect(read.json()).toMatchObject({ provider: 'openai', api_key_set: true });
    const samePage = await call(server, { method: 'GET', path: '/api/settings/llm', headers: { origin: server.url } });
    expect(samePage.status).toBe(200);
  });

  it('logs each refusal as a request line with its code, never the Host or Origin it refused', async () => {
    const logged = await server.loggedSoFar();
    const refusals = logLines(logged).filter((line) => line.status === 421 || line.status === 403);
    expect(refusals.length).toBeGreaterThanOrEqual(EVERY_ROUTE.length * 6);
    for (const line of refusals) expect(line).toMatchObject({ msg: 'http request', route: null, error_code: line.status === 421 ? 'HTTP.MISDIRECTED_REQUEST' : 'HTTP.FORBIDDEN_ORIGIN' });
    expect(logged.toLowerCase()).not.toContain(ATTACKER);
  });

  it('serves the names of ALLOWED_HOSTS and still refuses others', async () => {
    const named = await startServer({ DATABASE_URL: 'sqlite::memory:', ENCRYPTION_KEY: generateFernetKey(), ALLOWED_HOSTS: 'settings.internal,proxy.example:443', ALLOW_UNAUTHENTICATED: '1' });
    try {
      const namedPort = new URL(named.url).port;
      for (const host of [`settings.internal:${namedPort}`, 'proxy.example', `127.0.0.1:${namedPort}`]) {
        expect((await call(named, { method: 'GET', path: '/api/settings/llm', headers: { host } })).status, host).toBe(200);
      }
      expect((await call(named, { method: 'GET', path: '/api/settings/llm', headers: { host: `${ATTACKER}:${namedPort}` } })).status).toBe(421);
    } finally {
      expect(await named.stop()).toBe(0);
    }
  });

  it('refuses to start with an unusable ALLOWED_HOSTS entry, naming the variable and not the value', async () => {
    // startServer rejects with the output when the process exits before serving (and a
    // server that starts anyway is killed after the suite).
    const refused = await startServer({ DATABASE_URL: 'sqlite::memory:', ALLOWED_HOSTS: 'ok.example,http://secret-name.example/' }).then(
      () => new Error('the server started'),
      (error: Error) => error,
    );
    expect(refused.message).toMatch(/exited with 1 before it served/);
    expect(refused.message).toContain('ALLOWED_HOSTS entry 2 must be a hostname or IP address');
    expect(refused.message).not.toContain('secret-name');
  });
});
