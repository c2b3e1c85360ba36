import type { Middleware } from 'koa';
import type { AppState } from './app-state.js';
import { REQUEST_ID_HEADER } from './request-log.js';

/**
 * The policy of every answer that is not a page (the settings page's files set their
 * own): nothing in it may run, load, be framed or reach this origin's storage if a
 * browser is made to render it, e.g. a provider's answer passed through.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

/**
 * Sets the headers every answer carries: the request id, no-store (settings, problems
 * and health answers are per-request state), nosniff and {@link API_CSP}.
 */
export function commonHeadersMiddleware(): Middleware<AppState> {
  return (ctx, next) => {
    ctx.set({
      [REQUEST_ID_HEADER]: ctx.state.requestId,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': API_CSP,
    });
    return next();
  };
}
