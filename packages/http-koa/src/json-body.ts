import { ValidationError } from '@llm-settings/core';
import type { Context, Middleware } from 'koa';
import bodyParser from 'koa-bodyparser';
import type { AppState, BodyState } from './app-state.js';
import { isJsonRequest } from './json-type.js';
import { HttpError, HttpErrorCodes } from './problems.js';

export interface JsonBodyOptions {
  /** When false, a request without content is accepted and its body reads as undefined. */
  required: boolean;
}

/**
 * Makes the route middleware that puts the request's JSON body on `ctx.state.body`: the
 * parsed body (an empty body reads as `{}`), or undefined when the body is optional and
 * the request has no content at all.
 * @throws HttpError 415 when the body is not `application/json` (or is required and
 *   absent), 413 when it exceeds the limit; ValidationError when it is not a JSON object
 *   or array, or has a `__proto__` key.
 */
export type JsonBodyMiddleware = (options: JsonBodyOptions) => Middleware<AppState & BodyState>;

/**
 * The JSON body middleware over koa-bodyparser (co-body): strict JSON (objects and arrays
 * only), `__proto__` keys rejected by co-body's secure parser, at most `maxBytes`.
 * Parse errors are replaced by our own (its `onerror`, which rethrows, so that errors of
 * the routes after it are not taken for parse errors): co-body's carry the raw body
 * (`err.body`) and V8's JSON messages quote the input, and neither may reach a response
 * or a log.
 */
export function jsonBodyMiddleware(maxBytes: number): JsonBodyMiddleware {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: `${maxBytes}b`,
    strict: true,
    encoding: 'utf-8',
    onerror: (error) => {
      throw translateParseError(error, maxBytes);
    },
  }) as Middleware<AppState & BodyState>;
  return ({ required }) =>
    async (ctx, next) => {
      if (!required && !hasContent(ctx)) {
        ctx.state.body = undefined;
        return next();
      }
      // `is` is null for a request without a body, so a required body that is absent is a 415 too.
      if (!isJsonRequest(ctx)) throw notJson();
      return parse(ctx, () => {
        ctx.state.body = ctx.request.body;
        return next();
      });
    };
}

/** The 415 of a body that is not `application/json`. */
export function notJson(): HttpError {
  return new HttpError(415, HttpErrorCodes.UNSUPPORTED_MEDIA_TYPE, 'Unsupported media type', 'The request body must be JSON sent as application/json.');
}

/** True when the request announces a body: a positive Content-Length, or chunked transfer. */
function hasContent(ctx: Context): boolean {
  if (ctx.get('Transfer-Encoding') !== '') return true;
  const length = Number.parseInt(ctx.get('Content-Length'), 10);
  return Number.isFinite(length) && length > 0;
}

function translateParseError(error: unknown, maxBytes: number): Error {
  const failure = (error ?? {}) as { status?: unknown; type?: unknown; body?: unknown };
  // The original error is dropped here; removing the raw body also protects any code that kept a reference.
  if (typeof error === 'object' && error !== null) delete failure.body;
  if (failure.status === 413 || failure.type === 'entity.too.large') {
    return new HttpError(413, HttpErrorCodes.PAYLOAD_TOO_LARGE, 'Payload too large', `The request body must be at most ${maxBytes} bytes.`);
  }
  if (failure.status === 415) {
    return new HttpError(415, HttpErrorCodes.UNSUPPORTED_MEDIA_TYPE, 'Unsupported media type', 'The encoding of the request body is not supported; send UTF-8 JSON.');
  }
  if (failure.type === 'request.aborted' || failure.type === 'request.size.invalid') {
    return invalidBody('the request body was incomplete');
  }
  return invalidBody('the request body must be a valid JSON object');
}

function invalidBody(message: string): ValidationError {
  return new ValidationError(`Invalid request: ${message}`, [{ path: '(body)', message }]);
}
