import type { Logger } from '@llm-settings/core';
import { createKnexFromUrl, createKnexSettingsStore, isMissingTable } from '@llm-settings/storage-knex';
import type { ServerConfig } from './config.js';

/**
 * Whether the configured database holds any stored value (each is encrypted), read through
 * the store's `list()` over a connection of its own, closed before returning. A database
 * whose settings table is not made yet (a first start, perhaps while another process
 * migrates it) holds none. Asked before a key file is generated only, when the container's
 * storage is not made yet: the key is part of its configuration.
 * @throws StorageUnavailableError when the database cannot be reached, as the start would.
 */
export async function databaseHoldsSettings(config: ServerConfig, logger: Logger): Promise<boolean> {
  const knex = createKnexFromUrl(config.databaseUrl.reveal(), { logger, pool: { max: 1 } });
  const store = createKnexSettingsStore(knex, { listenForRemoteChanges: false });
  try {
    for await (const _record of store.list()) return true;
    return false;
  } catch (error) {
    if (isMissingTable(error)) return false;
    throw error;
  } finally {
    await store.close();
    await knex.destroy();
  }
}
