import { errorChain as chainOf } from '@llm-settings/core';

type ErrorLike = { code?: unknown; name?: unknown; message?: unknown };

/** The error and everything it wraps (core's `errorChain`), read as driver errors. */
export function errorChain(error: unknown): Iterable<ErrorLike> {
  return chainOf(error) as Iterable<ErrorLike>;
}

/** True when the error, or anything it wraps, carries one of `codes`. */
export function hasErrorCode(error: unknown, codes: ReadonlySet<string>): boolean {
  for (const link of errorChain(error)) {
    if (typeof link.code === 'string' && codes.has(link.code)) return true;
  }
  return false;
}

/** Socket-level failures Node reports while connecting to or talking with a server. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * Knex's own "no connection" failures: the pool's acquire timeout
 * ("Timeout acquiring a connection"), and a pool that is gone.
 */
export function isKnexPoolFailure(error: unknown): boolean {
  for (const link of errorChain(error)) {
    if (link.name === 'KnexTimeoutError') return true;
    if (link.message === 'Unable to acquire a connection') return true;
  }
  return false;
}
