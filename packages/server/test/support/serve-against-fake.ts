import type { Logger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import type { FakeProvider } from '@llm-settings/fake-provider';
import { serve, type RunningServer } from '../../src/serve.js';

/**
 * The HTTP service in this process, as `serve` runs it, on a free port with a fresh
 * encryption key, calling the fake provider; `env` adds variables or overrides these.
 */
export function serveAgainstFake(fake: FakeProvider, options: { databaseUrl: string; logger: Logger; env?: Record<string, string> }): Promise<RunningServer> {
  return serve({
    env: {
      DATABASE_URL: options.databaseUrl,
      ENCRYPTION_KEY: generateFernetKey(),
      PORT: '0',
      ANTHROPIC_BASE_URL: fake.baseUrls.anthropic,
      OPENAI_BASE_URL: fake.baseUrls.openai,
      ...options.env,
    },
    logger: options.logger,
  });
}
