import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { createDatabase, describeEachDatabase, type TestDatabase } from '../support/databases.js';
import { answerIssues } from './support/answers.js';
import { Figures } from './support/figures.js';
import { send, type Exchange, type RequestSpec } from './support/http-client.js';
import { needsRoot } from '../support/root.js';
import { IMMUTABLE_SKIPPED } from './support/immutable.js';
import { prepareOutage, type StorageOutage } from './support/outages.js';
import { killLeftoverServers, startServer, type ServerProcess } from './support/server-process.js';
import { burstThenSigterm } from './support/shutdown.js';

/*
 * Faults on a running server: its storage goes away (SQLite file made unwritable,
 * PostgreSQL connections cut) and comes back, and SIGTERM arrives during a burst.
 * The real PostgreSQL cluster is stopped only in faults.soak.ts: other test files
 * use it while `pnpm test` runs.
 */

const SETTINGS = '/api/settings/llm';
const figures = new Figures('faults');
afterAll(async () => {
  await killLeftoverServers();
  figures.print();
});

/** The bound the issue names: an outage is reported at once, not after a pool timeout. */
const PROMPT_MS = 2_000;

describeEachDatabase('storage outage on %s', (kind) => {
  let database: TestDatabase;
  let outage: StorageOutage;
  let server: ServerProcess;
  const call = async (spec: RequestSpec, allowed: number[] = []): Promise<Exchange> => {
    const exchange = await send(server.url, spec);
    figures.requests++;
    expect(answerIssues(exchange, allowed), `${spec.method} ${spec.path} → ${exchange.status} ${exchange.text}`).toEqual([]);
    return exchange;
  };
  const expectUnavailable = (exchange: Exchange) => {
    expect(exchange.status, `${exchange.method} ${exchange.text}`).toBe(503);
    expect(exchange.headers['retry-after']).toBe('1');
    expect(exchange.json().code).toBe('STORAGE.UNAVAILABLE');
    expect(exchange.ms).toBeLessThan(PROMPT_MS);
  };

  beforeAll(async () => {
    database = await createDatabase(kind);
    outage = await prepareOutage(database);
    server = await startServer({ DATABASE_URL: outage.databaseUrl, ENCRYPTION_KEY: generateFernetKey() });
  });
  afterAll(async () => {
    await outage?.close();
    await server?.stop();
    await database?.drop();
  });

  // On SQLite the outage makes the database file immutable (`chattr +i`), which takes root.
  const immutable = kind === 'sqlite';
  const title = `writes answer 503 with Retry-After within ${PROMPT_MS} ms, the process stays up, and the first request after recovery succeeds`;
  it.skipIf(immutable && IMMUTABLE_SKIPPED !== undefined)(immutable ? needsRoot(title, IMMUTABLE_SKIPPED) : title, async () => {
    const saved = await call({ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: 'sk-outage-test-key-0001', model: 'gpt-4.1' } });
    expect(saved.status).toBe(200);
    await call({ method: 'GET', path: SETTINGS });

    await outage.begin();
    figures.faults++;
    figures.set(`outage on ${kind}`, outage.description);
    try {
      // Twice, apart: the second round meets whatever state the first left behind.
      for (let round = 0; round < 2; round++) {
        // A GET first: its view was cached, and on PostgreSQL the cache must not outlive the connection.
        const read = await call({ method: 'GET', path: SETTINGS }, [503]);
        expectUnavailable(await call({ method: 'PUT', path: SETTINGS, body: { provider: 'openai', api_key: 'sk-outage-test-key-0002' } }, [503]));
        expectUnavailable(await call({ method: 'PUT', path: SETTINGS, body: { provider: 'openai', model: 'gpt-4o-mini' } }, [503]));
        expectUnavailable(await call({ method: 'DELETE', path: SETTINGS }, [503]));
        if (kind === 'postgres') {
          expectUnavailable(read);
          expectUnavailable(await call({ method: 'POST', path: `${SETTINGS}/test` }, [503]));
          expect((await call({ method: 'GET', path: '/readyz' }, [503])).status).toBe(503);
        } else {
          // An unwritable SQLite file still reads.
          expect(read.status).toBe(200);
          expect(read.json()).toMatchObject({ model: 'gpt-4.1' });
        }
        expect((await call({ method: 'GET', path: '/healthz' })).status).toBe(200);
        expect(server.alive()).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    } finally {
      await outage.end();
    }
    const first = await call({ method: 'PUT', path: SETTINGS, body: { provider: 'anthropic', api_key: 'sk-ant-outage-test-key-3' } });
    expect(first.status).toBe(200);
    expect((await call({ method: 'GET', path: SETTINGS })).json()).toMatchObject({ provider: 'anthropic', api_key_masked: '...ey-3' });
    expect((await call({ method: 'DELETE', path: SETTINGS })).status).toBe(204);
    // /readyz reuses its last result for 1 s (createReadinessCheck); past that it reports the recovery.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await call({ method: 'GET', path: '/readyz' })).status).toBe(200);
  });
});

describeEachDatabase('SIGTERM during a burst on %s', (kind) => {
  let database: TestDatabase;
  let fake: FakeProvider;

  beforeAll(async () => {
    database = await createDatabase(kind);
    fake = await startFakeProvider();
  });
  afterAll(async () => {
    await fake?.close();
    await database?.drop();
  });

  it('every accepted request gets a complete answer, and the exit code is 0', async () => {
    const server = await startServer({
      DATABASE_URL: database.url,
      ENCRYPTION_KEY: generateFernetKey(),
      OPENAI_BASE_URL: fake.baseUrls.openai,
      PROBE_TIMEOUT_MS: '1500',
    });
    const outcome = await burstThenSigterm(server, fake, { clients: 40, burstMs: 500 });
    figures.faults++;
    figures.requests += outcome.answered;
    figures.add(`SIGTERM on ${kind}: answered`, outcome.answered);
    figures.add(`SIGTERM on ${kind}: finished after the signal`, outcome.finishedAfterSignal);
    figures.set(`SIGTERM on ${kind}: never accepted`, JSON.stringify(outcome.refused));
    expect(outcome.violations.slice(0, 5), `${outcome.violations.length} violations`).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.finishedAfterSignal).toBeGreaterThan(0);
    expect(server.stdout()).toContain('"stopped"');
  });
});
