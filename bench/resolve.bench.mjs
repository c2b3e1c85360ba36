// `resolve()` in process, warm: what the code that calls the LLM pays to get the stored
// settings (provider, model, key) of a scope. The service caches the stored token (the
// ciphertext) and decrypts it on every call, so a call is a cache lookup, one Fernet
// decryption and a parse. Measured on SQLite as `createLlmSettings` wires it: the median
// of single timed calls, and calls per second one after another on this one thread.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OPENAI_KEY, dist, median, quantile, round } from './support.mjs';

const WARMUP = 20_000;
const TIMED = 100_000;

export async function runResolveBench() {
  const [{ createLlmSettings }, { generateFernetKey }, { silentLogger }] = await Promise.all([dist.server(), dist.fernet(), dist.core()]);
  const dir = mkdtempSync(join(tmpdir(), 'llm-bench-resolve-'));
  const settings = await createLlmSettings({
    env: { DATABASE_URL: `sqlite:${join(dir, 'settings.db')}`, ENCRYPTION_KEY: generateFernetKey() },
    logger: silentLogger,
  });
  try {
    await settings.service.update({ provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4o' }, { scope: 'bench' });
    const options = { scope: 'bench' };
    for (let i = 0; i < WARMUP; i++) await settings.service.resolve(options);
    const samples = new Float64Array(TIMED);
    for (let i = 0; i < TIMED; i++) {
      const started = process.hrtime.bigint();
      await settings.service.resolve(options);
      samples[i] = Number(process.hrtime.bigint() - started) / 1000;
    }
    const started = performance.now();
    for (let i = 0; i < TIMED; i++) await settings.service.resolve(options);
    const seconds = (performance.now() - started) / 1000;
    const values = [...samples];
    return { median_us: round(median(values), 1), p99_us: round(quantile(values, 0.99), 1), calls_per_s: Math.round(TIMED / seconds) };
  } finally {
    await settings.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runResolveBench(), null, 2));
}
