import { createHash, randomBytes } from 'node:crypto';
import { bodyModel, fakeAnswerText, isRecord, sseFrame, textDeltas, tokenEstimate } from './fake-dialects.js';
import type { FakeAnswer, FakeCall, FakeStream, ProviderDialect } from './fake-dialects.js';

const DEFAULT_EMBEDDING_DIMENSIONS = 1536;
const SYSTEM_FINGERPRINT = 'fp_fake0000';

/**
 * OpenAI: Bearer, `x-request-id`, `x-ratelimit-*`, `{"error":{message,type,param,code}}`
 * (its 401 quotes part of the key); models, chat completions and responses (streamed
 * or not), embeddings.
 */
export const openAiDialect: ProviderDialect = {
  requestIdHeader: 'x-request-id',
  newRequestId: () => `req_${randomBytes(16).toString('hex')}`,
  commonHeaders: (rateLimited) => ({
    'openai-version': '2020-10-01',
    'openai-processing-ms': '1',
    'x-ratelimit-limit-requests': '10000',
    'x-ratelimit-remaining-requests': rateLimited ? '0' : '9999',
    'x-ratelimit-reset-requests': rateLimited ? '20s' : '6ms',
    'x-ratelimit-limit-tokens': '30000000',
    'x-ratelimit-remaining-tokens': rateLimited ? '0' : '30000000',
    'x-ratelimit-reset-tokens': '0s',
  }),
  routes: [
    {
      method: 'GET',
      path: /^\/v1\/models$/,
      model: () => null,
      answer: ({ models }) => ({ status: 200, body: { object: 'list', data: models.map(modelObject) } }),
    },
    {
      method: 'GET',
      path: /^\/v1\/models\/([^/]+)$/,
      model: ({ params }) => params[0] ?? '',
      answer: ({ params }) => ({ status: 200, body: modelObject(params[0] ?? '') }),
    },
    { method: 'POST', path: /^\/v1\/chat\/completions$/, model: bodyModel, answer: chatCompletion },
    { method: 'POST', path: /^\/v1\/responses$/, model: bodyModel, answer: createResponse },
    { method: 'POST', path: /^\/v1\/embeddings$/, model: bodyModel, answer: createEmbeddings },
    // OpenRouter's key-info route, which its key test calls.
    { method: 'GET', path: /^\/v1\/key$/, model: () => null, answer: () => ({ status: 200, body: { data: { label: 'fake key', usage: 0, limit: null } } }) },
  ],
  error: (status, { apiKey, model, route }) => {
    const body = (message: string, type: string, param: string | null, code: string | null) => ({
      error: { message, type, param, code },
    });
    switch (status) {
      case 400:
        return { status, body: body('you must provide a model parameter', 'invalid_request_error', null, null) };
      case 401:
        return {
          status,
          body:
            apiKey === null
              ? body("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", 'invalid_request_error', null, null)
              : body(
                  `Incorrect API key provided: ${openAiKeyEcho(apiKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
                  'invalid_request_error',
                  null,
                  'invalid_api_key',
                ),
        };
      case 403:
        return { status, body: body('You have insufficient permissions for this operation. Missing scopes: api.model.read.', 'invalid_request_error', null, null) };
      case 404:
        return model === null
          ? { status, body: body(`Invalid URL (${route})`, 'invalid_request_error', null, null) }
          : { status, body: body(`The model '${model}' does not exist`, 'invalid_request_error', 'model', 'model_not_found') };
      case 429:
        return {
          status,
          headers: { 'retry-after': '20' },
          body: body('Rate limit reached for requests. Please try again in 20s.', 'requests', null, 'rate_limit_exceeded'),
        };
      default:
        return {
          status,
          body: body(
            status === 529 ? 'The engine is currently overloaded, please try again later' : 'The server had an error while processing your request. Sorry about that!',
            'server_error',
            null,
            null,
          ),
        };
    }
  },
};

/** The way OpenAI quotes a wrong key: its first 8 characters, stars, its last 4. */
export function openAiKeyEcho(apiKey: string): string {
  if (apiKey.length <= 12) return `${'*'.repeat(Math.max(0, apiKey.length - 4))}${apiKey.slice(-4)}`;
  return `${apiKey.slice(0, 8)}${'*'.repeat(apiKey.length - 12)}${apiKey.slice(-4)}`;
}

function modelObject(id: string) {
  return { id, object: 'model', created: 1715367049, owned_by: 'system' };
}

function chatCompletion(call: FakeCall): FakeAnswer | FakeStream {
  const model = String(call.body.model);
  const text = fakeAnswerText(model, call.nextSerial());
  const deltas = textDeltas(text);
  const id = `chatcmpl-${randomBytes(15).toString('base64url')}`;
  const created = Math.floor(Date.now() / 1000);
  const promptTokens = tokenEstimate(call.body.messages);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: deltas.length,
    total_tokens: promptTokens + deltas.length,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  const common = { id, created, model, service_tier: 'default', system_fingerprint: SYSTEM_FINGERPRINT };
  if (call.body.stream !== true) {
    const message = { role: 'assistant', content: text, refusal: null, annotations: [] };
    return {
      status: 200,
      body: { ...common, object: 'chat.completion', choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }], usage },
    };
  }
  // With stream_options.include_usage, every chunk has `usage: null` and one more chunk, without choices, carries it.
  const withUsage = isRecord(call.body.stream_options) && call.body.stream_options.include_usage === true;
  const chunk = (choices: unknown[], chunkUsage: unknown = null) =>
    sseFrame(null, { ...common, object: 'chat.completion.chunk', choices, ...(withUsage ? { usage: chunkUsage } : {}) });
  const choice = (delta: unknown, finishReason: string | null) => ({ index: 0, delta, logprobs: null, finish_reason: finishReason });
  return {
    frames: [
      chunk([choice({ role: 'assistant', content: '', refusal: null }, null)]),
      ...deltas.map((delta) => chunk([choice({ content: delta }, null)])),
      chunk([choice({}, 'stop')]),
      ...(withUsage ? [chunk([], usage)] : []),
      'data: [DONE]\n\n',
    ],
  };
}

/** The Responses API: one message output; streamed as its typed events, numbered by sequence_number. */
function createResponse(call: FakeCall): FakeAnswer | FakeStream {
  const model = String(call.body.model);
  const text = fakeAnswerText(model, call.nextSerial());
  const deltas = textDeltas(text);
  const id = `resp_${randomBytes(24).toString('hex')}`;
  const itemId = `msg_${randomBytes(24).toString('hex')}`;
  const createdAt = Math.floor(Date.now() / 1000);
  const inputTokens = tokenEstimate([call.body.instructions, call.body.input]);
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: deltas.length,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + deltas.length,
  };
  const part = (partText: string) => ({ type: 'output_text', text: partText, annotations: [], logprobs: [] });
  const item = (status: string, content: unknown[]) => ({ id: itemId, type: 'message', status, role: 'assistant', content });
  const response = (status: string, output: unknown[], responseUsage: unknown) => ({
    id,
    object: 'response',
    created_at: createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: call.body.instructions ?? null,
    max_output_tokens: call.body.max_output_tokens ?? null,
    model,
    output,
    parallel_tool_calls: true,
    previous_response_id: call.body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: responseUsage,
    user: null,
    metadata: {},
  });
  const done = response('completed', [item('completed', [part(text)])], usage);
  if (call.body.stream !== true) return { status: 200, body: done };

  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>) => sseFrame(type, { type, sequence_number: sequence++, ...fields });
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  return {
    frames: [
      event('response.created', { response: response('in_progress', [], null) }),
      event('response.in_progress', { response: response('in_progress', [], null) }),
      event('response.output_item.added', { output_index: 0, item: item('in_progress', []) }),
      event('response.content_part.added', { ...at, part: part('') }),
      ...deltas.map((delta) => event('response.output_text.delta', { ...at, delta, logprobs: [] })),
      event('response.output_text.done', { ...at, text, logprobs: [] }),
      event('response.content_part.done', { ...at, part: part(text) }),
      event('response.output_item.done', { output_index: 0, item: item('completed', [part(text)]) }),
      event('response.completed', { response: done }),
    ],
  };
}

/**
 * One unit vector per input, the same for the same model, input and dimensions.
 * `encoding_format: 'base64'` (what the SDK asks for by default) gets little-endian
 * float32 bytes; the floats are float32 values too, so both formats decode alike.
 */
function createEmbeddings({ body }: FakeCall): FakeAnswer {
  const model = String(body.model);
  const { input } = body;
  // A list of strings or of token arrays is several inputs; a string or one token array is one.
  const inputs = Array.isArray(input) && input.some((entry) => typeof entry !== 'number') ? input : [input];
  const dimensions = Number.isInteger(body.dimensions) && Number(body.dimensions) > 0 ? Number(body.dimensions) : DEFAULT_EMBEDDING_DIMENSIONS;
  const data = inputs.map((entry, index) => {
    const vector = unitVector(`${model}\n${dimensions}\n${JSON.stringify(entry)}`, dimensions);
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = tokenEstimate(input);
  return { status: 200, body: { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } } };
}

/** A pseudo-random unit vector seeded by `seed` (mulberry32), in float32 values. */
function unitVector(seed: string, dimensions: number): number[] {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  const values = Array.from({ length: dimensions }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  });
  const norm = Math.hypot(...values);
  return values.map((value) => Math.fround(value / norm));
}
