import { performance } from 'node:perf_hooks';
import { afterEach, expect, it } from 'vitest';
import { serve } from '../src/serve.js';
import { createPostgresDatabase, describeWithPostgres } from './support/databases.js';
import { createFreezingProxy, type FreezingProxy } from './support/freezing-proxy.js';
import { captureLogs } from './support/logs.js';
import { CLI, assertBuilt, freePort, start, waitForOk } from './support/processes.js';
import { expectStopsOnSignal, killGroup } from './support/signals.js';

const KEY = 'itGOlPGAtSXqCepE4blJoAerj_uedyIsaYEDqyW_F6M=';
/** serve's grace period for in-flight requests, and the most its storage gets past it to close. */
const GRACE_MS = 10_000;
const STORAGE_MARGIN_MS = 2_000;
/** The process's own exit after its last line, and the signal's way through. */
const EXIT_SLACK_MS = 1_500;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh database and a proxy to it whose connections can go silent; the URL through the proxy. */
async function silenceableDatabase(): Promise<{ silence: FreezingProxy; url: string }> {
  const database = await createPostgresDatabase();
  cleanups.push(() => database.drop());
  const direct = new URL(database.url);
  const silence = await createFreezingProxy({ host: direct.hostname, port: Number(direct.port) });
  cleanups.push(() => silence.close());
  const proxied = new URL(database.url);
  proxied.port = String(silence.port);
  return { silence, url: proxied.toString() };
}

describeWithPostgres('shutdown with PostgreSQL connections gone silent', () => {
  it('SIGTERM: exits 0 within the grace period and its margin, the request stuck on a silent connection cut at the grace period', async () => {
    assertBuilt();
    const { silence, url: databaseUrl } = await silenceableDatabase();
    const port = await freePort();
    const server = start('node', [CLI, 'serve'], { PORT: String(port), ENCRYPTION_KEY: KEY, DATABASE_URL: databaseUrl });
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitForOk(`${url}/healthz`);
      const put = await fetch(`${url}/api/settings/llm`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'openai', api_key: 'sk-proj-SILENT-STORAGE-0123456789abcdef', model: 'gpt-4o' }),
      });
      expect(put.status).toBe(200);
      expect(silence.openConnections()).toBeGreaterThan(0);

      // The server's connections go silent (new ones would still work); a read takes one of them.
      silence.freeze();
      const stuck = fetch(`${url}/api/settings/llm`, { headers: { 'llm-settings-scope': 'silent' } }).then(
        (answer) => answer.status,
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));

      const since = performance.now();
      await expectStopsOnSignal(server, 'SIGTERM', port);
      expect(performance.now() - since).toBeLessThan(GRACE_MS + STORAGE_MARGIN_MS + EXIT_SLACK_MS);
      // No statement deadline by default (see storage-knex's statementTimeoutMs): the read waits until the grace period cuts it.
      expect(await stuck).toBeInstanceOf(Error);
    } finally {
      killGroup(server);
    }
  });

  it('close() gives storage the rest of the grace period and 2 s, then abandons its silent connections with a warning', async () => {
    const { silence, url: databaseUrl } = await silenceableDatabase();
    const logs = captureLogs();
    const graceMs = 300;
    const server = await serve({ env: { DATABASE_URL: databaseUrl, PORT: '0', ENCRYPTION_KEY: KEY }, logger: logs.logger, shutdownGraceMs: graceMs });
    // Reads that each take a pooled connection, idle when they go silent.
    const reads = await Promise.all(['a', 'b', 'c'].map((scope) => fetch(`${server.url}/api/settings/llm/history`, { headers: { 'llm-settings-scope': scope } })));
    expect(reads.map((read) => read.status)).toEqual([200, 200, 200]);
    expect(silence.openConnections()).toBeGreaterThan(1);

    silence.freeze();
    const since = performance.now();
    await server.close();
    expect(performance.now() - since).toBeLessThan(graceMs + STORAGE_MARGIN_MS + 500);
    expect(logs.text()).toContain('storage did not close in time: its connections are abandoned');
    expect(logs.text()).toContain('"msg":"stopped"');
  });
});
