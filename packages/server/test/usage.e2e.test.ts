import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';
import { createKnexFromUrl } from '@llm-settings/storage-knex';
import { createKnexUsageStore } from '@llm-settings/usage-knex';
import type { RunningServer } from '../src/serve.js';
import { captureLogs } from './support/logs.js';
import { createDatabase, describeEachDatabase, type TestDatabase } from './support/databases.js';
import { serveAgainstFake } from './support/serve-against-fake.js';

const TOKEN = 'e2e-usage-token-0123456789abcdef';
const ANTHROPIC_MODEL = 'claude-sonnet-4-20250514';
const OPENAI_MODEL = 'gpt-4o';
const TODAY = new Date().toISOString().slice(0, 10);
const messages = [{ role: 'user' as const, content: 'How many tokens is this?' }];
const auth = { authorization: `Bearer ${TOKEN}` };

interface Tokens {
  input: number;
  output: number;
}
const sum = (all: Tokens[]) => ({ input: all.reduce((n, t) => n + t.input, 0), output: all.reduce((n, t) => n + t.output, 0) });

describeEachDatabase('usage of the pass-through and client(), on %s', (kind) => {
  let database: TestDatabase;
  let fake: FakeProvider;
  let server: RunningServer;

  beforeAll(async () => {
    database = await createDatabase(kind);
    fake = await startFakeProvider();
    // A flush interval longer than the test: what the test reads comes from memory, then from the shutdown's batch.
    server = await serveAgainstFake(fake, { databaseUrl: database.url, logger: captureLogs().logger, env: { SETTINGS_API_TOKEN: TOKEN, USAGE_FLUSH_MS: '3600000' } });
    for (const [scope, provider] of [
      ['tenant-a', 'anthropic'],
      ['tenant-o', 'openai'],
    ] as const) {
      const response = await fetch(`${server.url}/api/settings/llm`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json', 'llm-settings-scope': scope },
        body: JSON.stringify({ provider, api_key: provider === 'anthropic' ? 'sk-ant-api03-USAGE-e2e-key-Qw7Lp2Zx9Rk4' : 'sk-proj-USAGE-e2e-openai-Kc4Vb7Nm2Xz9' }),
      });
      expect(response.status).toBe(200);
    }
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
    await database?.drop();
  });

  async function usageOf(scope: string) {
    const response = await fetch(`${server.url}/api/settings/llm/usage?from=${TODAY}&to=${TODAY}`, { headers: { ...auth, 'llm-settings-scope': scope } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { rows: Array<Record<string, unknown>> }).rows;
  }
  const callsIn = (rows: Array<Record<string, unknown>>) => rows.reduce((n, row) => n + Number(row.calls), 0);

  it('counts streamed and plain calls of both dialects, and client() calls, with the usage the SDKs read; the metrics name no scope; the rows outlive the process', async () => {
    const anthropic = new Anthropic({ apiKey: TOKEN, baseURL: `${server.url}/api/llm/anthropic`, defaultHeaders: { 'LLM-Settings-Scope': 'tenant-a' }, maxRetries: 0 });
    const openai = new OpenAI({ apiKey: TOKEN, baseURL: `${server.url}/api/llm/openai/v1`, defaultHeaders: { 'LLM-Settings-Scope': 'tenant-o' }, maxRetries: 0 });
    const anthropicTokens: Tokens[] = [];
    const openAiTokens: Tokens[] = [];

    const plain = await anthropic.messages.create({ model: ANTHROPIC_MODEL, max_tokens: 32, messages });
    const streamed = await anthropic.messages.stream({ model: ANTHROPIC_MODEL, max_tokens: 32, messages }).finalMessage();
    const viaClient = await server.settings.client({ scope: 'tenant-a' });
    if (viaClient.dialect !== 'anthropic') throw new Error('expected the Anthropic SDK');
    const inProcess = await viaClient.client.messages.create({ model: viaClient.model, max_tokens: 32, messages });
    for (const message of [plain, streamed, inProcess]) anthropicTokens.push({ input: message.usage.input_tokens, output: message.usage.output_tokens });

    const completion = await openai.chat.completions.create({ model: OPENAI_MODEL, messages });
    openAiTokens.push({ input: completion.usage!.prompt_tokens, output: completion.usage!.completion_tokens });
    for await (const chunk of await openai.chat.completions.create({ model: OPENAI_MODEL, messages, stream: true, stream_options: { include_usage: true } })) {
      if (chunk.usage) openAiTokens.push({ input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens });
    }
    const response = await openai.responses.create({ model: OPENAI_MODEL, input: 'How many tokens is this?' });
    openAiTokens.push({ input: response.usage!.input_tokens, output: response.usage!.output_tokens });
    for await (const event of await openai.responses.create({ model: OPENAI_MODEL, input: 'How many tokens is this?', stream: true })) {
      if (event.type === 'response.completed') openAiTokens.push({ input: event.response.usage!.input_tokens, output: event.response.usage!.output_tokens });
    }
    expect(openAiTokens).toHaveLength(4);

    // A call is counted when its answer closes, just after the caller has it.
    await expect.poll(async () => callsIn(await usageOf('tenant-a'))).toBe(3);
    await expect.poll(async () => callsIn(await usageOf('tenant-o'))).toBe(4);
    const expected = {
      'tenant-a': { date: TODAY, provider: 'anthropic', model: ANTHROPIC_MODEL, calls: 3, failed_calls: 0, input_tokens: sum(anthropicTokens).input, output_tokens: sum(anthropicTokens).output, cached_input_tokens: 0 },
      'tenant-o': { date: TODAY, provider: 'openai', model: OPENAI_MODEL, calls: 4, failed_calls: 0, input_tokens: sum(openAiTokens).input, output_tokens: sum(openAiTokens).output, cached_input_tokens: 0 },
    };
    expect(await usageOf('tenant-a')).toEqual([expected['tenant-a']]);
    expect(await usageOf('tenant-o')).toEqual([expected['tenant-o']]);
    expect(await server.settings.usage({ scope: 'tenant-a', from: TODAY, to: TODAY })).toEqual([
      { date: TODAY, provider: 'anthropic', model: ANTHROPIC_MODEL, calls: 3, failedCalls: 0, inputTokens: expected['tenant-a'].input_tokens, outputTokens: expected['tenant-a'].output_tokens, cachedInputTokens: 0 },
    ]);

    const metrics = await (await fetch(`${server.url}/metrics`, { headers: auth })).text();
    expect(metrics).toContain('llm_settings_');
    expect(metrics).not.toMatch(/tenant-[ao]/);

    // Shutdown writes the last batch: the rows are in the database for the next process.
    await server.close();
    const knex = createKnexFromUrl(database.url);
    try {
      const rows = await createKnexUsageStore(knex).read({ scope: 'tenant-o', from: TODAY, to: TODAY });
      expect(rows).toEqual([
        { scope: 'tenant-o', date: TODAY, provider: 'openai', model: OPENAI_MODEL, calls: 4, failedCalls: 0, inputTokens: expected['tenant-o'].input_tokens, outputTokens: expected['tenant-o'].output_tokens, cachedInputTokens: 0 },
      ]);
    } finally {
      await knex.destroy();
    }
  }, 60_000);
});
