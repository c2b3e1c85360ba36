import { errorChain, systemErrorCode, type LlmProvider, type Logger } from '@llm-settings/core';
import { RedirectRefusedError } from './guarded-fetch.js';
import { NotApiAnswerError } from './sdk-calls.js';

/** What went wrong with a model lookup, read from the SDK's error without its text. */
export type Failure =
  /** The provider answered with this HTTP status. */
  | { readonly kind: 'status'; readonly status: number; readonly requestId: string | null }
  /** The provider answered with a redirect, which was not followed. */
  | { readonly kind: 'redirect'; readonly status: number }
  /** A successful answer that is not the API's JSON: the base URL reaches something else. */
  | { readonly kind: 'not_api'; readonly status: number }
  /** The SDK gave up waiting (its own timer). */
  | { readonly kind: 'timeout' }
  /** No answer: refused, reset, DNS or TLS failure; `reason` is its system code, for the operator's log. */
  | { readonly kind: 'network'; readonly reason: string | null }
  /** Anything else, such as a bug. */
  | { readonly kind: 'unexpected' };

type ErrorClass = abstract new (...args: never[]) => Error;

/** The error classes both SDKs export (their client classes carry them as statics). */
export interface SdkErrorClasses {
  readonly APIError: ErrorClass;
  readonly APIConnectionError: ErrorClass;
  readonly APIConnectionTimeoutError: ErrorClass;
}

/**
 * Reads an error thrown by an SDK call. Only the status and the request id are
 * kept: the SDK's message may quote the provider's body, and with it part of the key.
 */
export function describeFailure(error: unknown, sdk: SdkErrorClasses): Failure {
  const redirect = [...errorChain(error)].find((cause) => cause instanceof RedirectRefusedError);
  if (redirect instanceof RedirectRefusedError) return { kind: 'redirect', status: redirect.status };
  if (error instanceof NotApiAnswerError) return { kind: 'not_api', status: error.status };
  // The timeout class extends the connection error class: test it first.
  if (error instanceof sdk.APIConnectionTimeoutError) return { kind: 'timeout' };
  if (error instanceof sdk.APIConnectionError) return { kind: 'network', reason: systemErrorCode(error.cause) };
  if (error instanceof sdk.APIError) {
    const { status, requestID } = error as { status?: unknown; requestID?: unknown };
    if (typeof status === 'number') {
      return { kind: 'status', status, requestId: typeof requestID === 'string' && requestID !== '' ? requestID : null };
    }
  }
  return { kind: 'unexpected' };
}

/**
 * Logs what an operator needs of a failure its caller sees in fixed wording only: the
 * system code of a provider that could not be reached, the class of an unexpected error
 * (never a message: it may quote the provider, and the provider the key).
 */
export function logFailure(logger: Logger, provider: LlmProvider, action: string, failure: Failure, error: unknown): void {
  if (failure.kind === 'network') logger.warn({ provider, reason: failure.reason }, `${action} could not reach the provider`);
  if (failure.kind === 'unexpected') logger.warn({ provider, error: errorClassName(error) }, `${action} failed unexpectedly`);
}

function errorClassName(error: unknown): string {
  return error instanceof Error ? error.constructor.name : typeof error;
}
