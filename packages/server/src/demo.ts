import { catalogueModels, PROVIDERS } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { serve, type RunningServer } from './serve.js';

/**
 * The keys the demo's fake providers accept; they refuse every other key (401). Random
 * letters, as real keys are: the pass-through scrubs runs of the stored key from answers, and
 * a word in a key ("accepted") matched OpenAI's `accepted_prediction_tokens`.
 */
export const DEMO_KEYS = {
  anthropic: 'sk-ant-demo-7Kq2Vx9LmZ4tRw8Bn3Hy',
  openai: 'sk-demo-5Jp8Wc2XvN7kQz4Lr9Ts',
} as const;

export interface RunningDemo {
  readonly server: RunningServer;
  readonly fake: FakeProvider;
  /** What to tell the person who started it: the page's URL, the keys, the base URLs. */
  readonly banner: string;
  /** Stops the server, then the fake providers. */
  close(): Promise<void>;
}

/**
 * The service against a fake Anthropic and OpenAI on 127.0.0.1, so that a key test, the
 * model list, `client()` and the pass-through succeed without a real provider or network.
 * Settings live in memory (`sqlite::memory:`) under a fresh encryption key: the demo never
 * reads or writes `./data`. HOST, PORT, LOG_LEVEL (default `warn`, to keep the banner
 * readable) and the other variables still apply.
 */
export async function startDemo(env: NodeJS.ProcessEnv = process.env): Promise<RunningDemo> {
  // The fakes know the built-in catalogue's models, so that any model the page offers tests well.
  const fake = await startFakeProvider({ models: Object.fromEntries(PROVIDERS.map(({ id }) => [id, catalogueModels(id).map((model) => model.id)])) });
  for (const [provider, key] of Object.entries(DEMO_KEYS) as [keyof typeof DEMO_KEYS, string][]) {
    fake.setBehavior(provider, 'unauthorized');
    fake.setKeyBehavior(provider, key, 'ok');
  }
  const providerEnv = { ANTHROPIC_BASE_URL: fake.baseUrls.anthropic, OPENAI_BASE_URL: fake.baseUrls.openai };
  let server: RunningServer;
  try {
    server = await serve({
      env: { LOG_LEVEL: 'warn', ...env, ...providerEnv, DATABASE_URL: 'sqlite::memory:', ENCRYPTION_KEY: generateFernetKey() },
    });
  } catch (error) {
    await fake.close();
    throw error;
  }
  const banner = [
    'llm-settings demo: fake Anthropic and OpenAI providers on this machine; settings in memory, nothing written to ./data.',
    `  Settings page:  ${server.url}/`,
    `  Anthropic key:  ${DEMO_KEYS.anthropic}`,
    `  OpenAI key:     ${DEMO_KEYS.openai}`,
    '  The fakes accept these two keys and refuse any other.',
    `  For createLlmSettings() / client() in your code: ${Object.entries(providerEnv).map(([name, value]) => `${name}=${value}`).join(' ')}`,
    'Ctrl-C stops the server and the fakes.',
  ].join('\n');
  return {
    server,
    fake,
    banner,
    async close() {
      try {
        await server.close();
      } finally {
        await fake.close();
      }
    },
  };
}
