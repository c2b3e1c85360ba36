import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { LlmProvider } from '@llm-settings/core';

/** An HTTP answer of the fake: status, headers besides content type and request id, JSON body. */
export interface FakeAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** How one provider's API looks on the wire, as far as the models endpoint goes. */
export interface ProviderDialect {
  /** Response header carrying the request id. */
  readonly requestIdHeader: string;
  newRequestId(): string;
  /** The key the request carries, or null when it carries none. */
  credential(headers: IncomingHttpHeaders): string | null;
  /** The 200 answer for a model the provider has. */
  model(id: string): FakeAnswer;
  /** An error answer, worded like the provider words it. */
  error(status: number, context: { readonly apiKey: string | null; readonly model: string; readonly requestId: string }): FakeAnswer;
}

/** Anthropic: x-api-key or Bearer, `request-id`, `{"type":"error","error":{type,message}}`. */
const anthropic: ProviderDialect = {
  requestIdHeader: 'request-id',
  newRequestId: () => `req_011C${randomBytes(12).toString('hex')}`,
  credential: (headers) => headerValue(headers['x-api-key']) ?? bearerToken(headers.authorization),
  model: (id) => ({
    status: 200,
    body: { type: 'model', id, display_name: displayNameOf(id), created_at: '2025-05-14T00:00:00Z' },
  }),
  error: (status, { model, requestId }) => {
    const [type, message] = ANTHROPIC_ERRORS[status] ?? ['api_error', 'Internal server error'];
    return {
      status,
      ...(status === 429 ? { headers: { 'retry-after': '20' } } : {}),
      body: { type: 'error', error: { type, message: message.replace('{model}', model) }, request_id: requestId },
    };
  },
};

const ANTHROPIC_ERRORS: Readonly<Record<number, readonly [string, string]>> = {
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'model: {model}'],
  429: ['rate_limit_error', 'Number of requests has exceeded your per-minute rate limit. Please try again later.'],
  500: ['api_error', 'Internal server error'],
  529: ['overloaded_error', 'Overloaded'],
};

/** OpenAI: Bearer, `x-request-id`, `{"error":{message,type,param,code}}`; its 401 quotes part of the key. */
const openai: ProviderDialect = {
  requestIdHeader: 'x-request-id',
  newRequestId: () => `req_${randomBytes(16).toString('hex')}`,
  credential: (headers) => bearerToken(headers.authorization),
  model: (id) => ({ status: 200, body: { id, object: 'model', created: 1715367049, owned_by: 'system' } }),
  error: (status, { apiKey, model }) => {
    const body = (message: string, type: string, param: string | null, code: string | null) => ({
      error: { message, type, param, code },
    });
    switch (status) {
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
        return { status, body: body(`The model '${model}' does not exist`, 'invalid_request_error', 'model', 'model_not_found') };
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

export const DIALECTS: Readonly<Record<LlmProvider, ProviderDialect>> = { anthropic, openai };

/** The way OpenAI quotes a wrong key: its first 8 characters, stars, its last 4. */
export function openAiKeyEcho(apiKey: string): string {
  if (apiKey.length <= 12) return `${'*'.repeat(Math.max(0, apiKey.length - 4))}${apiKey.slice(-4)}`;
  return `${apiKey.slice(0, 8)}${'*'.repeat(apiKey.length - 12)}${apiKey.slice(-4)}`;
}

function headerValue(value: string | string[] | undefined): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? null : first;
}

function bearerToken(value: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(value ?? '');
  return match?.[1] ?? null;
}

function displayNameOf(id: string): string {
  return id
    .split('-')
    .filter((part) => !/^\d{8}$/.test(part))
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
}
