import type { Permission, Preconditions } from '@llm-settings/core';
import type { Middleware } from 'koa';
import type { AppContext, AppState, PreconditionsState, ScopeState, SignalState } from './app-state.js';
import { parseIfMatch, parseIfNoneMatch } from './if-match.js';
import { permissionUndeclared, requirePermission, scopeForbidden } from './permissions.js';
import { scopeOf } from './scope-header.js';

/*
 * The per-route middleware that put what a handler needs on `ctx.state`, listed before
 * it in the route (`router.put(path, scoped, conditional, jsonBody(...), handler)`), in
 * the order their checks run. The body's is in json-body.ts.
 */

/**
 * Puts the request's scope on `ctx.state.scope`: the one `LLM-Settings-Scope` names; for
 * a scoped caller, its own scope, which the header may name or leave out.
 * @throws ValidationError when `LLM-Settings-Scope` is not a scope; HttpError 403
 *   `HTTP.SCOPE_FORBIDDEN` when a scoped caller names another scope, or
 *   `HTTP.PERMISSION_MISSING` on a route that lists no permission (`may`) before it.
 */
export const scoped: Middleware<AppState & ScopeState> = (ctx, next) => {
  ctx.state.scope = scopeOfCaller(ctx);
  return next();
};

/**
 * `may(permission)` and `scoped` as one route entry (@koa/router composes a request's
 * entries anew, at a cost per entry), the permission checked first.
 * @throws as `may` and `scoped` do.
 */
export function mayInScope(permission: Permission): Middleware<AppState & ScopeState> {
  return (ctx, next) => {
    requirePermission(ctx.state, permission);
    ctx.state.scope = scopeOfCaller(ctx);
    return next();
  };
}

/**
 * Puts If-Match and If-None-Match as core takes them on `ctx.state.preconditions`: `*`,
 * or the tags listed (If-Match's strong ones; If-None-Match's weak or not, compared weakly).
 * @throws ValidationError when either header is malformed.
 */
export const conditional: Middleware<PreconditionsState> = (ctx, next) => {
  const { headers } = ctx.request;
  ctx.state.preconditions = preconditionsOf(headers['if-match'], headers['if-none-match']);
  return next();
};

/** Puts on `ctx.state.signal` an AbortSignal that aborts when the client goes away before its answer is sent. */
export const abortable: Middleware<SignalState> = async (ctx, next) => {
  const controller = new AbortController();
  const onClose = () => {
    if (!ctx.res.writableFinished) controller.abort(new Error('The client disconnected.'));
  };
  ctx.res.once('close', onClose);
  ctx.state.signal = controller.signal;
  try {
    await next();
  } finally {
    ctx.res.off('close', onClose);
  }
};

/** The request's scope for `ctx.state.scope`, as `scoped` says. */
function scopeOfCaller(ctx: AppContext): string | undefined {
  const named = scopeOf(ctx);
  const { caller } = ctx.state;
  if (caller?.kind !== 'scoped') return named;
  if (ctx.state.permission === undefined) throw permissionUndeclared();
  if (named !== undefined && named !== caller.scope) throw scopeForbidden();
  return caller.scope;
}

function preconditionsOf(ifMatchHeader: string | undefined, ifNoneMatchHeader: string | undefined): Preconditions {
  const ifMatch = parseIfMatch(ifMatchHeader);
  const ifNoneMatch = parseIfNoneMatch(ifNoneMatchHeader);
  return {
    ...(ifMatch === undefined ? {} : { ifMatch: ifMatch.kind === 'any' ? '*' : ifMatch.strong }),
    ...(ifNoneMatch === undefined ? {} : { ifNoneMatch: ifNoneMatch.kind === 'any' ? '*' : ifNoneMatch.tags }),
  };
}
