import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageMeter, defaultModelFor } from '@llm-settings/core';
import { createMemoryUsageStore } from '@llm-settings/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ANTHROPIC_KEY, OPENAI_KEY, jsonRequest, startServer, type TestServer } from './helpers.js';

/** An upstream whose answer each test sets, as bytes: what the caller must get unchanged. */
async function startUpstream() {
  let answer: (res: ServerResponse, path: string) => void = (res) => res.end();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res, req.url ?? ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answerWith(next: typeof answer) {
      answer = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const jsonAnswer = (body: unknown, status = 200) => (res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
/** Server-sent events, each frame written on its own. */
const eventAnswer = (frames: string[]) => (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  for (const frame of frames) res.write(frame);
  res.end();
};
const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined;
let server: TestServer | undefined;
let meter: UsageMeter | undefined;
afterEach(async () => {
  await server?.close();
  await upstream?.close();
  await meter?.close();
  server = upstream = meter = undefined;
});

const TODAY = new Date().toISOString().slice(0, 10);

async function start(withUsage = true) {
  upstream = await startUpstream();
  const store = createMemoryUsageStore();
  meter = new UsageMeter({ store, flushMs: 3_600_000 });
  server = await startServer({
    llm: { baseUrls: { anthropic: upstream.url, openai: `${upstream.url}/v1` } },
    ...(withUsage ? { usage: meter } : {}),
  });
  const put = async (scope: string, provider: 'anthropic' | 'openai') =>
    expect((await fetch(`${server!.url}/api/settings/llm`, jsonRequest('PUT', { provider, api_key: provider === 'anthropic' ? ANTHROPIC_KEY : OPENAI_KEY }, { 'llm-settings-scope': scope }))).status).toBe(200);
  await put('tenant-a', 'anthropic');
  await put('tenant-o', 'openai');
  const call = async (scope: string, path: string, body: unknown) => {
    const response = await fetch(`${server!.url}/api/llm${path}`, jsonRequest('POST', body, { 'llm-settings-scope': scope }));
    return { status: response.status, text: await response.text() };
  };
  const usageOf = async (scope: string, query = `from=${TODAY}&to=${TODAY}`) => {
    const response = await fetch(`${server!.url}/api/settings/llm/usage?${query}`, { headers: { 'llm-settings-scope': scope } });
    return { status: response.status, body: (await response.json()) as { rows: Array<Record<string, unknown>> } & Record<string, unknown> };
  };
  /** The usage once the answers closed: a call is counted when its answer closes, just after the caller has it. */
  const settledUsage = async (scope: string, calls: number) => {
    await expect.poll(async () => (await usageOf(scope)).body.rows.reduce((sum, row) => sum + Number(row.calls), 0)).toBe(calls);
    return (await usageOf(scope)).body.rows;
  };
  return { upstream, store, call, usageOf, settledUsage };
}

const row = (over: Record<string, unknown>) => ({ date: TODAY, calls: 1, failed_calls: 0, cached_input_tokens: 0, ...over });

describe('LLM pass-through: usage per scope', () => {
  it("counts an Anthropic message and an Anthropic stream from the answers' usage, passing the answers on byte for byte", async () => {
    const { upstream, call, settledUsage } = await start();
    const message = { id: 'msg_1', model: 'claude-answered', usage: { input_tokens: 120, output_tokens: 30, cache_read_input_tokens: 100 } };
    upstream.answerWith(jsonAnswer(message));
    expect((await call('tenant-a', '/anthropic/v1/messages', { model: 'claude-asked', messages: [] })).text).toBe(JSON.stringify(message));
    const frames = [
      sse({ type: 'message_start', message: { model: 'claude-answered', usage: { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 4 } } }, 'message_start'),
      sse({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'Hello' } }, 'content_block_delta'),
      sse({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 12 } }, 'message_delta'),
      sse({ type: 'message_stop' }, 'message_stop'),
    ];
    upstream.answerWith(eventAnswer(frames));
    expect((await call('tenant-a', '/anthropic/v1/messages', { model: 'claude-asked', stream: true, messages: [] })).text).toBe(frames.join(''));
    expect(await settledUsage('tenant-a', 2)).toEqual([
      row({ provider: 'anthropic', model: 'claude-answered', calls: 2, input_tokens: 130, output_tokens: 42, cached_input_tokens: 104 }),
    ]);
  });

  it('counts OpenAI chat completions (plain, and streamed with include_usage), Responses and embeddings', async () => {
    const { upstream, call, settledUsage } = await start();
    upstream.answerWith(jsonAnswer({ model: 'gpt-x', usage: { prompt_tokens: 50, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 20 } } }));
    await call('tenant-o', '/openai/v1/chat/completions', { model: 'gpt-x', messages: [] });
    upstream.answerWith(eventAnswer([sse({ model: 'gpt-x', choices: [{ delta: { content: 'hi' } }], usage: null }), sse({ model: 'gpt-x', choices: [], usage: { prompt_tokens: 7, completion_tokens: 3 } }), 'data: [DONE]\n\n']));
    await call('tenant-o', '/openai/v1/chat/completions', { model: 'gpt-x', stream: true, stream_options: { include_usage: true }, messages: [] });
    upstream.answerWith(eventAnswer([sse({ type: 'response.created', response: { model: 'gpt-r', usage: null } }), sse({ type: 'response.completed', response: { model: 'gpt-r', usage: { input_tokens: 9, output_tokens: 4 } } })]));
    await call('tenant-o', '/openai/v1/responses', { model: 'gpt-r', stream: true, input: 'x' });
    upstream.answerWith(jsonAnswer({ model: 'emb', usage: { prompt_tokens: 6, total_tokens: 6 } }));
    await call('tenant-o', '/openai/v1/embeddings', { model: 'emb', input: 'x' });
    expect(await settledUsage('tenant-o', 4)).toEqual([
      row({ provider: 'openai', model: 'emb', input_tokens: 6, output_tokens: 0 }),
      row({ provider: 'openai', model: 'gpt-r', input_tokens: 9, output_tokens: 4 }),
      row({ provider: 'openai', model: 'gpt-x', calls: 2, input_tokens: 57, output_tokens: 8, cached_input_tokens: 20 }),
    ]);
  });

  it("counts a failed call under the request's model when it is the scope's, any other as unknown, and neither model lists nor token counts", async () => {
    const { upstream, call, usageOf, settledUsage } = await start();
    const stored = defaultModelFor('anthropic');
    upstream.answerWith(jsonAnswer({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 529));
    expect((await call('tenant-a', '/anthropic/v1/messages', { model: stored, messages: [] })).status).toBe(529);
    // A caller's made-up models: a row each would let any caller grow the usage table without bound.
    upstream.answerWith(jsonAnswer({ type: 'error', error: { type: 'not_found_error', message: 'model not found' } }, 404));
    for (const model of ['made-up-1', 'made-up-2']) expect((await call('tenant-a', '/anthropic/v1/messages', { model, messages: [] })).status).toBe(404);
    upstream.answerWith(jsonAnswer({ input_tokens: 12 }));
    await call('tenant-a', '/anthropic/v1/messages/count_tokens', { model: stored, messages: [] });
    upstream.answerWith(jsonAnswer({ data: [] }));
    await fetch(`${server!.url}/api/llm/anthropic/v1/models`, { headers: { 'llm-settings-scope': 'tenant-a' } });
    expect(await settledUsage('tenant-a', 3)).toEqual([
      row({ provider: 'anthropic', model: stored, failed_calls: 1, input_tokens: 0, output_tokens: 0 }),
      row({ provider: 'anthropic', model: 'unknown', calls: 2, failed_calls: 2, input_tokens: 0, output_tokens: 0 }),
    ]);
    expect((await usageOf('tenant-o')).body).toEqual({ rows: [] });
  });

  it("answers each scope its own rows only, and the default scope's without the header", async () => {
    const { upstream, call, usageOf, settledUsage } = await start();
    upstream.answerWith(jsonAnswer({ model: 'claude', usage: { input_tokens: 1, output_tokens: 1 } }));
    await call('tenant-a', '/anthropic/v1/messages', { model: 'claude', messages: [] });
    await settledUsage('tenant-a', 1);
    expect((await usageOf('tenant-o')).body.rows).toEqual([]);
    const defaultScope = await fetch(`${server!.url}/api/settings/llm/usage?from=${TODAY}&to=${TODAY}`);
    expect(await defaultScope.json()).toEqual({ rows: [] });
  });

  it('refuses a missing, repeated or malformed date, and from after to, with 400', async () => {
    const { usageOf } = await start();
    for (const query of ['from=2026-01-01', 'to=2026-01-01', 'from=2026-01-01&from=2026-01-02&to=2026-01-03', 'from=2026-1-1&to=2026-01-02', 'from=2026-01-02&to=2026-01-01']) {
      const { status, body } = await usageOf('tenant-a', query);
      expect(status, query).toBe(400);
      expect(body.code, query).toBe('VALIDATION.INVALID_INPUT');
    }
  });

  it('without the usage option, counts nothing and the usage path answers 404', async () => {
    const { upstream, call, usageOf } = await start(false);
    upstream.answerWith(jsonAnswer({ model: 'claude', usage: { input_tokens: 1, output_tokens: 1 } }));
    expect((await call('tenant-a', '/anthropic/v1/messages', { model: 'claude', messages: [] })).status).toBe(200);
    expect((await usageOf('tenant-a')).status).toBe(404);
  });
});
