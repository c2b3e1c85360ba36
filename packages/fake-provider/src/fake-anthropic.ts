import { randomBytes } from 'node:crypto';
import { bodyModel, fakeAnswerText, sseFrame, textDeltas, tokenEstimate } from './fake-dialects.js';
import type { FakeAnswer, FakeCall, FakeStream, ProviderDialect } from './fake-dialects.js';

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 1000;

/**
 * Anthropic: x-api-key or Bearer, `request-id`, `anthropic-ratelimit-*`,
 * `{"type":"error","error":{type,message}}`; models, messages (streamed or not) and
 * token counting.
 */
export const anthropicDialect: ProviderDialect = {
  requestIdHeader: 'request-id',
  newRequestId: () => `req_011C${randomBytes(12).toString('hex')}`,
  commonHeaders: (rateLimited) => {
    const reset = new Date(Math.ceil(Date.now() / 1000) * 1000 + 60_000).toISOString().replace('.000Z', 'Z');
    return {
      'anthropic-ratelimit-requests-limit': '1000',
      'anthropic-ratelimit-requests-remaining': rateLimited ? '0' : '999',
      'anthropic-ratelimit-requests-reset': reset,
      'anthropic-ratelimit-tokens-limit': '400000',
      'anthropic-ratelimit-tokens-remaining': rateLimited ? '0' : '400000',
      'anthropic-ratelimit-tokens-reset': reset,
    };
  },
  routes: [
    { method: 'GET', path: /^\/v1\/models$/, model: () => null, answer: listModels },
    {
      method: 'GET',
      path: /^\/v1\/models\/([^/]+)$/,
      model: ({ params }) => params[0] ?? '',
      answer: ({ params }) => ({ status: 200, body: modelInfo(params[0] ?? '') }),
    },
    { method: 'POST', path: /^\/v1\/messages$/, model: bodyModel, answer: createMessage },
    {
      method: 'POST',
      path: /^\/v1\/messages\/count_tokens$/,
      model: bodyModel,
      answer: ({ body }) => ({ status: 200, body: { input_tokens: inputTokens(body) } }),
    },
  ],
  error: (status, { model, requestId }) => {
    const [type, message] =
      status === 404 && model === null ? ['not_found_error', 'Not Found'] : (ANTHROPIC_ERRORS[status] ?? ['api_error', 'Internal server error']);
    return {
      status,
      ...(status === 429 ? { headers: { 'retry-after': '20' } } : {}),
      body: { type: 'error', error: { type, message: message.replace('{model}', model ?? '') }, request_id: requestId },
    };
  },
};

const ANTHROPIC_ERRORS: Readonly<Record<number, readonly [string, string]>> = {
  400: ['invalid_request_error', 'model: Field required'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'model: {model}'],
  429: ['rate_limit_error', 'Number of requests has exceeded your per-minute rate limit. Please try again later.'],
  500: ['api_error', 'Internal server error'],
  529: ['overloaded_error', 'Overloaded'],
};

function modelInfo(id: string) {
  return { type: 'model', id, display_name: displayNameOf(id), created_at: '2025-05-14T00:00:00Z' };
}

/** A page of `limit` models after `after_id` (or before `before_id`), with Anthropic's cursor fields. */
function listModels({ models, query }: FakeCall): FakeAnswer {
  const asked = Number.parseInt(query.get('limit') ?? '', 10);
  const limit = Number.isNaN(asked) ? DEFAULT_PAGE_SIZE : Math.min(Math.max(asked, 1), MAX_PAGE_SIZE);
  const before = query.get('before_id');
  const after = query.get('after_id');
  let start: number;
  let end: number;
  if (before !== null) {
    end = Math.max(models.indexOf(before), 0); // an unknown cursor gives an empty page
    start = Math.max(end - limit, 0);
  } else {
    start = after === null ? 0 : models.includes(after) ? models.indexOf(after) + 1 : models.length;
    end = Math.min(start + limit, models.length);
  }
  const data = models.slice(start, end);
  return {
    status: 200,
    body: {
      data: data.map(modelInfo),
      has_more: before !== null ? start > 0 : end < models.length,
      first_id: data[0] ?? null,
      last_id: data.at(-1) ?? null,
    },
  };
}

function createMessage(call: FakeCall): FakeAnswer | FakeStream {
  const model = String(call.body.model);
  const text = fakeAnswerText(model, call.nextSerial());
  const deltas = textDeltas(text);
  const id = `msg_01${randomBytes(12).toString('hex')}`;
  const message = (content: unknown[], stopReason: string | null, outputTokens: number) => ({
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: {
      input_tokens: inputTokens(call.body),
      output_tokens: outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      service_tier: 'standard',
    },
  });
  if (call.body.stream !== true) {
    return { status: 200, body: message([{ type: 'text', text, citations: null }], 'end_turn', deltas.length) };
  }
  const event = (data: { readonly type: string; readonly [field: string]: unknown }) => sseFrame(data.type, data);
  return {
    frames: [
      event({ type: 'message_start', message: message([], null, 1) }),
      event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      event({ type: 'ping' }),
      ...deltas.map((delta) => event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: delta } })),
      event({ type: 'content_block_stop', index: 0 }),
      event({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: deltas.length } }),
      event({ type: 'message_stop' }),
    ],
  };
}

/** The same count for a message and for count_tokens of the same body. */
function inputTokens(body: Readonly<Record<string, unknown>>): number {
  return tokenEstimate([body.system, body.messages, body.tools]);
}

function displayNameOf(id: string): string {
  return id
    .split('-')
    .filter((part) => !/^\d{8}$/.test(part))
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
}
