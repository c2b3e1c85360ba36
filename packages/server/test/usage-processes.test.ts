import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { createKnexFromUrl } from '@llm-settings/storage-knex';
import { createKnexUsageStore } from '@llm-settings/usage-knex';
import { createDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { CLI, assertBuilt, freePort, start, waitForOk, type Spawned } from './support/processes.js';

const TODAY = new Date().toISOString().slice(0, 10);
const MODEL = 'gpt-4o';
/** Short, so that the test sees periodic flushes; kill -9 may lose at most one such interval. */
const FLUSH_MS = 300;

interface Instance {
  url: string;
  process: Spawned;
}

describeEachDatabase('usage counted by server processes on one %s database', (kind) => {
  let database: TestDatabase;
  let fake: FakeProvider;
  const encryptionKey = generateFernetKey();
  const running: Instance[] = [];

  async function startInstance(): Promise<Instance> {
    const port = await freePort();
    const spawned = start('node', [CLI, 'serve'], {
      PORT: String(port),
      DATABASE_URL: database.url,
      ENCRYPTION_KEY: encryptionKey,
      OPENAI_BASE_URL: fake.baseUrls.openai,
      USAGE_FLUSH_MS: String(FLUSH_MS),
      LOG_LEVEL: 'warn',
    });
    const instance = { url: `http://127.0.0.1:${port}`, process: spawned };
    running.push(instance);
    await waitForOk(`${instance.url}/readyz`);
    return instance;
  }

  async function stop(instance: Instance, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    if (instance.process.child.exitCode !== null || instance.process.child.signalCode !== null) return;
    process.kill(-instance.process.child.pid!, signal);
    await instance.process.exited;
  }

  /** Chat completions through `instance` for the default scope, `count` of them, all answered. */
  async function callThrough(instance: Instance, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${instance.url}/api/llm/openai/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'count me' }] }),
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
  }

  /** Calls of the default scope's row as stored, read by a process of its own (no counts in memory). */
  async function storedCalls(): Promise<number> {
    const knex = createKnexFromUrl(database.url);
    try {
      const rows = await createKnexUsageStore(knex).read({ scope: 'default', from: TODAY, to: TODAY });
      expect(rows.every((row) => row.provider === 'openai' && row.model === MODEL)).toBe(true);
      return rows.reduce((n, row) => n + row.calls, 0);
    } finally {
      await knex.destroy();
    }
  }

  beforeAll(async () => {
    assertBuilt();
    database = await createDatabase(kind);
    fake = await startFakeProvider();
    const first = await startInstance();
    const settings = await fetch(`${first.url}/api/settings/llm`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'openai', api_key: 'sk-proj-USAGE-processes-key-Kc4Vb7Nm2Xz9' }),
    });
    expect(settings.status).toBe(200);
    await stop(first, 'SIGTERM');
  }, 60_000);

  afterEach(async () => {
    await Promise.all(running.splice(0).map((instance) => stop(instance, 'SIGKILL')));
  });

  afterAll(async () => {
    await fake?.close();
    await database?.drop();
  });

  it('two processes adding to one row at once lose no call', async () => {
    const before = await storedCalls();
    const [a, b] = await Promise.all([startInstance(), startInstance()]);
    await Promise.all([callThrough(a, 40), callThrough(b, 40)]);
    // Each writes its last batch on SIGTERM.
    await Promise.all([stop(a, 'SIGTERM'), stop(b, 'SIGTERM')]);
    expect(await storedCalls()).toBe(before + 80);
  }, 60_000);

  it('kill -9 loses at most the calls of the last flush interval: the flushed ones stay', async () => {
    const before = await storedCalls();
    const instance = await startInstance();
    await callThrough(instance, 10);
    // Written by the periodic flush, without any shutdown.
    await expect.poll(storedCalls, { timeout: 10_000, interval: FLUSH_MS }).toBe(before + 10);
    await callThrough(instance, 5);
    await stop(instance, 'SIGKILL');
    const after = await storedCalls();
    expect(after).toBeGreaterThanOrEqual(before + 10);
    expect(after).toBeLessThanOrEqual(before + 15);
  }, 60_000);
});
