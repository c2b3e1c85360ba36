import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { createDatabase, describeEachDatabase, POSTGRES_SKIPPED, type TestDatabase } from '../support/databases.js';
import { needsRoot, ROOT_SKIPPED } from '../support/root.js';
import { answerIssues } from './support/answers.js';
import { Figures } from './support/figures.js';
import { send, type Exchange, type RequestSpec } from './support/http-client.js';
import { isPostgresReady, startPostgres, stopPostgres } from './support/postgres-cluster.js';
import { killLeftoverServers, runCli, startServer, type ServerProcess } from './support/server-process.js';
import { burstThenSigterm } from './support/shutdown.js';
import { runTraffic } from './support/traffic.js';

/*
 * The real PostgreSQL cluster is stopped and started again under a running server.
 * This file runs only in the soak part, one file at a time: the quick part's files use
 * PostgreSQL concurrently. The cluster is always started again (finally / afterAll).
 */

const SETTINGS = '/api/settings/llm';
/** The bound the issue names: an outage is reported at once, not after a pool timeout. */
const PROMPT_MS = 2_000;
const figures = new Figures('faults (soak)');

afterAll(async () => {
  await killLeftoverServers();
  await startPostgres();
  figures.print();
});

// Stopping the cluster (pg_ctlcluster) takes root, and a PostgreSQL this machine runs.
describe.skipIf(ROOT_SKIPPED !== undefined || POSTGRES_SKIPPED !== undefined)(needsRoot('PostgreSQL stopped mid-run', ROOT_SKIPPED ?? POSTGRES_SKIPPED), () => {
  let database: TestDatabase;
  let server: ServerProcess;
  const encryptionKey = generateFernetKey();

  const call = async (spec: RequestSpec): Promise<Exchange> => {
    const exchange = await send(server.url, spec);
    figures.requests++;
    expect(answerIssues(exchange, [503]), `${spec.method} ${spec.path} → ${exchange.status} ${exchange.text}`).toEqual([]);
    return exchange;
  };
  const expectUnavailable = (exchange: Exchange) => {
    expect(exchange.status, `${exchange.method} ${exchange.path} ${exchange.text}`).toBe(503);
    expect(exchange.headers['retry-after']).toBe('1');
    if (exchange.path !== '/readyz') expect(exchange.json().code).toBe('STORAGE.UNAVAILABLE');
    expect(exchange.ms).toBeLessThan(PROMPT_MS);
  };

  beforeAll(async () => {
    await startPostgres();
    database = await createDatabase('postgres');
    server = await startServer({ DATABASE_URL: database.url, ENCRYPTION_KEY: encryptionKey });
  });
  afterAll(async () => {
    await startPostgres();
    await server?.stop();
    await database?.drop();
  });

  it(`answers 503 with Retry-After within ${PROMPT_MS} ms (cached reads too), stays up, and the first request after restart succeeds`, async () => {
    expect((await call({ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: 'sk-soak-outage-key-0001', model: 'gpt-4.1' } })).status).toBe(200);
    const before = await call({ method: 'GET', path: SETTINGS });
    try {
      await stopPostgres();
      figures.faults++;
      expect(await isPostgresReady()).toBe(false);
      // First a GET: its view was cached, and the cache must not outlive the database.
      for (let round = 0; round < 3; round++) {
        expectUnavailable(await call({ method: 'GET', path: SETTINGS }));
        expectUnavailable(await call({ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: 'sk-soak-outage-key-0002' } }));
        expectUnavailable(await call({ method: 'PUT', path: SETTINGS, body: { provider: 'openai', model: 'gpt-4o-mini' } }));
        expectUnavailable(await call({ method: 'DELETE', path: SETTINGS }));
        expectUnavailable(await call({ method: 'POST', path: `${SETTINGS}/test` }));
        expect((await call({ method: 'GET', path: '/readyz' })).status).toBe(503);
        expect((await call({ method: 'GET', path: '/healthz' })).status).toBe(200);
        expect(server.alive()).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      const cli = await runCli(['rotate-key'], { DATABASE_URL: database.url, ENCRYPTION_KEY: encryptionKey });
      expect(cli.code).toBe(1);
      // The CLI names the server it could not reach, never the credentials in DATABASE_URL.
      const { hostname, port, username, password } = new URL(database.url);
      expect(cli.output).toContain(`cannot reach PostgreSQL at ${hostname}:${port || '5432'}`);
      for (const secret of [username, password].filter((part) => part.length > 0)) expect(cli.output).not.toContain(`${secret}@`);
    } finally {
      await startPostgres();
    }
    const first = await call({ method: 'GET', path: SETTINGS });
    expect(first.status).toBe(200);
    expect(first.text).toBe(before.text);
    expect((await call({ method: 'PUT', path: SETTINGS, body: { provider: 'anthropic', api_key: 'sk-ant-soak-outage-key-3' } })).status).toBe(200);
    expect((await call({ method: 'GET', path: '/readyz' })).status).toBe(200);
  });

  it('under load: only 200, 204 or a prompt 503 while it is down, nothing but success once it is back', async () => {
    let stopAt = Number.POSITIVE_INFINITY;
    let readyAt = Number.POSITIVE_INFINITY;
    const end = performance.now() + 12_000;
    const traffic = runTraffic({
      url: server.url,
      clients: 50,
      mix: (r) => (r < 0.5 ? 'GET' : r < 0.85 ? 'PUT' : 'DELETE'),
      done: () => performance.now() > end,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      stopAt = performance.now();
      await stopPostgres();
      figures.faults++;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    } finally {
      await startPostgres();
      readyAt = performance.now();
    }
    const operations = await traffic;
    figures.requests += operations.length;
    const byStatus = new Map<string, number>();
    for (const op of operations) {
      const key = op.answer ? String(op.answer.status) : (op.failure ?? 'none');
      byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
    }
    figures.set('under load, outcomes', [...byStatus].map(([k, v]) => `${k}x${v}`).join(' '));

    expect(operations.filter((op) => !op.answer).map((op) => op.failure)).toEqual([]);
    const wrong = operations.filter((op) => answerIssues(op.answer!, [503]).length > 0 || ![200, 204, 503].includes(op.answer!.status));
    expect(wrong.map((op) => `${op.kind} ${op.answer!.status}`).slice(0, 5)).toEqual([]);
    const slow503 = operations.filter((op) => op.answer!.status === 503 && op.answer!.ms >= PROMPT_MS);
    expect(slow503.length, 'slow 503 answers').toBe(0);
    expect(operations.filter((op) => op.answer!.status === 503 && op.start >= stopAt).length).toBeGreaterThan(0);
    const afterRecovery = operations.filter((op) => op.start > readyAt);
    expect(afterRecovery.length).toBeGreaterThan(0);
    expect(afterRecovery.filter((op) => op.answer!.status === 503).length, 'failures after PostgreSQL was back').toBe(0);
    expect(server.alive()).toBe(true);
  });
});

describeEachDatabase('SIGTERM during a 200-client burst on %s', (kind) => {
  let database: TestDatabase;
  let fake: FakeProvider;
  beforeAll(async () => {
    await startPostgres();
    database = await createDatabase(kind);
    fake = await startFakeProvider();
  });
  afterAll(async () => {
    await fake?.close();
    await database?.drop();
  });

  it('every accepted request gets a complete answer, and the exit code is 0', async () => {
    const server = await startServer({ DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey(), OPENAI_BASE_URL: fake.baseUrls.openai, PROBE_TIMEOUT_MS: '1500' });
    const outcome = await burstThenSigterm(server, fake, { clients: 200, burstMs: 3_000 });
    figures.faults++;
    figures.requests += outcome.answered;
    figures.set(`SIGTERM on ${kind}`, `answered ${outcome.answered}, finished after the signal ${outcome.finishedAfterSignal}, never accepted ${JSON.stringify(outcome.refused)}`);
    expect(outcome.violations.slice(0, 5), `${outcome.violations.length} violations`).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.finishedAfterSignal).toBeGreaterThan(0);
  });
});
