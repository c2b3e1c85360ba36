import { describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider } from '@llm-settings/fake-provider';
import { createDatabase } from '../support/databases.js';
import { send } from './support/http-client.js';
import { killLeftoverServers, startServer } from './support/server-process.js';

/*
 * A model list is kept per scope (up to 10,000 of them) and may hold up to 2,000 models
 * with ids and names of up to 256 characters: bounded in entries only, that cache could
 * hold gigabytes. Here 170 scopes list 2,000 long model ids each (about 190 MB of heap if
 * all were kept): the server keeps the newest within MODEL_LIST_CACHE_MAX_BYTES (16 MiB by
 * default), lists the oldest again when asked, and its heap stays well below what keeping
 * them all would take.
 */

const SCOPES = 170;
const MODELS = 2000;
/** Below the 150-190 MB that keeping every list took before the byte budget. */
const HEAP_BOUND_MB = 128;

const modelIds = (scope: number) => Array.from({ length: MODELS }, (_, m) => `model-${scope}-${m}-`.padEnd(250, 'x'));
const keyOf = (scope: number) => `sk-full-caches-${scope}-0123456789abcdef`;

async function heapUsedMb(url: string): Promise<number> {
  const metrics = await send(url, { method: 'GET', path: '/metrics' });
  return Number(/^llm_settings_nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics.text)?.[1]) / 2 ** 20;
}

describe('a service whose tenants list more models than its model-list cache may keep', () => {
  it(`serves ${SCOPES} lists of ${MODELS} long model ids, keeping the newest within its byte budget (heap under ${HEAP_BOUND_MB} MB)`, async () => {
    const database = await createDatabase('sqlite');
    const fake = await startFakeProvider();
    try {
      const server = await startServer({ DATABASE_URL: database.url, ENCRYPTION_KEY: generateFernetKey(), OPENAI_BASE_URL: fake.baseUrls.openai, LOG_LEVEL: 'warn' });
      for (let scope = 0; scope < SCOPES; scope++) {
        fake.setKeyModels('openai', keyOf(scope), modelIds(scope));
        const headers = { 'llm-settings-scope': `full-${scope}` };
        const saved = await send(server.url, { method: 'PUT', path: '/api/settings/llm', headers, body: { provider: 'openai', api_key: keyOf(scope), model: modelIds(scope)[0] } });
        expect(saved.status).toBe(200);
        const listed = await send(server.url, { method: 'GET', path: '/api/settings/llm/models', headers, timeoutMs: 30_000 });
        expect(listed.status).toBe(200);
        expect(JSON.parse(listed.text)).toMatchObject({ source: 'live' });
      }
      const listings = fake.requestCount('openai');
      const listAgain = (scope: number) => send(server.url, { method: 'GET', path: '/api/settings/llm/models', headers: { 'llm-settings-scope': `full-${scope}` }, timeoutMs: 30_000 });
      // The newest list is served from memory; the oldest was dropped for the budget and is listed again.
      expect((await listAgain(SCOPES - 1)).status).toBe(200);
      expect(fake.requestCount('openai')).toBe(listings);
      const oldest = await listAgain(0);
      expect(JSON.parse(oldest.text)).toMatchObject({ source: 'live' });
      expect(fake.requestCount('openai')).toBe(listings + 1);
      expect(await heapUsedMb(server.url)).toBeLessThan(HEAP_BOUND_MB);
      expect(server.alive()).toBe(true);
      expect((await send(server.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
    } finally {
      await killLeftoverServers();
      await fake.close();
      await database.drop();
    }
  }, 300_000);
});
