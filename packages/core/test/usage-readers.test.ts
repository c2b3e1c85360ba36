import { describe, expect, it } from 'vitest';
import { AnswerUsageReader, isUsageCountedPath, MAX_USAGE_EVENT_CHARS, modelOfJsonRequest, usageOfJsonAnswer, type ProviderDialect } from '../src/index.js';

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

/** Feeds `text` to a reader in pieces of `size` bytes, as a network would cut it. */
function readInPieces(dialect: ProviderDialect, contentType: string, text: string, size: number) {
  const reader = new AnswerUsageReader(dialect, contentType);
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
  return reader.end();
}

describe('usageOfJsonAnswer', () => {
  it('reads an Anthropic message: input, output and cache-read input tokens, and the model', () => {
    const body = { model: 'claude-x', usage: { input_tokens: 12, output_tokens: 7, cache_read_input_tokens: 5, cache_creation_input_tokens: 3 } };
    expect(usageOfJsonAnswer('anthropic', JSON.stringify(body))).toEqual({ model: 'claude-x', usage: { inputTokens: 12, outputTokens: 7, cachedInputTokens: 5 } });
  });

  it('reads an OpenAI chat completion, with cached prompt tokens', () => {
    const body = { model: 'gpt-x', usage: { prompt_tokens: 20, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 8 } } };
    expect(usageOfJsonAnswer('openai', JSON.stringify(body))).toEqual({ model: 'gpt-x', usage: { inputTokens: 20, outputTokens: 4, cachedInputTokens: 8 } });
  });

  it("reads an OpenAI Responses answer's input_tokens and output_tokens, and an embedding's prompt tokens alone", () => {
    const response = { model: 'gpt-r', usage: { input_tokens: 9, output_tokens: 3, input_tokens_details: { cached_tokens: 2 } } };
    expect(usageOfJsonAnswer('openai', JSON.stringify(response)).usage).toEqual({ inputTokens: 9, outputTokens: 3, cachedInputTokens: 2 });
    expect(usageOfJsonAnswer('openai', JSON.stringify({ model: 'e', usage: { prompt_tokens: 6, total_tokens: 6 } })).usage).toEqual({
      inputTokens: 6,
      outputTokens: 0,
      cachedInputTokens: 0,
    });
  });

  it('gives nulls for an answer without usage, for text that is not JSON, and ignores counts that are not non-negative integers', () => {
    expect(usageOfJsonAnswer('openai', '{"data":[]}')).toEqual({ model: null, usage: null });
    expect(usageOfJsonAnswer('anthropic', 'not json')).toEqual({ model: null, usage: null });
    expect(usageOfJsonAnswer('anthropic', JSON.stringify({ usage: { input_tokens: -1, output_tokens: 1.5 } })).usage).toBeNull();
  });
});

describe('AnswerUsageReader', () => {
  const anthropicStream =
    sse({ type: 'message_start', message: { model: 'claude-s', usage: { input_tokens: 30, output_tokens: 1, cache_read_input_tokens: 10 } } }, 'message_start') +
    sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi "usage"' } }, 'content_block_delta') +
    sse({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15 } }, 'message_delta') +
    sse({ type: 'message_stop' }, 'message_stop');

  it("reads an Anthropic stream: message_start's input and cached tokens, message_delta's final output tokens, whatever the chunking", () => {
    for (const size of [1, 7, 64, 100_000]) {
      expect(readInPieces('anthropic', 'text/event-stream; charset=utf-8', anthropicStream, size)).toEqual({
        model: 'claude-s',
        usage: { inputTokens: 30, outputTokens: 15, cachedInputTokens: 10 },
      });
    }
  });

  it('reads an OpenAI chat stream with include_usage (its last chunk), and names the model of one without usage', () => {
    const chunk = (usage: unknown) => sse({ model: 'gpt-s', choices: [], usage });
    const withUsage = chunk(null) + chunk(null) + chunk({ prompt_tokens: 11, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 1 } }) + 'data: [DONE]\n\n';
    expect(readInPieces('openai', 'text/event-stream', withUsage, 5)).toEqual({ model: 'gpt-s', usage: { inputTokens: 11, outputTokens: 2, cachedInputTokens: 1 } });
    const without = sse({ model: 'gpt-s', choices: [] }) + 'data: [DONE]\n\n';
    expect(readInPieces('openai', 'text/event-stream', without, 5)).toEqual({ model: 'gpt-s', usage: null });
  });

  it("reads an OpenAI Responses stream's response.completed usage", () => {
    const text =
      sse({ type: 'response.created', response: { model: 'gpt-r', usage: null } }, 'response.created') +
      sse({ type: 'response.output_text.delta', delta: 'x' }, 'response.output_text.delta') +
      sse({ type: 'response.completed', response: { model: 'gpt-r', usage: { input_tokens: 4, output_tokens: 6 } } }, 'response.completed');
    expect(readInPieces('openai', 'text/event-stream', text, 3)).toEqual({ model: 'gpt-r', usage: { inputTokens: 4, outputTokens: 6, cachedInputTokens: 0 } });
  });

  it('reads a JSON answer at its end, and nothing of another type', () => {
    const body = JSON.stringify({ model: 'm', usage: { input_tokens: 1, output_tokens: 2 } });
    expect(readInPieces('anthropic', 'application/json', body, 4).usage).toEqual({ inputTokens: 1, outputTokens: 2, cachedInputTokens: 0 });
    expect(readInPieces('anthropic', 'text/plain', body, 4)).toEqual({ model: null, usage: null });
    expect(new AnswerUsageReader('anthropic', undefined).end()).toEqual({ model: null, usage: null });
  });

  it('skips an event longer than the bound and still reads the events after it', () => {
    const long = sse({ type: 'content_block_delta', delta: { text: 'x'.repeat(MAX_USAGE_EVENT_CHARS + 10) }, usage: { input_tokens: 999 } });
    const text = anthropicStream.replace('event: message_delta', `${long}event: message_delta`);
    expect(readInPieces('anthropic', 'text/event-stream', text, 65_536).usage).toEqual({ inputTokens: 30, outputTokens: 15, cachedInputTokens: 10 });
  });

  it('reads events whose lines end with CRLF', () => {
    expect(readInPieces('anthropic', 'text/event-stream', anthropicStream.replaceAll('\n', '\r\n'), 9).usage).toEqual({ inputTokens: 30, outputTokens: 15, cachedInputTokens: 10 });
  });
});

describe('modelOfJsonRequest and isUsageCountedPath', () => {
  it("reads a request's model, null for one without", () => {
    expect(modelOfJsonRequest('{"model":"m1","messages":[]}')).toBe('m1');
    expect(modelOfJsonRequest('{"messages":[]}')).toBeNull();
    expect(modelOfJsonRequest('[')).toBeNull();
  });

  it('counts the generating and embedding paths under any root, not model lists or token counts', () => {
    expect(['/v1/messages', '/api/v1/chat/completions', '/v1beta/openai/chat/completions', '/v1/responses', '/v1/embeddings'].every(isUsageCountedPath)).toBe(true);
    expect(['/v1/models', '/v1/messages/count_tokens', '/v1/key'].some(isUsageCountedPath)).toBe(false);
  });
});
