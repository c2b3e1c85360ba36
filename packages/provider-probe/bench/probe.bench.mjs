// Median cost of a probe against the median cost of calling the SDK directly, both
// against the local fake provider. Build first: node_modules/.bin/pnpm -r --workspace-concurrency=1 run build
// Run: node packages/provider-probe/bench/probe.bench.mjs
import { pathToFileURL } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createProviderProbe } from '../dist/index.js';
import { startFakeProvider } from '@llm-settings/fake-provider';

const MODELS = { anthropic: 'claude-sonnet-4-20250514', openai: 'gpt-4o' };
const KEYS = { anthropic: 'sk-ant-api03-bench-0000000000000000000000', openai: 'sk-proj-bench-00000000000000000000000000' };

/**
 * The direct call a caller would write to check one key: a client for that key
 * (keys differ from one check to the next), no retries, one model lookup.
 */
const DIRECT_CALLS = {
  anthropic: (baseURL) => new Anthropic({ apiKey: KEYS.anthropic, baseURL, maxRetries: 0 }).models.retrieve(MODELS.anthropic),
  openai: (baseURL) => new OpenAI({ apiKey: KEYS.openai, baseURL, maxRetries: 0 }).models.retrieve(MODELS.openai),
};

/**
 * Alternates direct SDK calls and probes, for both providers, sequentially.
 * @returns medians in milliseconds and the probe's overhead over the SDK at the median
 */
export async function runProbeBench({ iterations = 300, warmup = 30 } = {}) {
  const fake = await startFakeProvider();
  try {
    const probe = createProviderProbe({ baseUrls: fake.baseUrls });
    const sdkTimes = [];
    const probeTimes = [];
    for (let round = 0; round < warmup + iterations; round++) {
      for (const provider of ['anthropic', 'openai']) {
        const direct = await timed(() => DIRECT_CALLS[provider](fake.baseUrls[provider]));
        const probed = await timed(async () => {
          const outcome = await probe.probe({ provider, apiKey: KEYS[provider], model: MODELS[provider] });
          if (outcome.code !== 'ok') throw new Error(`bench probe failed: ${outcome.code}`);
        });
        if (round >= warmup) {
          sdkTimes.push(direct);
          probeTimes.push(probed);
        }
      }
    }
    const sdk = median(sdkTimes);
    const probed = median(probeTimes);
    return { sdk_median_ms: round3(sdk), probe_median_ms: round3(probed), overhead_ms: round3(probed - sdk) };
  } finally {
    await fake.close();
  }
}

async function timed(run) {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function round3(value) {
  return Math.round(value * 1000) / 1000;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runProbeBench(), null, 2));
}
