// GET latency of the default scope with 1, 1 000 and 100 000 stored scopes. Rows are
// seeded through the store (setMany in batches of 1 000, Fernet tokens of
// {provider, model, api_key, scope}) while the server runs. At each size:
// - GET /api/settings/llm through the running server, sequential requests (what a client sees;
//   the server answers from its cache of masked views, refreshed every 5 s at most);
// - store.get of the default key from this process (the query a cache miss runs).
import { pathToFileURL } from 'node:url';
import { createDatabase, dist, migrate, putSettings, quantile, round, startLlmSettings, timed, withLogDir } from './support.mjs';

const BATCH = 1_000;
/** Batches written at once; PostgreSQL runs them on separate pooled connections. */
const PARALLEL_BATCHES = 4;

function latencyFigures(samples) {
  return { p50_ms: round(quantile(samples, 0.5), 3), p99_ms: round(quantile(samples, 0.99), 3) };
}

/**
 * @returns per database kind and size: p50/p99 of GET through the server and of the
 *   uncached store read (target: flat from 1 to 100 000 scopes).
 */
export async function runScopesBench({ kinds = ['sqlite', 'postgres'], sizes = [1, 1_000, 100_000], requests = 1_000 } = {}) {
  const { createKnexFromUrl, createKnexSettingsStore } = await dist.storage();
  const { createFernetCipher, generateFernetKey } = await dist.fernet();
  const { DEFAULT_SCOPE } = await dist.core();
  const { settingsKeyFor } = await dist.coreTesting();
  const results = {};
  for (const kind of kinds) {
    const database = await createDatabase(kind);
    const encryptionKey = generateFernetKey();
    const cipher = createFernetCipher({ keys: encryptionKey });
    try {
      await migrate(database.url);
      // Seeding queues several batches on SQLite's one connection: wait for it, unlike a request.
      const knex = createKnexFromUrl(database.url, { acquireTimeoutMs: 60_000 });
      const store = createKnexSettingsStore(knex, { listenForRemoteChanges: false });
      try {
        results[kind] = await withLogDir(async (logDir) => {
          const server = await startLlmSettings({ databaseUrl: database.url, encryptionKey, logDir });
          try {
            await putSettings(server.url); // the default scope: 1 stored scope
            const defaultKey = settingsKeyFor(DEFAULT_SCOPE);
            const bySize = {};
            let stored = 1;
            for (const size of sizes) {
              const seedStarted = performance.now();
              stored = await seed(store, cipher, stored, size);
              const seedSeconds = round((performance.now() - seedStarted) / 1000, 1);
              const http = [];
              const direct = [];
              for (let i = 0; i < requests; i++) {
                http.push(await timed(() => getDefault(server.url)));
                direct.push(await timed(() => store.get(defaultKey)));
              }
              bySize[size] = { http: latencyFigures(http.slice(requests / 10)), store_get: latencyFigures(direct.slice(requests / 10)), seed_s: seedSeconds };
            }
            return bySize;
          } finally {
            await server.stop();
          }
        });
      } finally {
        await store.close();
        await knex.destroy();
      }
    } finally {
      await database.drop();
    }
  }
  return results;
}

async function getDefault(url) {
  const response = await fetch(`${url}/api/settings/llm`);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`GET answered ${response.status}`);
}

/** Adds scopes `tenant-<n>` until `size` scopes are stored; returns the new count. */
async function seed(store, cipher, stored, size) {
  const batches = [];
  for (let first = stored; first < size; first += BATCH) {
    const last = Math.min(size, first + BATCH);
    batches.push(async () => {
      const writes = [];
      for (let n = first; n < last; n++) {
        const scope = `tenant-${n}`;
        const settings = { provider: 'openai', model: 'gpt-4o', api_key: `sk-proj-seed-${String(n).padStart(24, '0')}`, scope };
        writes.push({ key: `llm_config:${scope}`, value: await cipher.encrypt(JSON.stringify(settings)) });
      }
      await store.setMany(writes);
    });
  }
  for (let i = 0; i < batches.length; i += PARALLEL_BATCHES) await Promise.all(batches.slice(i, i + PARALLEL_BATCHES).map((write) => write()));
  return Math.max(stored, size);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runScopesBench(), null, 2));
}
