import Router from '@koa/router';
import type { AppContext, AppState } from './app-state.js';
import { HttpError, HttpErrorCodes } from './problems.js';

/** The methods the API's routes use. Others, OPTIONS included, answer 405 on a known path. */
const API_METHODS = ['HEAD', 'GET', 'PUT', 'POST', 'DELETE'];

/**
 * A router that matches paths one way only: letter case and a trailing slash count, so
 * `/API/settings/llm` or `/api/settings/llm/` name no route (404) instead of reaching a
 * route under a spelling that other checks might not expect.
 */
export function createRouter(): Router<AppState> {
  return new Router<AppState>({ sensitive: true, strict: true, methods: API_METHODS });
}

/**
 * The pattern of the route that matched the request's path (whatever the method), from
 * the layers @koa/router records in `ctx.matched`; null when no route knows the path.
 */
export function matchedRoutePattern(ctx: AppContext): string | null {
  const { matched } = ctx as AppContext & { matched?: ReadonlyArray<{ path: string | RegExp; methods: readonly string[] }> };
  const route = matched?.find((layer) => layer.methods.length > 0);
  return route === undefined ? null : String(route.path);
}

/**
 * Throws the problem for an answer no route gave, as @koa/router's `allowedMethods()`
 * leaves it (no body): 405 (or its 501, for a method outside `API_METHODS`) with the
 * `Allow` it set when the path is known, 404 when nothing answered.
 */
export function throwIfUnanswered(ctx: AppContext): void {
  if (ctx.headerSent || (ctx.body !== undefined && ctx.body !== null)) return;
  const allow = ctx.response.get('Allow');
  if ((ctx.status === 405 || ctx.status === 501) && allow !== '') {
    throw new HttpError(405, HttpErrorCodes.METHOD_NOT_ALLOWED, 'Method not allowed', `This resource does not support ${ctx.method}.`, { Allow: allow });
  }
  if (ctx.status === 404 || ctx.status === 501) {
    throw new HttpError(404, HttpErrorCodes.NOT_FOUND, 'Not found', 'No resource exists at this path.');
  }
}
