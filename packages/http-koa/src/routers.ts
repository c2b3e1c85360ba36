import Router, { type RouterMiddleware } from '@koa/router';
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
 * The router's middleware, run only for the paths `prefix` names (itself and below): every
 * router a request passes reads its Host and matches it against each of its routes, about
 * 500 instructions a route, so a router that no route of the path could be on is skipped.
 * @throws Error when a route of the router lies outside `prefix`: skipping would hide it
 */
export function routesUnder(prefix: string, router: Router<AppState>): RouterMiddleware<AppState> {
  const routes = routesAllUnder(prefix, router);
  return (ctx, next) => (isUnder(ctx.request.path, prefix) ? routes(ctx, next) : next());
}

/**
 * Routers by name under `prefix`, each run only for its name's paths (`<prefix>/<name>` and
 * below), found by the path's segment after `prefix`: a request is matched against the
 * routes of its name's router alone, however many names there are (the pass-through's
 * providers, three or four routes each).
 * @throws Error when a route of a router lies outside its name's path
 */
export function routesByName(prefix: string, routers: ReadonlyMap<string, Router<AppState>>): RouterMiddleware<AppState> {
  // A path whose segment names a router is under that name's path: no second check per request.
  const byName = new Map([...routers].map(([name, router]) => [name, routesAllUnder(`${prefix}/${name}`, router)]));
  const below = `${prefix}/`;
  return (ctx, next) => {
    const { path } = ctx.request;
    const routes = path.startsWith(below) ? byName.get(firstSegment(path.slice(below.length))) : undefined;
    return routes === undefined ? next() : routes(ctx, next);
  };
}

/**
 * The router's middleware, once every route it holds is found under `prefix`.
 * @throws Error when a route lies outside `prefix`: running the router only for that prefix would hide it
 */
function routesAllUnder(prefix: string, router: Router<AppState>): RouterMiddleware<AppState> {
  const outside = router.stack.find((layer) => !isUnder(String(layer.path), prefix));
  if (outside !== undefined) throw new Error(`route ${String(outside.path)} is outside ${prefix}`);
  return router.routes();
}

function firstSegment(path: string): string {
  const end = path.indexOf('/');
  return end === -1 ? path : path.slice(0, end);
}

function isUnder(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/');
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
  const { response } = ctx;
  if (response.headerSent || (response.body !== undefined && response.body !== null)) return;
  const allow = response.get('Allow');
  if ((response.status === 405 || response.status === 501) && allow !== '') {
    throw new HttpError(405, HttpErrorCodes.METHOD_NOT_ALLOWED, 'Method not allowed', `This resource does not support ${ctx.method}.`, { Allow: allow });
  }
  if (response.status === 404 || response.status === 501) {
    throw new HttpError(404, HttpErrorCodes.NOT_FOUND, 'Not found', 'No resource exists at this path.');
  }
}
