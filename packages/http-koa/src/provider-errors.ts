import type { ProviderDialect } from '@llm-settings/core';

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

/**
 * The `error` object of an error body in the provider's own shape, which its official
 * SDK turns into the message and fields of the error it throws: Anthropic's
 * `{"type":"error","error":{...}}` has `code` in `details.error_code` (the SDK's
 * `errorCode`), OpenAI's `{"error":{...}}` in `code`.
 */
export function providerErrorObject(dialect: ProviderDialect, status: number, message: string, code: string | null): ProviderErrorObject {
  if (dialect === 'anthropic') {
    const type = ANTHROPIC_ERROR_TYPES[status] ?? (status < 500 ? 'invalid_request_error' : 'api_error');
    return code === null ? { type, message } : { type, message, details: { error_code: code } };
  }
  return { message, type: status < 500 ? 'invalid_request_error' : 'server_error', param: null, code };
}

/** A whole error body in the provider's own shape. */
export function providerErrorBody(dialect: ProviderDialect, status: number, message: string, code: string | null): object {
  const error = providerErrorObject(dialect, status, message, code);
  return dialect === 'anthropic' ? { type: 'error', error } : { error };
}
