import type { Middleware } from 'koa';
import type { AppContext, AppState } from './app-state.js';
import { REQUEST_ID_HEADER } from './request-log.js';

/**
 * The headers every answer carries, as a flat name/value list: the request id, and
 * no-store and nosniff, since settings, problems and health answers are per-request state.
 */
export function commonHeaders(ctx: AppContext): string[] {
  return [REQUEST_ID_HEADER, ctx.state.requestId, 'Cache-Control', 'no-store', 'X-Content-Type-Options', 'nosniff'];
}

/**
 * Adds the common headers to each answer Koa sends. They are set once the middleware
 * below has answered, not before, so that an answer written directly to the socket
 * (see `sendJson`) can carry them in its one `writeHead` call instead.
 */
export function commonHeadersMiddleware(): Middleware<AppState> {
  return (ctx, next) =>
    next().then(() => {
      if (!ctx.headerSent) setHeaders(ctx, commonHeaders(ctx));
    });
}

/** Sets each header of a flat name/value list through Koa. */
export function setHeaders(ctx: AppContext, headers: readonly string[]): void {
  for (let i = 0; i < headers.length; i += 2) ctx.set(headers[i] as string, headers[i + 1] as string);
}
