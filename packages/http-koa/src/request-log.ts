import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { actorOf, redactedFields, redactText, type Logger } from '@llm-settings/core';
import type { Middleware } from 'koa';
import type { AppContext, AppState } from './app-state.js';
import { NO_OBSERVER, type HttpObserver } from './observer.js';
import { matchedRoutePattern } from './routers.js';
import { endRequestSpan } from './tracing.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';
/** Node's name for it in `req.headers`. */
const REQUEST_ID_FIELD = REQUEST_ID_HEADER.toLowerCase();
/** Incoming ids are reused only when short and made of safe characters, so they cannot forge log content. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:@+=\/-]{1,128}$/;

/**
 * One finished request. Text that came from outside (a client-chosen request id, the
 * failure message) is redacted; the rest are the app's own values.
 */
type RequestLogEntry = {
  request_id: string;
  method: string;
  /** The matched route pattern, never the URL; null for an unknown path. */
  route: string | null;
  status: number;
  duration_ms: number;
  /** Who called (core's `actorOf`: `admin`, `token:<jti>`, `jwt:<sub>`), once the access check named the caller. */
  actor?: string;
  error_code?: string;
  error_message?: string;
  /** LLM pass-through calls only (see `LlmCallFacts`). */
  provider?: string;
  scope?: string;
  upstream_request_id?: string | null;
};

/**
 * Outermost middleware: assigns the request id (echoed in X-Request-Id with the common
 * headers) and logs one line per request, with method, matched route pattern, status
 * and duration: 5xx at error as "http request failed", others at info as "http
 * request". It logs no URL, header or body; the failure fields come already redacted
 * from the problem middleware, and are redacted once more here. Calls through the LLM
 * pass-through add the provider, the scope and the provider's request id. The line is
 * written when the answer has been sent (as pino-http does), a streamed one when it ends,
 * and the request reported to the observer (metrics) and its span ended then, on the same
 * close listener.
 */
export function requestLog(logger: Logger, observer: HttpObserver = NO_OBSERVER): Middleware<AppState> {
  return async (ctx, next) => {
    const started = performance.now();
    const incoming = ctx.request.headers[REQUEST_ID_FIELD];
    const clientChosenId = typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming);
    ctx.state.requestId = clientChosenId ? incoming : randomUUID();
    try {
      await next();
    } finally {
      // Koa sends the answer after every middleware has returned: the line is written
      // once it is sent (a streamed one at its end), so that writing it never delays an
      // answer and the duration is the whole request's.
      const write = () => writeEntry(logger, observer, ctx, clientChosenId, started);
      if (ctx.res.closed) write();
      else ctx.res.once('close', write);
    }
  };
}

function writeEntry(logger: Logger, observer: HttpObserver, ctx: AppContext, clientChosenId: boolean, started: number): void {
  const seconds = (performance.now() - started) / 1000;
  const { failure, llm, caller } = ctx.state;
  // Text from outside is redacted here: a client-chosen id, a token's subject and the
  // failure message. The method (from Node's parser), the route pattern and the code are
  // our own values; the pass-through's facts were checked where they were set. So marked,
  // the logger's own redaction pass skips the line.
  const entry: RequestLogEntry = redactedFields({
    request_id: clientChosenId ? redactText(ctx.state.requestId) : ctx.state.requestId,
    method: ctx.request.method,
    route: matchedRoutePattern(ctx),
    status: ctx.response.status,
    duration_ms: Math.round(seconds * 10_000) / 10,
  });
  observer.requestEnded({ route: entry.route, method: entry.method, status: entry.status, seconds });
  endRequestSpan(ctx, entry.route);
  if (caller) entry.actor = redactText(actorOf(caller));
  if (failure) {
    entry.error_code = failure.code;
    entry.error_message = redactText(failure.message);
  }
  if (llm) {
    entry.provider = llm.provider;
    entry.scope = llm.scope;
    entry.upstream_request_id = llm.upstreamRequestId;
  }
  if (entry.status >= 500) logger.error(entry, 'http request failed');
  else logger.info(entry, 'http request');
}
