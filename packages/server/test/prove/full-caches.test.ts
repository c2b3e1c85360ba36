import { describe, expect, it } from 'vitest';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider } from '@llm-settings/fake-provider';
import { createDatabase } from '../support/databases.js';
import { send } from './support/http-client.js';
import { killLeftoverServers, startServer } from './support/server-process.js';

/*
 * The service's caches are bounded in entries, not bytes: a model list is kept per scope
 * (up to 10,000 of them) as long as the provider sent it (up to 2,000 models, ids and
 * names of up to 256 characters). So no heap cap of the size of the service's RSS target
 * (64-128 MB) is safe, and serve only has V8 collect sooner (heap-growth.ts). Here 170
 * scopes list 2,000 long model ids each, about 150 MB of live heap in the server: it must
 * keep them all and go on answering.
 */

const SCOPES = 170;
const MODELS = 2000;
/** Above any cap that would have met the RSS target. */
const BEYOND_A_CAP_MB = 128;

const modelIds = (scope: number) => Array.from({ length: MODELS }, (_, m) => `model-${scope}-${m}-`.padEnd(250, 'x'));
const keyOf = (scope: number) => `sk-full-caches-${scope}-0123456789abcdef`;

async function heapUsedMb(url: string): Promise<number> {
  const metrics = await send(url, { method: 'GET', path: '/metrics' });
  return Number(/^llm_settings_nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics.text)?.[1]) / 2 ** 20;
}

describe('a service whose model-list cache holds more than a heap cap would allow', () => {
  it(`keeps ${SCOPES} lists of ${MODELS} long model ids (over ${BEYOND_A_CAP_MB} MB of live heap) and still answers`, async () => {
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
      // Each list is served from memory again: all were kept.
      for (let scope = 0; scope < SCOPES; scope++) {
        const again = await send(server.url, { method: 'GET', path: '/api/settings/llm/models', headers: { 'llm-settings-scope': `full-${scope}` } });
        expect(again.status).toBe(200);
      }
      expect(fake.requestCount('openai')).toBe(listings);
      expect(await heapUsedMb(server.url)).toBeGreaterThan(BEYOND_A_CAP_MB);
      expect(server.alive()).toBe(true);
      expect((await send(server.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
    } finally {
      await killLeftoverServers();
      await fake.close();
      await database.drop();
    }
  }, 300_000);
});
