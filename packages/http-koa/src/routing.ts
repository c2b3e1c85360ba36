import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AppState } from './app-state.js';
import { HttpError, HttpErrorCodes } from './problems.js';

/** Answers which route pattern a request matches, without dispatching it. */
export interface RouteMatcher {
  /** The route pattern of the path, whatever the method (never the raw URL), or null for an unknown path. */
  patternOf(path: string): string | null;
  /** The methods the path's routes accept, empty for an unknown path. */
  allowedMethods(path: string): string[];
}

export function createRouteMatcher(router: Router<AppState>): RouteMatcher {
  return {
    patternOf(path) {
      const layer = router.match(path, 'GET').path.find((candidate) => candidate.methods.length > 0);
      return layer === undefined ? null : String(layer.path);
    },
    allowedMethods(path) {
      return [...new Set(router.match(path, 'GET').path.flatMap((layer) => layer.methods))];
    },
  };
}

/**
 * Turns requests no route handles into problems before any body is read: 405 with an
 * Allow header for a known path, 404 otherwise.
 */
export function routeGuard(matcher: RouteMatcher): Middleware<AppState> {
  return async (ctx, next) => {
    const allowed = matcher.allowedMethods(ctx.path);
    if (!allowed.includes(ctx.method)) {
      if (allowed.length > 0) {
        throw new HttpError(405, HttpErrorCodes.METHOD_NOT_ALLOWED, 'Method not allowed', `This resource does not support ${ctx.method}.`, {
          Allow: allowed.join(', '),
        });
      }
      throw new HttpError(404, HttpErrorCodes.NOT_FOUND, 'Not found', 'No resource exists at this path.');
    }
    await next();
  };
}
