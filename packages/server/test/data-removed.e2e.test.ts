import { copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { serve, type RunningServer } from '../src/serve.js';

const API_KEY = 'sk-ant-api03-DATA-REMOVED-TEST-0123456789';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The HTTP service on a real SQLite file in `<temp>/data`, with its generated key file beside it. */
async function serveWithDataFolder(): Promise<{ server: RunningServer; data: string; database: string }> {
  const root = mkdtempSync(join(tmpdir(), 'llm-data-removed-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, 'data');
  const database = join(data, 'llm-settings.db');
  const server = await serve({ env: { DATABASE_URL: `sqlite:${database}`, PORT: '0' }, logger: silentLogger });
  cleanups.push(() => server.close());
  return { server, data, database };
}

async function put(server: RunningServer, model: string) {
  const response = await fetch(`${server.url}/api/settings/llm`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'anthropic', api_key: API_KEY, model }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function readiness(server: RunningServer) {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, string> } };
}

/** /readyz reuses a result for 1 s: waits for the one that follows the change. */
async function expectReadiness(server: RunningServer, checks: Record<string, string>, status: number): Promise<void> {
  await vi.waitFor(async () => expect(await readiness(server)).toEqual({ status, body: { status: status === 200 ? 'ready' : 'not_ready', checks } }), { timeout: 3_000, interval: 100 });
}

describe('the data folder or its files removed while the server runs', () => {
  it('the folder deleted: PUT answers 503 STORAGE.UNAVAILABLE, never 200, and /readyz fails on storage writes and the key file', async () => {
    const { server, data } = await serveWithDataFolder();
    expect((await put(server, 'claude-sonnet-4-20250514')).status).toBe(200);
    await expectReadiness(server, { storage: 'ok', encryption_keys: 'ok', storage_writable: 'ok' }, 200);

    rmSync(data, { recursive: true, force: true });

    for (const model of ['claude-opus-4-1', 'claude-3-5-haiku-latest']) {
      const answer = await put(server, model);
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
    }
    await expectReadiness(server, { storage: 'ok', encryption_keys: 'fail', storage_writable: 'fail' }, 503);
  });

  it('the database file replaced (another file renamed over it): PUT answers 503 STORAGE.UNAVAILABLE and /readyz fails on storage writes', async () => {
    const { server, data, database } = await serveWithDataFolder();
    expect((await put(server, 'claude-sonnet-4-20250514')).status).toBe(200);

    copyFileSync(database, join(data, 'restored.db'));
    renameSync(join(data, 'restored.db'), database);

    const answer = await put(server, 'claude-opus-4-1');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
    await expectReadiness(server, { storage: 'ok', encryption_keys: 'ok', storage_writable: 'fail' }, 503);
  });

  it('the key file removed: PUT and DELETE answer 503 STORAGE.UNAVAILABLE, reads go on, /readyz fails, since the next start would not find the key', async () => {
    const { server, data } = await serveWithDataFolder();
    expect((await put(server, 'claude-sonnet-4-20250514')).status).toBe(200);
    await expectReadiness(server, { storage: 'ok', encryption_keys: 'ok', storage_writable: 'ok' }, 200);

    unlinkSync(join(data, 'encryption.key'));

    const answer = await put(server, 'claude-opus-4-1');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
    expect(JSON.stringify(answer.body)).not.toContain(API_KEY);
    expect((await fetch(`${server.url}/api/settings/llm`, { method: 'DELETE' })).status).toBe(503);
    const read = await fetch(`${server.url}/api/settings/llm`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ provider: 'anthropic', model: 'claude-sonnet-4-20250514', api_key_set: true });
    await expectReadiness(server, { storage: 'ok', encryption_keys: 'fail', storage_writable: 'fail' }, 503);
  });

  it.each([
    ['another key copied over it', (keyFile: string) => writeFileSync(keyFile, `${generateFernetKey()}\n`)],
    ['emptied in place', (keyFile: string) => truncateSync(keyFile, 0)],
  ])('the key file changed in place (%s, the same file): writes answer 503 STORAGE.UNAVAILABLE and /readyz fails on the key file', async (_how, change) => {
    const { server, data } = await serveWithDataFolder();
    expect((await put(server, 'claude-sonnet-4-20250514')).status).toBe(200);
    await expectReadiness(server, { storage: 'ok', encryption_keys: 'ok', storage_writable: 'ok' }, 200);

    change(join(data, 'encryption.key'));

    const answer = await put(server, 'claude-opus-4-1');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'STORAGE.UNAVAILABLE' });
    await expectReadiness(server, { storage: 'ok', encryption_keys: 'fail', storage_writable: 'fail' }, 503);
  });

  it('the key file replaced by another file: writes answer 503 STORAGE.UNAVAILABLE', async () => {
    const { server, data } = await serveWithDataFolder();
    const keyFile = join(data, 'encryption.key');
    copyFileSync(keyFile, join(data, 'restored.key'));
    renameSync(join(data, 'restored.key'), keyFile);

    expect((await put(server, 'claude-opus-4-1')).status).toBe(503);
  });
});
