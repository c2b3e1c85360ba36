import { inspect } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { createLlmSettings, type LlmClient, type LlmSettings } from '../src/create-llm-settings.js';
import { startEchoProvider, type EchoProvider } from './support/echo-provider.js';
import { keyEchoFinder, keyRunFinder } from './support/leaks.js';

/*
 * client(): the SDK client handed to embedding code never holds the key, and what its
 * calls return or throw holds no part of it, even from a provider that echoes the key.
 */

const KEYS = {
  anthropic: { key: 'sk-ant-api03-CLIENTkey7Rt2Yp9Lm4Xs8Qd3Vb6Nh1Zc5Fj0Ka7We2Ug9Io4AA', prefix: 'sk-ant-api03-' },
  openai: { key: 'sk-proj-CLIENTkey3Vb6Nh1Zc5Fj0Ka7We2Ug9Io4Rt2Yp9Lm4Xs8Qd', prefix: 'sk-proj-' },
} as const;
const PROVIDERS = ['anthropic', 'openai'] as const;

/** Everything printable about a value: util.inspect to any depth, and JSON (cycles cut). */
function printed(value: unknown): string {
  const seen = new WeakSet<object>();
  const json = JSON.stringify(value, (_, field: unknown) => {
    if (typeof field === 'object' && field !== null) {
      if (seen.has(field)) return '[cycle]';
      seen.add(field);
    }
    return typeof field === 'function' ? `[function ${field.name}]` : field;
  });
  return `${inspect(value, { depth: Infinity, showHidden: true, getters: true })}\n${json}`;
}

async function settingsAgainst(baseUrls: { anthropic: string; openai: string }): Promise<LlmSettings> {
  const settings = await createLlmSettings({
    env: { DATABASE_URL: 'sqlite::memory:', ENCRYPTION_KEY: generateFernetKey(), ANTHROPIC_BASE_URL: baseUrls.anthropic, OPENAI_BASE_URL: baseUrls.openai },
    logger: silentLogger,
  });
  for (const provider of PROVIDERS) await settings.service.update({ provider, api_key: KEYS[provider].key }, { scope: provider });
  return settings;
}

/** One call of the client's provider, streamed or not. */
async function callOnce(llm: LlmClient, stream: boolean): Promise<unknown[]> {
  const messages = [{ role: 'user' as const, content: 'Hi' }];
  if (llm.dialect === 'anthropic') {
    if (!stream) return [await llm.client.messages.create({ model: llm.model, max_tokens: 16, messages })];
    const events: unknown[] = [];
    for await (const event of await llm.client.messages.create({ model: llm.model, max_tokens: 16, messages, stream: true })) events.push(event);
    return events;
  }
  if (!stream) return [await llm.client.chat.completions.create({ model: llm.model, messages })];
  const events: unknown[] = [];
  for await (const event of await llm.client.chat.completions.create({ model: llm.model, messages, stream: true })) events.push(event);
  return events;
}

describe('client(): the key stays out of the client object', () => {
  let fake: FakeProvider;
  let settings: LlmSettings;
  beforeAll(async () => {
    fake = await startFakeProvider();
    settings = await settingsAgainst(fake.baseUrls);
  });
  afterAll(async () => {
    await settings?.close();
    await fake?.close();
  });

  it.each(PROVIDERS)('%s: inspect, JSON and the SDK debug log of the client show no part of the key, and the provider gets it', async (provider) => {
    const leaked = keyRunFinder([KEYS[provider].key]);
    const llm = await settings.client({ scope: provider });
    expect(leaked(printed(llm))).toBeUndefined();

    const log: string[] = [];
    const record = (...args: unknown[]) => void log.push(printed(args));
    const debugged = { ...llm, client: llm.client.withOptions({ logLevel: 'debug', logger: { debug: record, info: record, warn: record, error: record } }) } as LlmClient;
    expect((await callOnce(debugged, false)).length).toBe(1);
    expect((await callOnce(debugged, true)).length).toBeGreaterThan(1);
    expect(fake.requests.at(-1)).toMatchObject({ provider, apiKey: KEYS[provider].key });
    expect(log.join('\n')).toContain('request');
    expect(leaked(log.join('\n'))).toBeUndefined();
    expect(leaked(printed(llm))).toBeUndefined();
  });
});

describe('client(): the key stays out of what its calls return and throw', () => {
  let echo: EchoProvider;
  let settings: LlmSettings;
  beforeAll(async () => {
    echo = await startEchoProvider();
    settings = await settingsAgainst(echo.baseUrls);
  });
  afterAll(async () => {
    await settings?.close();
    await echo?.close();
  });

  describe.each(PROVIDERS)('%s', (provider) => {
    const echoed = keyEchoFinder(KEYS[provider].key, KEYS[provider].prefix);
    const client = async () => {
      const llm = await settings.client({ scope: provider });
      return { ...llm, client: llm.client.withOptions({ maxRetries: 0 }) } as LlmClient;
    };

    it.each([400, 401, 403, 404, 429, 500])('an error thrown for a %i that echoes the key holds none of it', async (status) => {
      echo.setMode({ status, body: 'json' });
      const error = await callOnce(await client(), false).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(provider === 'anthropic' ? Anthropic.APIError : OpenAI.APIError);
      expect((error as { status: number }).status).toBe(status);
      expect(String(error)).toContain('[REDACTED]');
      expect(echoed(`${String(error)}\n${printed(error)}`)).toBeUndefined();
      expect(echo.requests.at(-1)?.apiKey).toBe(KEYS[provider].key);
    });

    it('a 2xx answer and an event stream that echo the key hold none of it', async () => {
      echo.setMode({ status: 200, body: 'json' });
      const [message] = await callOnce(await client(), false);
      expect(printed(message)).toContain('[REDACTED]');
      expect(echoed(printed(message))).toBeUndefined();

      echo.setMode({ status: 200, body: 'event-stream' });
      const llm = await client();
      const response = await (llm.dialect === 'anthropic'
        ? llm.client.messages.create({ model: llm.model, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }], stream: true }).asResponse()
        : llm.client.chat.completions.create({ model: llm.model, messages: [{ role: 'user', content: 'Hi' }], stream: true }).asResponse());
      const text = await response.text();
      expect(text).toContain('[REDACTED]');
      expect(echoed(`${text}\n${JSON.stringify([...response.headers])}`)).toBeUndefined();
    });
  });
});
