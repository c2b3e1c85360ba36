import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AppState } from './app-state.js';
import { HttpError, HttpErrorCodes } from './problems.js';

type Handler = Middleware<AppState>;

/** Answers which route a request path matches. */
export interface RouteMatcher {
  /** The route pattern of the path, whatever the method (never the raw URL), or null for an unknown path. */
  patternOf(path: string): string | null;
  /** The methods the path's routes accept, empty for an unknown path. */
  allowedMethods(path: string): readonly string[];
  /** The handlers of the path for the method, run in registration order; undefined when none. */
  handlerOf(path: string, method: string): Handler | undefined;
}

/** Paths whose match is remembered; the routes are few and static, so this is never reached in practice. */
const MAX_REMEMBERED_PATHS = 1_000;

interface PathMatch {
  pattern: string | null;
  methods: readonly string[];
  handlers: Map<string, Handler>;
}

/**
 * Matches paths with the router's own rules (its patterns, case and trailing slash
 * handling), once per path: the request log, the 404/405 decision and the dispatch all
 * ask on every request. Only paths that name a route are remembered, so requests for
 * unknown paths cannot grow the map.
 */
export function createRouteMatcher(router: Router<AppState>): RouteMatcher {
  const remembered = new Map<string, PathMatch>();
  const matchOf = (path: string): PathMatch => {
    const known = remembered.get(path);
    if (known !== undefined) return known;
    const layers = router.match(path, 'GET').path;
    const route = layers.find((layer) => layer.methods.length > 0);
    const methods = [...new Set(layers.flatMap((layer) => layer.methods))];
    const handlers = new Map<string, Handler>();
    for (const method of methods) {
      handlers.set(method, chain(router.match(path, method).pathAndMethod.flatMap((layer) => layer.stack as Handler[])));
    }
    const match = { pattern: route === undefined ? null : String(route.path), methods, handlers };
    if (match.pattern !== null && remembered.size < MAX_REMEMBERED_PATHS) remembered.set(path, match);
    return match;
  };
  return {
    patternOf: (path) => matchOf(path).pattern,
    allowedMethods: (path) => matchOf(path).methods,
    handlerOf: (path, method) => matchOf(path).handlers.get(method),
  };
}

/** Runs handlers one after another, each calling the next through `next`. */
function chain(handlers: readonly Handler[]): Handler {
  const [only] = handlers;
  if (handlers.length === 1 && only !== undefined) return only;
  return (ctx, next) => {
    const run = (index: number): Promise<unknown> => {
      const handler = handlers[index];
      return handler === undefined ? Promise.resolve(next()) : Promise.resolve(handler(ctx, () => run(index + 1)));
    };
    return run(0);
  };
}

/**
 * Runs the route of the request. Requests no route handles become problems before any
 * body is read: 405 with an Allow header for a known path, 404 otherwise.
 */
export function dispatchRoutes(matcher: RouteMatcher): Middleware<AppState> {
  return (ctx, next) => {
    const handler = matcher.handlerOf(ctx.path, ctx.method);
    if (handler !== undefined) return handler(ctx, next);
    const allowed = matcher.allowedMethods(ctx.path);
    if (allowed.length > 0) {
      throw new HttpError(405, HttpErrorCodes.METHOD_NOT_ALLOWED, 'Method not allowed', `This resource does not support ${ctx.method}.`, {
        Allow: allowed.join(', '),
      });
    }
    throw new HttpError(404, HttpErrorCodes.NOT_FOUND, 'Not found', 'No resource exists at this path.');
  };
}
