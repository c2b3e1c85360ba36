import type { Permission } from '@llm-settings/core';
import type { Middleware } from 'koa';
import type { AppState } from './app-state.js';
import { HttpError, HttpErrorCodes } from './problems.js';

/**
 * The permission a route requires of a scoped caller (the admin has them all), listed
 * first in the route: `router.get(path, may('read'), handler)`, or `mayInScope` (in
 * route-state.ts) where the route takes a scope too. Deny by default: `scoped` refuses a
 * scoped caller on a route that names no permission.
 * @throws HttpError 403 `HTTP.PERMISSION_MISSING` naming the permission.
 */
export function may(permission: Permission): Middleware<AppState> {
  return (ctx, next) => {
    requirePermission(ctx.state, permission);
    return next();
  };
}

/**
 * Refuses a scoped caller without `permission`, and notes the route's permission on the
 * state (which `scoped` requires of a scoped caller).
 * @throws HttpError 403 `HTTP.PERMISSION_MISSING` naming the permission.
 */
export function requirePermission(state: AppState, permission: Permission): void {
  const { caller } = state;
  if (caller?.kind === 'scoped' && !caller.can.includes(permission)) {
    throw new HttpError(403, HttpErrorCodes.PERMISSION_MISSING, 'Forbidden', `This token lacks the "${permission}" permission.`);
  }
  state.permission = permission;
}

/** The one answer for a scope a scoped caller may not reach: the same whether that scope exists or not. */
export function scopeForbidden(): HttpError {
  return new HttpError(403, HttpErrorCodes.SCOPE_FORBIDDEN, 'Forbidden', 'This token reaches its own scope only.');
}

/** A scoped caller on a route that names no permission: a route missing its `may`, refused rather than let through. */
export function permissionUndeclared(): HttpError {
  return new HttpError(403, HttpErrorCodes.PERMISSION_MISSING, 'Forbidden', 'This route is not open to scoped tokens.');
}
