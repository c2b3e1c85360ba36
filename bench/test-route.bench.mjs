// POST /api/settings/llm/test of the running service against calling the provider's SDK
// directly from this process (`models.retrieve`), both against the local fake provider.
// The service reads the stored settings, decrypts them and makes the same SDK call, so
// the difference at the median is what the HTTP route and the service add.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ANTHROPIC_KEY, OPENAI_KEY, REPO_ROOT, createDatabase, dist, median, putSettings, round, startLlmSettings, timed, withLogDir } from './support.mjs';

const requireSdk = createRequire(`${REPO_ROOT}/packages/provider-probe/package.json`);
const SDKS = { anthropic: requireSdk('@anthropic-ai/sdk').default, openai: requireSdk('openai').default };
const SETTINGS = {
  anthropic: { provider: 'anthropic', api_key: ANTHROPIC_KEY, model: 'claude-sonnet-4-20250514' },
  openai: { provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4o' },
};

/** The direct call: a client for the key (keys differ from one check to the next), no retries, one lookup. */
function directCall(provider, baseURL) {
  const { api_key: apiKey, model } = SETTINGS[provider];
  return new SDKS[provider]({ apiKey, baseURL, maxRetries: 0 }).models.retrieve(model);
}

async function routeCall(url) {
  const response = await fetch(`${url}/api/settings/llm/test`, { method: 'POST' });
  const result = await response.json();
  if (response.status !== 200 || result.success !== true) throw new Error(`the test route answered ${response.status} ${JSON.stringify(result)}`);
}

/**
 * Sequential requests, route and direct call alternating, for each provider in turn
 * (the stored settings switch provider between the phases).
 * @returns medians in milliseconds and the route's overhead (target: at most +5 ms).
 */
export async function runTestRouteBench({ kinds = ['sqlite', 'postgres'], iterations = 300, warmup = 30 } = {}) {
  const { startFakeProvider } = await dist.fakeProvider();
  const { generateFernetKey } = await dist.fernet();
  const fake = await startFakeProvider();
  const results = {};
  try {
    for (const kind of kinds) {
      const database = await createDatabase(kind);
      try {
        results[kind] = await withLogDir(async (logDir) => {
          const server = await startLlmSettings({
            databaseUrl: database.url,
            encryptionKey: generateFernetKey(),
            logDir,
            env: { ANTHROPIC_BASE_URL: fake.baseUrls.anthropic, OPENAI_BASE_URL: fake.baseUrls.openai },
          });
          try {
            const routeTimes = [];
            const directTimes = [];
            for (const provider of Object.keys(SETTINGS)) {
              await putSettings(server.url, JSON.stringify(SETTINGS[provider]));
              for (let i = 0; i < warmup + iterations; i++) {
                const route = await timed(() => routeCall(server.url));
                const direct = await timed(() => directCall(provider, fake.baseUrls[provider]));
                if (i >= warmup) {
                  routeTimes.push(route);
                  directTimes.push(direct);
                }
              }
            }
            const routeMedian = median(routeTimes);
            const directMedian = median(directTimes);
            return { route_median_ms: round(routeMedian, 3), sdk_median_ms: round(directMedian, 3), overhead_ms: round(routeMedian - directMedian, 3), samples: routeTimes.length };
          } finally {
            await server.stop();
          }
        });
      } finally {
        await database.drop();
      }
    }
  } finally {
    await fake.close();
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runTestRouteBench(), null, 2));
}
