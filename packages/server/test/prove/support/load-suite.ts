import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createDatabase, describeEachDatabase, type TestDatabase } from '../../support/databases.js';
import { decryptWithPython } from './fernet-python.js';
import { Figures } from './figures.js';
import { send } from './http-client.js';
import { historyViolations, readsOf, type Read } from './history.js';
import { killLeftoverServers, logLines, startServer, type ServerProcess } from './server-process.js';
import { readStoredRows } from './stored.js';
import { percentile, runTraffic } from './traffic.js';

export interface LoadSuiteOptions {
  clients: number;
  durationMs: number;
  /** Share of GETs and PUTs; the rest are DELETEs. */
  mix?: { get: number; put: number };
}

/**
 * Registers, for SQLite and PostgreSQL, a run of `clients` concurrent clients mixing
 * GET, PUT and DELETE on one server for `durationMs`, then checks: no 5xx and no
 * failed request, no lost or stale acknowledged write (see historyViolations), and
 * the stored row is the last acknowledged PUT and decrypts with python3.
 */
export function describeLoad(options: LoadSuiteOptions): void {
  const { clients, durationMs } = options;
  const mix = options.mix ?? { get: 0.5, put: 0.35 };

  describeEachDatabase(`load on %s`, (kind) => {
    const figures = new Figures(`load on ${kind} (${clients} clients, ${durationMs / 1000} s)`);
    const encryptionKey = generateFernetKey();
    let database: TestDatabase;
    let server: ServerProcess;

    beforeAll(async () => {
      database = await createDatabase(kind);
      // warn: one info line per request would make the log the bottleneck; 5xx are logged at error.
      server = await startServer({ DATABASE_URL: database.url, ENCRYPTION_KEY: encryptionKey, LOG_LEVEL: 'warn' });
    });
    afterAll(async () => {
      await killLeftoverServers();
      await database?.drop();
      figures.print();
    });

    it(`${clients} clients mixing GET, PUT and DELETE for ${durationMs / 1000} s: no 5xx, no lost acknowledged write, no corrupted token`, async () => {
      const deadline = performance.now() + durationMs;
      const operations = await runTraffic({
        url: server.url,
        clients,
        mix: (r) => (r < mix.get ? 'GET' : r < mix.get + mix.put ? 'PUT' : 'DELETE'),
        done: () => performance.now() > deadline,
      });
      const finalStart = performance.now();
      const final = await send(server.url, { method: 'GET', path: '/api/settings/llm' });
      const finalView = final.json();
      const finalRead: Read = {
        start: finalStart,
        end: performance.now(),
        model: finalView.api_key_set ? finalView.model : null,
        etag: String(final.headers.etag),
        masked: finalView.api_key_masked,
        provider: finalView.provider,
      };

      const failed = operations.filter((op) => op.failure !== undefined);
      const statuses = new Map<number, number>();
      for (const op of operations) if (op.answer) statuses.set(op.answer.status, (statuses.get(op.answer.status) ?? 0) + 1);
      figures.requests = operations.length + 1;
      figures.set('rate /s', Math.round(operations.length / (durationMs / 1000)));
      figures.set('p50 ms', percentile(operations.map((op) => op.end - op.start), 50).toFixed(1));
      figures.set('p99 ms', percentile(operations.map((op) => op.end - op.start), 99).toFixed(1));
      figures.set('statuses', [...statuses].map(([status, count]) => `${status}x${count}`).join(' '));
      figures.set('5xx', operations.filter((op) => (op.answer?.status ?? 0) >= 500).length);

      expect(failed.map((op) => `${op.kind} ${op.failure}`).slice(0, 5), `${failed.length} requests got no answer`).toEqual([]);
      expect([...statuses.keys()].filter((status) => status !== 200 && status !== 204)).toEqual([]);
      expect(operations.filter((op) => op.kind === 'PUT').length).toBeGreaterThan(clients);

      const violations = historyViolations(operations, [...readsOf(operations), finalRead]);
      figures.set('history violations', violations.length);
      expect(violations.slice(0, 5), `${violations.length} violations`).toEqual([]);

      const rows = await readStoredRows(database);
      // A stored value carries the origin of its provider's API root (the public ones here).
      const PUBLIC_ORIGINS = { anthropic: 'https://api.anthropic.com', openai: 'https://api.openai.com' };
      if (finalRead.model === null) {
        expect(rows).toEqual([]);
      } else {
        const put = operations.find((op) => op.sent?.model === finalRead.model)!;
        expect(rows).toHaveLength(1);
        expect(decryptWithPython([rows[0]!.value], [encryptionKey])).toEqual([{ ok: true, json: { ...put.sent, scope: 'default', origin: PUBLIC_ORIGINS[put.sent!.provider] } }]);
        expect(`"${rows[0]!.version}-`).toBe(finalRead.etag.slice(0, `"${rows[0]!.version}-`.length));
      }
      expect(server.alive()).toBe(true);
      expect(logLines(await server.loggedSoFar()).filter((line) => (line.level as number) >= 50)).toEqual([]);
    });
  });
}
