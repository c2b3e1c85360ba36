import type { Middleware } from 'koa';
import type { AppState } from './app-state.js';
import { REQUEST_ID_HEADER } from './request-log.js';

/**
 * Sets the headers every answer carries: the request id, and no-store and nosniff,
 * since settings, problems and health answers are per-request state.
 */
export function commonHeadersMiddleware(): Middleware<AppState> {
  return (ctx, next) => {
    ctx.set({ [REQUEST_ID_HEADER]: ctx.state.requestId, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    return next();
  };
}
