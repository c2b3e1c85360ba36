import type { Middleware } from 'koa';
import type { AppContext, AppState } from './app-state.js';

/**
 * A synchronous step of a request before its route: a check, which returns when the
 * request passes and throws its refusal (an HttpError) when not, or headers every answer carries.
 */
export type RequestStep = (ctx: AppContext) => void;

/**
 * One chain entry that runs `steps` in order, then `middleware` (or the rest of the
 * chain): steps that never wait need no entry of their own, which costs a bound function
 * and a promise on every request.
 */
export function stepsBefore(steps: readonly RequestStep[], middleware?: Middleware<AppState>): Middleware<AppState> {
  return (ctx, next) => {
    for (const step of steps) step(ctx);
    return middleware === undefined ? next() : middleware(ctx, next);
  };
}
