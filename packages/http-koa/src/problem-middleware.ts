import { providerErrorObject, redactText, systemErrorCode, type ProviderDialect } from '@llm-settings/core';
import type { Middleware } from 'koa';
import type { AppContext, AppState } from './app-state.js';
import { PROBLEM_CONTENT_TYPE, problemFromError } from './problems.js';
import { throwIfUnanswered } from './routers.js';

/**
 * The one error middleware: every error thrown below it, and every request no route
 * answered (404, 405), becomes an RFC 9457 problem (see {@link problemFromError}). The
 * response never carries a stack, a cause or any part of the request body. For the log
 * line it records the code and the message, redacted of key-shaped text and of any
 * api_key the request carried.
 *
 * On the LLM pass-through (`dialectOf` names the dialect of the request's provider), the
 * problem also carries the provider's `error` object with the same detail and code:
 * the official SDKs read only their provider's shape (OpenAI's shows a problem alone as
 * "409 status code (no body)"). RFC 9457's members stay, `type` its URI. It also tells the
 * SDK whether to retry ({@link worthRetrying}), whatever refused the call: a route, or a
 * check before any route (401, 403) or no route at all (404, 405).
 */
export function problemMiddleware(dialectOf: (ctx: AppContext) => ProviderDialect | null = () => null): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      throwIfUnanswered(ctx);
    } catch (error) {
      const problem = problemFromError(error);
      ctx.state.failure = { code: problem.body.code, message: failureMessage(ctx, error) };
      ctx.status = problem.status;
      for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
      ctx.type = PROBLEM_CONTENT_TYPE;
      const dialect = dialectOf(ctx);
      if (dialect !== null) {
        problem.body.error = providerErrorObject(dialect, problem.status, problem.body.detail, problem.body.code);
        if (!worthRetrying(problem.status)) ctx.set('x-should-retry', 'false');
      }
      ctx.body = problem.body;
    }
  };
}

/**
 * Whether an SDK may retry one of our problems. A refusal of ours (4xx) or a timeout would
 * fail the same way again, yet the SDKs retry a 409 or a 504 by default. A 408 or a 429 may
 * pass later, as may a 502 or a 503: those retries, after Retry-After, are left to the SDK.
 * A 502 that refuses the provider's answer as it is (a redirect, an encoded body) would
 * fail again: its error says `x-should-retry: false` itself, in its headers.
 */
function worthRetrying(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 504);
}

function failureMessage(ctx: AppContext, error: unknown): string {
  if (!(error instanceof Error)) return 'non-error value thrown';
  // The code of a system error below it says why a provider could not be reached.
  const reason = systemErrorCode(error.cause);
  return redactText(`${error.name}: ${error.message}${reason === null ? '' : ` (${reason})`}`, secretsIn(ctx.request.body));
}

/** The api_key a request body carried, so that an error message echoing it is redacted too. */
function secretsIn(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || !('api_key' in body)) return [];
  const key = (body as { api_key: unknown }).api_key;
  return typeof key === 'string' && key.trim().length > 0 ? [key, key.trim()] : [];
}
