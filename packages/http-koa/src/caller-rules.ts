import type { AppContext } from './app-state.js';
import { HttpError, HttpErrorCodes } from './problems.js';

/*
 * What the caller of a settings route may do beyond its route's access check, and the
 * name its changes are recorded under. The protected settings routes' callers are the
 * operator: `admin` (the API token) or `loopback` (an app without a token, reachable by
 * the operator only); both are the actor `admin`.
 */

/** The actor of the request's changes, for their history entries. */
export function actorOfRequest(ctx: AppContext): string {
  return ctx.state.caller === 'admin' || ctx.state.caller === 'loopback' ? 'admin' : String(ctx.state.caller);
}

/**
 * Refuses a body that sets `inherit_from` from a caller other than the operator: which
 * scope lends its key to which is the operator's choice, never a scoped token's.
 * @throws HttpError 403 HTTP.PERMISSION_MISSING
 */
export function refuseInheritFromNonOperator(ctx: AppContext, body: unknown): void {
  const setsLink = typeof body === 'object' && body !== null && Object.hasOwn(body, 'inherit_from');
  if (setsLink && ctx.state.caller !== 'admin' && ctx.state.caller !== 'loopback') {
    throw new HttpError(403, HttpErrorCodes.PERMISSION_MISSING, 'Permission missing', 'Only the operator may set inherit_from.');
  }
}
