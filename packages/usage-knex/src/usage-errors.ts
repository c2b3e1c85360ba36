import { StorageUnavailableError } from '@llm-settings/core';

/**
 * A driver failure as core's StorageUnavailableError: a fixed message, since a driver's
 * names hosts, users and files. The cause is kept for a debugger, never logged by core.
 */
export function usageStoreError(error: unknown, doing: string): StorageUnavailableError {
  return new StorageUnavailableError(`The usage store is unavailable (${doing} failed).`, { cause: error });
}
