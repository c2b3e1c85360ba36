import type Router from '@koa/router';
import type Koa from 'koa';
import compose from 'koa-compose';
import type { AppState } from './app-state.js';

/**
 * Runs `middleware` for the requests that are ours. Mounted in a host app (koa-mount and
 * the like run our middleware with the host's context, whose `ctx.app` is the host), a
 * path no route of ours knows is the host's: it goes on to the host's next middleware
 * untouched, without our request id, common headers, log line or 404 problem. Deciding
 * by `ctx.app` needs no option, so the same app cannot be misconfigured into leaving
 * unknown paths unanswered when it serves alone; there every request stays ours.
 */
export function forOurRequests<ContextT>(
  app: Koa<AppState>,
  routers: readonly Router<AppState>[],
  middleware: readonly Koa.Middleware<AppState, ContextT>[],
): Koa.Middleware<AppState, ContextT> {
  const ours = compose([...middleware]);
  return (ctx, next) => {
    if (ctx.app !== app && !routers.some((router) => knowsPath(router, ctx.path, ctx.method))) return next();
    return ours(ctx, next);
  };
}

/**
 * Whether a route of the router matches the path, whatever the method: a known path with
 * another method is ours to answer 405. Layers without methods are `router.use`
 * middleware, which match every path.
 */
function knowsPath(router: Router<AppState>, path: string, method: string): boolean {
  return router.match(path, method).path.some((layer) => layer.methods.length > 0);
}
