import type { Logger } from '@llm-settings/core';
import { createKnexFromUrl, createKnexSettingsStore, DEFAULT_SETTINGS_TABLE } from '@llm-settings/storage-knex';
import type { ServerConfig } from './config.js';

/**
 * Whether the configured database holds any stored value (each is encrypted), read through
 * the store's `list()` over a connection of its own, closed before returning. A database
 * whose settings table is not made yet holds none. Asked before a key file is generated
 * only, when the container's storage is not made yet: the key is part of its configuration.
 * @throws StorageUnavailableError when the database cannot be reached, as the start would.
 */
export async function databaseHoldsSettings(config: ServerConfig, logger: Logger): Promise<boolean> {
  const knex = createKnexFromUrl(config.databaseUrl.reveal(), { logger, pool: { max: 1 } });
  try {
    // A look that fails is left to the store's read, which reports it as the store's own error.
    if (!(await knex.schema.hasTable(DEFAULT_SETTINGS_TABLE).catch(() => true))) return false;
    const store = createKnexSettingsStore(knex, { listenForRemoteChanges: false });
    try {
      for await (const _record of store.list()) return true;
      return false;
    } finally {
      await store.close();
    }
  } finally {
    await knex.destroy();
  }
}
