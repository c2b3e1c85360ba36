import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { LlmSettingsService } from '@llm-settings/core';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe } from '@llm-settings/core/testing';
import { createHttpApp } from '@llm-settings/http-koa';

/**
 * An answer the pass-through refuses as it is (a redirect, an encoded body) would be
 * refused again: the official SDKs, with their default retries, must call the provider
 * once for it, since the provider bills every call.
 */

const KEYS = { anthropic: 'sk-ant-api03-Zq7vXw4TnLpR2mKc9HsJd6FgYb3NaE8uVt1oQi5xWz0rPl', openai: 'sk-proj-Hn4kT9wQz2LmXc7VbR5sYp8DfJg3AeU6tKo1iNq0WxE' } as const;
const MESSAGES = [{ role: 'user' as const, content: 'hi' }];

type Answer = (res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function listening(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The pass-through in front of a provider answering every call with `answer`; `calls` counts what reached the provider. */
async function passThroughTo(provider: 'anthropic' | 'openai', answer: Answer) {
  let calls = 0;
  const upstream = await listening(
    createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        answer(res);
      });
    }),
  );
  const service = new LlmSettingsService({ store: createMemorySettingsStore(), cipher: createMemoryCipher(), probe: createScriptedProbe() });
  const app = createHttpApp({ service, llm: { baseUrls: { anthropic: upstream, openai: `${upstream}/v1` }, timeoutMs: 5000 } });
  const url = await listening(createServer(app.callback()));
  const put = await fetch(`${url}/api/settings/llm`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider, api_key: KEYS[provider] }) });
  expect(put.status).toBe(200);
  return {
    // The SDKs' default retries (2), as an application leaves them.
    anthropic: new Anthropic({ apiKey: 'app-token', baseURL: `${url}/api/llm/anthropic` }),
    openai: new OpenAI({ apiKey: 'app-token', baseURL: `${url}/api/llm/openai/v1` }),
    calls: () => calls,
  };
}

const REFUSED: Array<[string, Answer]> = [
  ['an encoded answer', (res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync('{"id":"x"}'))],
  ['a redirect', (res) => res.writeHead(307, { location: 'http://127.0.0.1:1/elsewhere' }).end()],
];

describe('LLM pass-through: answers refused as they are, through the official SDKs', () => {
  it.each(REFUSED)('%s: OpenAI - one 502 APIError, one provider call', async (_name, answer) => {
    const { openai, calls } = await passThroughTo('openai', answer);
    await expect(openai.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES })).rejects.toMatchObject({ status: 502, code: 'UPSTREAM.UNAVAILABLE' });
    expect(calls()).toBe(1);
  });

  it.each(REFUSED)('%s: Anthropic - one 502 APIError, one provider call', async (_name, answer) => {
    const { anthropic, calls } = await passThroughTo('anthropic', answer);
    await expect(anthropic.messages.create({ model: 'claude-x', max_tokens: 16, messages: MESSAGES })).rejects.toMatchObject({ status: 502 });
    expect(calls()).toBe(1);
  });

  it("a provider 401 whose body is gzip: the SDK's AuthenticationError with the fixed message, one provider call", async () => {
    const { openai, calls } = await passThroughTo('openai', (res) =>
      res.writeHead(401, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync('{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}')),
    );
    const error = await openai.chat.completions.create({ model: 'gpt-4o', messages: MESSAGES }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', message: expect.stringContaining('The provider refused the API key stored for this scope.') });
    expect(calls()).toBe(1);
  });
});
