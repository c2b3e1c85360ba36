import { ErrorCodes, LlmSettingsError, StorageUnavailableError } from '@llm-settings/core';
import type { Dialect } from './dialects/dialect.js';

/**
 * Turns a driver or knex error into one of core's errors. The messages are fixed
 * (generic, or the dialect's reason): the driver's message may name the host, or quote
 * the SQL with its values, so it travels only as `cause`.
 */
export function toStoreError(error: unknown, dialect: Dialect): LlmSettingsError {
  if (error instanceof LlmSettingsError) return error;
  if (dialect.isUnavailable(error)) return new StorageUnavailableError(dialect.unavailableReason?.(error), { cause: error });
  return new LlmSettingsError(ErrorCodes.INTERNAL, 'The settings storage failed unexpectedly.', { cause: error });
}
