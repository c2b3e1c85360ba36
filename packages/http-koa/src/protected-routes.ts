import type Router from '@koa/router';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import type { AppState } from './app-state.js';

/**
 * The routes behind an access check. Route registrars get this, never the router itself,
 * so that no route can be added without the check: deny by default. Each route's
 * middleware is composed here once, the check first, into one route entry: @koa/router
 * composes a request's chain anew (flattening it, about 2,300 instructions an entry), so
 * a `router.use` check plus a route's list cost an entry each on every request.
 */
export class ProtectedRoutes {
  /**
   * @param router the router the routes go on; it takes no other route
   * @param check runs before every route's own middleware (names `ctx.state.caller`, or refuses)
   */
  constructor(
    readonly router: Router<AppState>,
    private readonly check: Middleware<AppState>,
  ) {}

  get<StateT>(path: string, ...middleware: Middleware<AppState & StateT>[]): void {
    this.router.get(path, this.guarded(middleware));
  }

  post<StateT>(path: string, ...middleware: Middleware<AppState & StateT>[]): void {
    this.router.post(path, this.guarded(middleware));
  }

  put<StateT>(path: string, ...middleware: Middleware<AppState & StateT>[]): void {
    this.router.put(path, this.guarded(middleware));
  }

  delete<StateT>(path: string, ...middleware: Middleware<AppState & StateT>[]): void {
    this.router.delete(path, this.guarded(middleware));
  }

  private guarded<StateT>(middleware: Middleware<AppState & StateT>[]): Middleware<AppState> {
    return compose([this.check, ...middleware] as Middleware<AppState>[]);
  }
}
