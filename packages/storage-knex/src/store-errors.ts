import { ErrorCodes, LlmSettingsError, StorageUnavailableError } from '@llm-settings/core';
import type { Dialect } from './dialects/dialect.js';
import { errorChain } from './dialects/driver-errors.js';

/** What a call refused or cut short by a closed store, or by its destroyed pool, fails with. */
export const STORE_CLOSED_MESSAGE = 'The settings store is closed.';

/** The error of a call refused or cut short by a closed store, or by its destroyed pool; `cause` what cut it short. */
export function storeClosedError(cause?: unknown): StorageUnavailableError {
  return new StorageUnavailableError(STORE_CLOSED_MESSAGE, cause === undefined ? undefined : { cause });
}

/**
 * Turns a driver or knex error into one of core's errors. The messages are fixed
 * (generic, or the dialect's reason): the driver's message may name the host, or quote
 * the SQL with its values, so it travels only as `cause`.
 */
export function toStoreError(error: unknown, dialect: Dialect): LlmSettingsError {
  if (error instanceof LlmSettingsError) return error;
  if (isPoolClosed(error)) return storeClosedError(error);
  if (dialect.isUnavailable(error)) return new StorageUnavailableError(dialect.unavailableReason?.(error), { cause: error });
  return new LlmSettingsError(ErrorCodes.INTERNAL, 'The settings storage failed unexpectedly.', { cause: error });
}

/**
 * The knex pool was destroyed under the call (a store's owner closes it after the store):
 * tarn aborts the acquires still waiting ("aborted"), and a destroyed knex has no pool to
 * acquire from ("Unable to acquire a connection").
 */
function isPoolClosed(error: unknown): boolean {
  for (const link of errorChain(error)) {
    if (link.message === 'aborted' || link.message === 'Unable to acquire a connection') return true;
  }
  return false;
}
