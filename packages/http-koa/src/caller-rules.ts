import { actorOf } from '@llm-settings/core';
import type { AppContext } from './app-state.js';
import { HttpError, HttpErrorCodes } from './problems.js';

/*
 * What the caller of a settings route may do beyond its route's permission, and the name
 * its changes are recorded under. The protected routers' access check sets the caller
 * before any route runs (bearer-auth.ts).
 */

/** The actor of the request's changes, for their history entries: `admin`, `token:<jti>` or `jwt:<sub>`. */
export function actorOfRequest(ctx: AppContext): string {
  return ctx.state.caller === undefined ? 'admin' : actorOf(ctx.state.caller);
}

/**
 * Refuses a body that sets `inherit_from` from a caller other than the admin: which
 * scope lends its key to which is the operator's choice, never a scoped token's.
 * @throws HttpError 403 HTTP.PERMISSION_MISSING
 */
export function refuseInheritFromNonOperator(ctx: AppContext, body: unknown): void {
  const setsLink = typeof body === 'object' && body !== null && Object.hasOwn(body, 'inherit_from');
  if (setsLink && !isOperator(ctx)) {
    throw new HttpError(403, HttpErrorCodes.PERMISSION_MISSING, 'Permission missing', 'Only the operator may set inherit_from.');
  }
}

/** Whether the caller is the operator (the admin), who alone decides which scope lends its key to which. */
export function isOperator(ctx: AppContext): boolean {
  return ctx.state.caller?.kind === 'admin';
}
