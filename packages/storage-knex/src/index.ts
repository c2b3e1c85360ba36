export { createKnexSettingsStore, type KnexSettingsStoreOptions } from './knex-settings-store.js';
export { createKnexFromUrl, type KnexFromUrlOptions } from './create-knex-from-url.js';
export type { KnexConnectionFacts, KnexFromUrl } from './knex-connection-facts.js';
export { migrateSettingsStore, pendingSettingsStoreMigrations, type MigrateSettingsStoreOptions } from './migrate-settings-store.js';
export { DEFAULT_NOTIFY_CHANNEL, DEFAULT_SETTINGS_TABLE } from './defaults.js';
export { isMissingTable } from './dialects/driver-errors.js';
