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

/** What a store whose tables are not made says: the operator runs the migrations. */
export const MIGRATIONS_NOT_RUN = 'The settings storage is not set up: its tables are missing. Run the storage migrations.';

/**
 * Whether `error`, or what it wraps (a store's StorageUnavailableError), is PostgreSQL's
 * undefined_table or SQLite's "no such table": the migrations have not run (`migrate: false`
 * before its job, a first start while another process migrates).
 */
export function isMissingTable(error: unknown): boolean {
  for (const link of errorChain(error)) {
    if (link.code === '42P01') return true;
    if (link.code === 'SQLITE_ERROR' && typeof link.message === 'string' && link.message.includes('no such table')) return true;
  }
  return false;
}
