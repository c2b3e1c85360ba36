import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { redactText, type LogFields, type Logger } from '@llm-settings/core';
import type { Middleware } from 'koa';
import type { AppState } from './app-state.js';
import type { RouteMatcher } from './routing.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';
/** Incoming ids are reused only when short and made of safe characters, so they cannot forge log content. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:@+=\/-]{1,128}$/;

/**
 * Outermost middleware: assigns the request id (echoed in X-Request-Id) and writes one
 * log line per request with method, matched route pattern, status and duration. It logs no
 * URL, header or body; the failure fields come already redacted from the problem
 * middleware, and every text field is redacted once more on the way out.
 */
export function requestLog(logger: Logger, routes: RouteMatcher): Middleware<AppState> {
  return async (ctx, next) => {
    const started = performance.now();
    const incoming = ctx.get(REQUEST_ID_HEADER);
    const clientChosenId = VALID_REQUEST_ID.test(incoming);
    ctx.state.requestId = clientChosenId ? incoming : randomUUID();
    ctx.set(REQUEST_ID_HEADER, ctx.state.requestId);
    try {
      await next();
    } finally {
      const { failure } = ctx.state;
      // Text from outside is redacted: a client-chosen id and the failure message. The
      // method (from Node's parser), the route pattern and the code are our own values.
      const fields: LogFields = {
        request_id: clientChosenId ? redactText(ctx.state.requestId) : ctx.state.requestId,
        method: ctx.method,
        route: routes.patternOf(ctx.path),
        status: ctx.status,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        ...(failure ? { error_code: failure.code, error_message: redactText(failure.message) } : {}),
      };
      if (ctx.status >= 500) logger.error(fields, 'http request failed');
      else logger.info(fields, 'http request');
    }
  };
}
