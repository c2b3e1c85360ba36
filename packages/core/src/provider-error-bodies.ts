import type { ProviderDialect } from './providers.js';

/** Anthropic's error object, as its SDK reads it (`apiMessage`, `type`, `errorCode`). */
export interface AnthropicErrorObject {
  type: string;
  message: string;
  details?: { error_code: string };
}

/** OpenAI's error object, as its SDK reads it (`message`, `type`, `code`, `param`). */
export interface OpenAiErrorObject {
  message: string;
  type: string;
  param: null;
  code: string | null;
}

/** The `error` member of a provider's error body. */
export type ProviderErrorObject = AnthropicErrorObject | OpenAiErrorObject;

/** Anthropic's error types by status; any other is `invalid_request_error` (4xx) or `api_error`. */
const ANTHROPIC_ERROR_TYPES: Readonly<Record<number, string>> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** One dialect's error shape: its `error` object, and the body that wraps it. */
interface ErrorShape {
  object(status: number, message: string, code: string | null): ProviderErrorObject;
  body(error: ProviderErrorObject): object;
}

/**
 * Every dialect's error shape, which its official SDK turns into the message and fields of
 * the error it throws: Anthropic's `{"type":"error","error":{...}}` has `code` in
 * `details.error_code` (the SDK's `errorCode`), OpenAI's `{"error":{...}}` in `code`.
 * Keyed by dialect, so that a new dialect cannot be added without its shape.
 */
const ERROR_SHAPES: Readonly<Record<ProviderDialect, ErrorShape>> = {
  anthropic: {
    object(status, message, code) {
      const type = ANTHROPIC_ERROR_TYPES[status] ?? (status < 500 ? 'invalid_request_error' : 'api_error');
      return code === null ? { type, message } : { type, message, details: { error_code: code } };
    },
    body: (error) => ({ type: 'error', error }),
  },
  openai: {
    object: (status, message, code) => ({ message, type: status < 500 ? 'invalid_request_error' : 'server_error', param: null, code }),
    body: (error) => ({ error }),
  },
};

/** The `error` object of an error body of `status` in the dialect's own shape (see {@link providerErrorBody}). */
export function providerErrorObject(dialect: ProviderDialect, status: number, message: string, code: string | null): ProviderErrorObject {
  return ERROR_SHAPES[dialect].object(status, message, code);
}

/**
 * A whole error body of `status` in the dialect's own shape, as its SDK parses it: what an
 * adapter answers in the provider's place (the pass-through's fixed answers, a client's
 * refused answer), so that the SDKs raise their usual error classes.
 */
export function providerErrorBody(dialect: ProviderDialect, status: number, message: string, code: string | null): object {
  const shape = ERROR_SHAPES[dialect];
  return shape.body(shape.object(status, message, code));
}
